import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { principalOf } from './http/context.js';
import { parseStoreParam } from './http/queries.js';
import { overrideDeps } from './http/override-requests.js';
import { listOverrides } from '../core/domain/override-service.js';

/** GET /api/stores/{store}/overrides — the store's overrides in force (not deleted, not expired), by start. */
export async function getOverrides(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  return json(200, await listOverrides(await overrideDeps(), principal, store));
}

app.http('get-overrides', { route: 'stores/{store}/overrides', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getOverrides) });
