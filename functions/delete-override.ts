import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { withErrors } from './http/traced-handler.js';
import { principalOf } from './http/context.js';
import { parseQuery, parseStoreParam } from './http/queries.js';
import { conflictAs409, deleteQuery, overrideDeps, parseOverrideIdParam } from './http/override-requests.js';
import { removeOverride } from '../core/domain/override-service.js';

/**
 * DELETE /api/stores/{store}/overrides/{id}?note=&version= — removes an override, with a `delete` audit entry
 * (the override as it was, and the numbers before and after). The note is optional: a removal returns the
 * model's numbers and needs no justification to be safe; when given it is kept in the entry. 204.
 */
export async function deleteOverride(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const id = parseOverrideIdParam(request.params.id);
  const query = parseQuery(deleteQuery, new URL(request.url).searchParams.entries());
  await removeOverride(await overrideDeps(), principal, store, id, query.note, query.version).catch(conflictAs409);
  return { status: 204 };
}

app.http('delete-override', { route: 'stores/{store}/overrides/{id}', methods: ['DELETE'], authLevel: 'anonymous', handler: withErrors(deleteOverride) });
