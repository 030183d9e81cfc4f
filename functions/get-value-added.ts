import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { apiContext, principalOf } from './http/context.js';
import { parseQuery } from './http/queries.js';
import { valueAddedQuery } from './http/override-requests.js';
import { valueAdded } from '../core/domain/override-service.js';

/**
 * GET /api/value-added?stores= — forecast value added per store and per planner over the last 4 and 13
 * weeks: WAPE of the model against WAPE of the adjusted numbers on the realised days an override applied.
 * Defaults to every store the caller sees.
 */
export async function getValueAdded(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const query = parseQuery(valueAddedQuery, new URL(request.url).searchParams.entries());
  const { deps } = await apiContext();
  return json(200, await valueAdded(deps, principal, query.stores));
}

app.http('get-value-added', { route: 'value-added', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getValueAdded) });
