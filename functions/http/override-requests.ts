import type { HttpRequest, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { ConcurrencyConflict } from '../../core/ports/index.js';
import type { OverrideDeps } from '../../core/domain/override-service.js';
import { ApiError, badRequest, type ApiIssue } from './errors.js';
import { startStoreRefresh } from './store-refresh-start.js';
import { apiContext } from './context.js';
import type { Principal } from '../../core/domain/api-access.js';
import { idList, isoDate, MAX_STORES, show } from './query-fields.js';
import { ID_PATTERN } from '../../core/domain/ids.js';
import { OVERRIDE_ID_PATTERN } from '../../core/domain/overrides.js';

/** The overrides routes' request parts: body and query shapes (the domain checks the rules), ids, conflicts. */

/** Bodies past this are refused before parsing (a note and 200 item ids fit many times over). */
const MAX_BODY_BYTES = 64 * 1024;

/** The shape of POST and PUT bodies; limits a little above the domain's, which names the field with its rule. */
export const overrideBody = z
  .object({
    from: isoDate('from'),
    to: isoDate('to'),
    items: z.array(z.string().regex(ID_PATTERN, 'is not a valid item id (1–64 letters, digits, "_", "." or "-")')).max(10_000).optional(),
    kind: z.enum(['percent', 'absolute', 'promotion']),
    /** Required for percent and absolute (the domain names it); a promotion's is the driver's value, by default its usual promoted one. */
    value: z.number().optional(),
    note: z.string().max(100_000),
    /** PUT: the version the planner edited; a newer stored version answers 409. */
    version: z.number().int().min(1).optional(),
  })
  .strict();

export const deleteQuery = z
  .object({ note: z.string().max(2000).optional(), version: z.string().regex(/^\d{1,9}$/, 'must be a whole number').transform(Number).optional() })
  .strict();

export const valueAddedQuery = z.object({ stores: idList('stores', 'store', MAX_STORES).optional() }).strict();

export function parseOverrideIdParam(value: string | undefined): string {
  if (value === undefined || !OVERRIDE_ID_PATTERN.test(value)) throw badRequest(`${show(value ?? '')} is not a valid override id`, [{ path: 'id', message: 'invalid override id' }]);
  return value;
}

function issuesOf(error: z.ZodError): ApiIssue[] {
  return error.issues.map((i): ApiIssue => {
    if (i.code === 'unrecognized_keys') return { path: i.keys.join(','), message: `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` };
    const path = i.path.map(String).join('.') || '(body)';
    const message = i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message;
    return { path, message: message.startsWith('"') ? message : `"${path}" ${message}` };
  });
}

/** A JSON body of the given shape: 400 naming each bad field, 413-like 400 past MAX_BODY_BYTES. */
export async function readJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>> {
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw badRequest(`The body is over ${MAX_BODY_BYTES} bytes.`, [{ path: '(body)', message: 'too large' }]);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw badRequest('The body is not JSON.', [{ path: '(body)', message: 'not JSON' }]);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error);
  throw badRequest(issues.map((i) => i.message).join('; '), issues);
}

/** A lost race with another planner's change: 409, to reload and retry. */
export function conflictAs409(error: unknown): never {
  if (error instanceof ConcurrencyConflict) throw new ApiError(409, 'conflict', 'Someone else changed this override meanwhile; reload it and try again.');
  throw error;
}

/**
 * A promotion override changes what the model is given, not the numbers: after a change the store reruns
 * at once, started or joined as POST /stores/{store}/refresh does (same orchestration, rate limit and run
 * ids), so the planner sees the result. The override is stored either way; when no refresh could start
 * (rate-limited, or the durable client failed) the answer says why and the next morning run applies it.
 */
export async function refreshAfterPromotion(context: InvocationContext, principal: Principal, store: string): Promise<PromotionRefresh> {
  try {
    const outcome = await startStoreRefresh(context, principal, store);
    if (outcome.kind === 'rate_limited') return { runId: null, statusUrl: null, error: `Too many refreshes: the store reruns with it in the next morning run, or refresh it in ${outcome.retryAfterSeconds} s.` };
    if (outcome.kind === 'unavailable') return { runId: null, statusUrl: null, error: 'Could not start the refresh: the store reruns with it in the next morning run, or refresh it.' };
    return { runId: outcome.runId, statusUrl: `/api/runs/${encodeURIComponent(outcome.runId)}`, status: outcome.status, joined: outcome.kind === 'joined' };
  } catch (error) {
    context.warn(`refresh after a promotion override of store ${store} failed to start`, error);
    return { runId: null, statusUrl: null, error: 'Could not start the refresh: the store reruns with it in the next morning run, or refresh it.' };
  }
}

export interface PromotionRefresh {
  runId: string | null;
  statusUrl: string | null;
  status?: string;
  joined?: boolean;
  error?: string;
}

/** The overrides service's deps: the API's, and the store's overrides table. */
export async function overrideDeps(): Promise<OverrideDeps> {
  const { deps, storage } = await apiContext();
  if (storage.overrides === undefined) throw new ApiError(503, 'unavailable', 'Overrides are not configured.');
  return { api: deps, overrides: storage.overrides };
}
