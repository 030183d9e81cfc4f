import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { csv, csvStream, json, runsHeader } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { readRequest } from './http/context.js';
import { forecastQuery } from './http/queries.js';
import { getForecasts as readForecasts } from '../core/domain/api-service.js';
import { forecastsCsvLines } from './http/views.js';

/** GET /api/forecasts?stores=&items=&from=&to=&historyDays= — JSON, or CSV with `Accept: text/csv`. */
export async function getForecasts(request: HttpRequest): Promise<HttpResponseInit> {
  const { principal, format, query, deps } = await readRequest(request, forecastQuery);
  const result = await readForecasts(deps, principal, format === 'csv' ? { ...query, historyDays: 0 } : query);
  const runs = runsHeader(result.stores);
  if (format === 'csv') return csv(csvStream(forecastsCsvLines(result.stores)), runs, 'forecasts.csv');
  // The run ids travel in the header; the body is the documented ForecastResponse.
  return json(200, { from: result.from, to: result.to, stores: result.stores.map(({ runId: _runId, ...store }) => store) }, { 'x-foreact-runs': runs });
}

app.http('get-forecasts', { route: 'forecasts', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getForecasts) });
