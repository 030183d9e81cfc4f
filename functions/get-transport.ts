import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { csv, csvStream, json, runsHeader } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { readRequest } from './http/context.js';
import { transportQuery } from './http/queries.js';
import { getTransport as readTransport } from '../core/domain/transport.js';
import { transportCsvLines } from './http/views.js';

/** GET /api/transport?stores=&from=&to= — forecast units per store and day (summed over items). */
export async function getTransport(request: HttpRequest): Promise<HttpResponseInit> {
  const { principal, format, query, deps } = await readRequest(request, transportQuery);
  const result = await readTransport(deps, principal, query);
  const runs = runsHeader(result.stores);
  if (format === 'csv') return csv(csvStream(transportCsvLines(result.stores)), runs);
  return json(200, { ...result, stores: result.stores.map(({ runId: _runId, ...rest }) => rest) }, { 'x-foreact-runs': runs });
}

app.http('get-transport', { route: 'transport', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getTransport) });
