import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { apiContext, principalOf } from './http/context.js';
import { me } from '../core/domain/api-service.js';

/** GET /api/me — the caller, their role, regions and visible stores. */
export async function getMe(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const { deps } = await apiContext();
  return json(200, await me(deps, principal));
}

app.http('get-me', { route: 'me', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getMe) });
