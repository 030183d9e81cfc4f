import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { activeRefreshes, durableClient, durableClientInput } from './http/durable-client.js';
import { apiContext, principalOf } from './http/context.js';
import { listStores } from '../core/domain/api-service.js';
import { refreshInstanceId } from '../orchestrations/names.js';

/** GET /api/stores — the stores the caller may see, with freshness, accuracy and any running refresh. */
export async function getStores(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const { deps } = await apiContext();
  const client = durableClient(context);
  // One instance query for every running refresh, not one status call per visible store.
  const body = await listStores(deps, principal, (stores) => activeRefreshes(client, stores, refreshInstanceId));
  return json(200, body);
}

app.http('get-stores', { route: 'stores', methods: ['GET'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(getStores) });
