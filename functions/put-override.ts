import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { durableClientInput } from './http/durable-client.js';
import { principalOf } from './http/context.js';
import { parseStoreParam } from './http/queries.js';
import { conflictAs409, overrideBody, overrideDeps, refreshAfterPromotion, parseOverrideIdParam, readJsonBody } from './http/override-requests.js';
import { editOverrideFrom } from '../core/domain/override-service.js';

/**
 * PUT /api/stores/{store}/overrides/{id} — replaces an override (body as POST; `version`, when sent, must be
 * the stored one: 409 otherwise), with an `edit` audit entry. 200 with the override.
 */
export async function putOverride(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const id = parseOverrideIdParam(request.params.id);
  const { version, ...input } = await readJsonBody(request, overrideBody);
  const { before, after } = await editOverrideFrom(await overrideDeps(), principal, store, id, input, version).catch(conflictAs409);
  // A promotion added or taken away changes what the model is given: the store reruns.
  const refresh = before.kind === 'promotion' || after.kind === 'promotion' ? await refreshAfterPromotion(context, principal, store) : undefined;
  return json(200, refresh === undefined ? after : { ...after, refresh });
}

app.http('put-override', { route: 'stores/{store}/overrides/{id}', methods: ['PUT'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(putOverride) });
