import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { apiContext, json, principalOf, withErrors } from '../core/adapters/azure/api-http.js';
import { ApiError } from '../core/domain/api-errors.js';
import { parseQuery, transportQuery } from '../core/domain/api-queries.js';
import { getTransport as readTransport } from '../core/domain/api-service.js';
import { negotiate, transportCsv } from '../core/domain/api-views.js';

/** GET /api/transport?stores=&from=&to= — forecast units per store and day (summed over items). */
export async function getTransport(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = principalOf(request);
  const format = negotiate(request.headers.get('accept'));
  if (format === undefined) throw new ApiError(406, 'not_acceptable', 'This endpoint answers application/json or text/csv.');
  const query = parseQuery(transportQuery, new URL(request.url).searchParams.entries());
  const { deps } = await apiContext();
  const result = await readTransport(deps, principal, query);
  const runs = result.stores.map((s) => `${s.store}=${s.runId ?? ''}`).join(',');
  if (format === 'csv') {
    return { status: 200, body: transportCsv(result.stores), headers: { 'content-type': 'text/csv; charset=utf-8', 'x-foreact-runs': runs, 'cache-control': 'no-store' } };
  }
  return json(200, { ...result, stores: result.stores.map(({ runId: _runId, ...rest }) => rest) }, { 'x-foreact-runs': runs });
}

app.http('get-transport', { route: 'transport', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getTransport) });
