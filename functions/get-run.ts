import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { apiContext, durableClient, durableClientInput, instanceStatus, json, principalOf, withErrors } from './http/context.js';
import { forbidden, notFound } from './http/errors.js';
import { parseRunIdParam } from './http/queries.js';
import { runFromInstance, runFromRecords, runIdOfInstance, storeOfRunId } from '../core/domain/api-runs.js';
import { authoriseStore, scopeFor } from '../core/domain/api-service.js';
import { refreshInstanceId } from '../orchestrations/names.js';

/** GET /api/runs/{id} — a refresh run (callers who may see its store) or a scheduled run (admins). */
export async function getRun(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = principalOf(request);
  const runId = parseRunIdParam(request.params.id);
  const { deps, storage } = await apiContext();
  const store = storeOfRunId(runId);
  if (store === undefined) {
    const { scope } = await scopeFor(deps, principal, []);
    if (scope.role !== 'admin') throw forbidden('Only admins may read scheduled runs.');
  } else {
    const { known } = await authoriseStore(deps, principal, store);
    if (!known) throw notFound(`There is no run "${runId}".`);
    const live = await instanceStatus(durableClient(context), refreshInstanceId(store));
    if (live !== undefined && runIdOfInstance(live) === runId) return json(200, runFromInstance(runId, store, live));
  }
  const records = await storage.runs.listRun(runId);
  const run = runFromRecords(runId, records);
  if (run === undefined) throw notFound(`There is no run "${runId}".`);
  return json(200, run);
}

app.http('get-run', { route: 'runs/{id}', methods: ['GET'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(getRun) });
