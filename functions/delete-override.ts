import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { withErrors } from './http/traced-handler.js';
import { durableClientInput } from './http/durable-client.js';
import { principalOf } from './http/context.js';
import { parseQuery, parseStoreParam } from './http/queries.js';
import { conflictAs409, deleteQuery, overrideDeps, refreshAfterPromotion, parseOverrideIdParam } from './http/override-requests.js';
import { removeOverride } from '../core/domain/override-service.js';

/**
 * DELETE /api/stores/{store}/overrides/{id}?note=&version= — removes an override, with a `delete` audit entry
 * (the override as it was, and the numbers before and after). The note is optional: a removal returns the
 * model's numbers and needs no justification to be safe; when given it is kept in the entry. 204. Removing a
 * promotion reruns the store: the run's status URL is in `Location` (its id in `X-Foreact-Refresh-Run`).
 */
export async function deleteOverride(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const id = parseOverrideIdParam(request.params.id);
  const query = parseQuery(deleteQuery, new URL(request.url).searchParams.entries());
  const removed = await removeOverride(await overrideDeps(), principal, store, id, query.note, query.version).catch(conflictAs409);
  if (removed.kind !== 'promotion') return { status: 204 };
  // Without the promotion the store reruns; a 204 has no body, so the run is in the headers.
  const refresh = await refreshAfterPromotion(context, principal, store);
  return { status: 204, headers: refresh.statusUrl === null ? { 'x-foreact-refresh-error': refresh.error ?? 'no refresh started' } : { location: refresh.statusUrl, 'x-foreact-refresh-run': refresh.runId! } };
}

app.http('delete-override', { route: 'stores/{store}/overrides/{id}', methods: ['DELETE'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(deleteOverride) });
