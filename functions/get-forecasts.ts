import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { apiContext, json, principalOf, withErrors } from '../core/adapters/azure/api-http.js';
import { ApiError } from '../core/domain/api-errors.js';
import { forecastQuery, parseQuery } from '../core/domain/api-queries.js';
import { getForecasts as readForecasts } from '../core/domain/api-service.js';
import { forecastsCsv, negotiate } from '../core/domain/api-views.js';

/** GET /api/forecasts?stores=&items=&from=&to=&historyDays= — JSON, or CSV with `Accept: text/csv`. */
export async function getForecasts(request: HttpRequest): Promise<HttpResponseInit> {
  const principal = principalOf(request);
  const format = negotiate(request.headers.get('accept'));
  if (format === undefined) throw new ApiError(406, 'not_acceptable', 'This endpoint answers application/json or text/csv.');
  const query = parseQuery(forecastQuery, new URL(request.url).searchParams.entries());
  const { deps } = await apiContext();
  const result = await readForecasts(deps, principal, format === 'csv' ? { ...query, historyDays: 0 } : query);
  const runs = result.stores.map((s) => `${s.store}=${s.runId ?? ''}`).join(',');
  if (format === 'csv') {
    return { status: 200, body: forecastsCsv(result.stores), headers: { 'content-type': 'text/csv; charset=utf-8', 'x-foreact-runs': runs, 'cache-control': 'no-store', 'content-disposition': 'attachment; filename="forecasts.csv"' } };
  }
  return json(200, { from: result.from, to: result.to, stores: result.stores.map(({ runId: _runId, ...rest }) => rest) }, { 'x-foreact-runs': runs });
}

app.http('get-forecasts', { route: 'forecasts', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getForecasts) });
