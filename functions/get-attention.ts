import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { readRequest } from './http/context.js';
import { ApiError } from './http/errors.js';
import { attentionQuery } from './http/queries.js';
import { getAttention as readAttention, type AttentionQuery } from '../core/domain/attention.js';

// The domain's query type is what the schema produces; the compiler holds them together.
const _attentionQueryFits = (q: z.output<typeof attentionQuery>): AttentionQuery => q;

/**
 * GET /api/attention?stores=&from=&to= — what needs a planner's attention in their stores (all optional:
 * the caller's stores over their current forecasts). JSON only: a list to act on, not a table to export.
 */
export async function getAttention(request: HttpRequest): Promise<HttpResponseInit> {
  const { principal, format, query, deps } = await readRequest(request, attentionQuery);
  if (format !== 'json') throw new ApiError(406, 'not_acceptable', 'This endpoint answers application/json only.');
  return json(200, await readAttention(deps, principal, query));
}

app.http('get-attention', { route: 'attention', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getAttention) });
