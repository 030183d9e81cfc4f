import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { principalOf } from './http/context.js';
import { overrideHistoryQuery, parseQuery, parseStoreParam } from './http/queries.js';
import { overrideDeps } from './http/override-requests.js';
import { overrideHistory } from '../core/domain/override-service.js';

/** GET /api/stores/{store}/overrides/history?limit= — the newest changes to the store's overrides, oldest first (append-only). */
export async function getOverrideHistory(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const { limit } = parseQuery(overrideHistoryQuery, new URL(request.url).searchParams.entries());
  return json(200, await overrideHistory(await overrideDeps(), principal, store, limit));
}

app.http('get-override-history', { route: 'stores/{store}/overrides/history', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getOverrideHistory) });
