import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { principalOf } from './http/context.js';
import { parseStoreParam } from './http/queries.js';
import { conflictAs409, overrideBody, overrideDeps, parseOverrideIdParam, readJsonBody } from './http/override-requests.js';
import { editOverride } from '../core/domain/override-service.js';

/**
 * PUT /api/stores/{store}/overrides/{id} — replaces an override (body as POST; `version`, when sent, must be
 * the stored one: 409 otherwise), with an `edit` audit entry. 200 with the override.
 */
export async function putOverride(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const id = parseOverrideIdParam(request.params.id);
  const { version, ...input } = await readJsonBody(request, overrideBody);
  const override = await editOverride(await overrideDeps(), principal, store, id, input, version).catch(conflictAs409);
  return json(200, override);
}

app.http('put-override', { route: 'stores/{store}/overrides/{id}', methods: ['PUT'], authLevel: 'anonymous', handler: withErrors(putOverride) });
