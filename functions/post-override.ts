import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { durableClientInput } from './http/durable-client.js';
import { principalOf } from './http/context.js';
import { parseStoreParam } from './http/queries.js';
import { conflictAs409, overrideBody, overrideDeps, refreshAfterPromotion, readJsonBody } from './http/override-requests.js';
import { createOverride } from '../core/domain/override-service.js';

/**
 * POST /api/stores/{store}/overrides — a planner's (their regions' stores) or an admin's override, written
 * with its audit entry. 201 with the override; 400 naming the field for bad input, nothing written. A
 * promotion reruns the store at once: the answer's `refresh` is that run (or why none started).
 */
export async function postOverride(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const { version: _version, ...input } = await readJsonBody(request, overrideBody);
  const override = await createOverride(await overrideDeps(), principal, store, input).catch(conflictAs409);
  const refresh = override.kind === 'promotion' ? await refreshAfterPromotion(context, principal, store) : undefined;
  return json(201, refresh === undefined ? override : { ...override, refresh }, { location: `/api/stores/${encodeURIComponent(store)}/overrides/${encodeURIComponent(override.id)}` });
}

app.http('post-override', { route: 'stores/{store}/overrides', methods: ['POST'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(postOverride) });
