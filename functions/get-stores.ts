import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { apiContext, durableClient, durableClientInput, instanceStatus, json, principalOf, withErrors } from './http/context.js';
import { isActive, runIdOfInstance, statusOfInstance } from '../core/domain/api-runs.js';
import { listStores } from '../core/domain/api-service.js';
import { refreshInstanceId } from '../orchestrations/names.js';

/** GET /api/stores — the stores the caller may see, with freshness, accuracy and any running refresh. */
export async function getStores(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = principalOf(request);
  const { deps } = await apiContext();
  const client = durableClient(context);
  const body = await listStores(deps, principal, async (store) => {
    const s = await instanceStatus(client, refreshInstanceId(store));
    const runId = s === undefined ? undefined : runIdOfInstance(s);
    if (s === undefined || runId === undefined || !isActive(s)) return null;
    return { runId, status: statusOfInstance(s), statusUrl: `/api/runs/${encodeURIComponent(runId)}` };
  });
  return json(200, body);
}

app.http('get-stores', { route: 'stores', methods: ['GET'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(getStores) });
