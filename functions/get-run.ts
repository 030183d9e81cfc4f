import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { durableClient, durableClientInput, instanceStatus } from './http/durable-client.js';
import { apiContext, principalOf } from './http/context.js';
import { notFound } from './http/errors.js';
import { parseRunIdParam } from './http/queries.js';
import { checkRunFromInstance, checkRunFromRecords, runFromInstance, runFromRecords, runIdOfInstance, storeOfCheckRunId, storeOfRunId } from '../core/domain/api-runs.js';
import { authoriseRunRead } from '../core/domain/api-service.js';
import { checkInstanceId, refreshInstanceId } from '../orchestrations/names.js';

/**
 * GET /api/runs/{id} — a refresh run (callers who may see its store, and operators), a scheduled or a
 * check run (admins and operators).
 */
export async function getRun(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const runId = parseRunIdParam(request.params.id);
  const { deps, storage, config } = await apiContext();
  const store = storeOfRunId(runId);
  await authoriseRunRead(deps, principal, store);
  const checked = storeOfCheckRunId(runId);
  if (checked !== undefined) {
    const live = await instanceStatus(durableClient(context), checkInstanceId(runId));
    const view = live !== undefined ? checkRunFromInstance(runId, checked, live, config.dispatch.backend) : checkRunFromRecords(runId, checked, await storage.runs.listRun(runId), config.dispatch.backend);
    if (view === undefined) throw notFound(`There is no run "${runId}".`);
    return json(200, view);
  }
  if (store !== undefined) {
    const live = await instanceStatus(durableClient(context), refreshInstanceId(store));
    if (live !== undefined && runIdOfInstance(live) === runId) return json(200, runFromInstance(runId, store, live));
  }
  const records = await storage.runs.listRun(runId);
  const run = runFromRecords(runId, records);
  if (run === undefined) throw notFound(`There is no run "${runId}".`);
  return json(200, run);
}

app.http('get-run', { route: 'runs/{id}', methods: ['GET'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(getRun) });
