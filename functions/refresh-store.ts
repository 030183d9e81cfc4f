import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { durableClientInput } from './http/durable-client.js';
import { apiContext, principalOf } from './http/context.js';
import { ApiError } from './http/errors.js';
import { parseStoreParam } from './http/queries.js';
import { authoriseStore } from '../core/domain/api-service.js';
import { trace } from '../core/adapters/telemetry.js';
import { startStoreRefresh } from './http/store-refresh-start.js';

/** POST /api/stores/{store}/refresh — starts the store's refresh orchestration, or joins the running one. */
export async function refreshStore(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const { deps } = await apiContext();
  await authoriseStore(deps, principal, store);
  const outcome = await startStoreRefresh(context, principal, store);
  if (outcome.kind === 'rate_limited') {
    const wait = outcome.retryAfterSeconds;
    throw new ApiError(429, 'rate_limited', `Too many refreshes; try again in ${wait} s.`, { retryAfterSeconds: wait }, { 'retry-after': String(wait) });
  }
  if (outcome.kind === 'unavailable') throw new ApiError(503, 'unavailable', `Could not start or join the refresh of store ${store}; try again.`);
  trace.getActiveSpan()?.setAttributes({ runId: outcome.runId, store, trigger: 'refresh' });
  const statusUrl = `/api/runs/${encodeURIComponent(outcome.runId)}`;
  return json(202, { runId: outcome.runId, statusUrl, store, status: outcome.status, joined: outcome.kind === 'joined' }, { location: statusUrl });
}

app.http('refresh-store', { route: 'stores/{store}/refresh', methods: ['POST'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(refreshStore) });
