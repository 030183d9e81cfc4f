import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { csv, csvStream, json, runsHeader } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { readRequest } from './http/context.js';
import { transportQuery } from './http/queries.js';
import { getTransport as readTransport } from '../core/domain/transport.js';
import { transportCsvLines } from './http/views.js';

/**
 * GET /api/transport?stores=&from=&to=&level=&unit= — per store and day the forecast units, and the
 * store-day total at a service level (p50…p95) in units, cases, pallets or trucks, with the region total.
 */
export async function getTransport(request: HttpRequest): Promise<HttpResponseInit> {
  const { principal, format, query, deps } = await readRequest(request, transportQuery);
  const result = await readTransport(deps, principal, query);
  const runs = runsHeader(result.stores);
  if (format === 'csv') return csv(csvStream(transportCsvLines(result.stores, result.level, result.unit)), runs);
  return json(200, { ...result, stores: result.stores.map(({ runId: _runId, ...rest }) => rest) }, { 'x-foreact-runs': runs });
}

app.http('get-transport', { route: 'transport', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getTransport) });
