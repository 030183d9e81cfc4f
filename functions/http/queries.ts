import { z } from 'zod';
import { badRequest, type ApiIssue } from './errors.js';
import type { ForecastQuery } from '../../core/domain/api-service.js';
import { TRANSPORT_UNITS, type TransportQuery } from '../../core/domain/transport.js';
import { SERVICE_LEVELS } from '../../engine/index.js';
import { ID_PATTERN, RUN_ID_PATTERN } from '../../core/domain/ids.js';
import { OVERRIDE_HISTORY_LIMIT } from '../../core/domain/override-service.js';
import { checkRange, historyDays, idList, isoDate, MAX_ITEMS, MAX_STORES, show } from './query-fields.js';

/** Query validation for the HTTP API; every parameter named in the OpenAPI document, nothing else. */

export const forecastQuery = z
  .object({
    stores: idList('stores', 'store', MAX_STORES),
    items: idList('items', 'item', MAX_ITEMS).optional(),
    from: isoDate('from').optional(),
    to: isoDate('to').optional(),
    historyDays: historyDays.optional(),
  })
  .strict()
  .superRefine(checkRange);

/** One of `choices`, or a 400 naming the parameter and what it may be. */
function oneOf<const T extends readonly string[]>(name: string, choices: T) {
  return z.string().transform((v, ctx): T[number] => {
    if ((choices as readonly string[]).includes(v)) return v;
    ctx.addIssue({ code: 'custom', message: `"${name}" must be one of ${choices.join(', ')} (got ${show(v)})` });
    return z.NEVER;
  });
}

export const transportQuery = z
  .object({
    stores: idList('stores', 'store', MAX_STORES),
    from: isoDate('from').optional(),
    to: isoDate('to').optional(),
    level: oneOf('level', SERVICE_LEVELS).default('p50'),
    unit: oneOf('unit', TRANSPORT_UNITS).default('units'),
  })
  .strict()
  .superRefine(checkRange);

/** GET /attention: every parameter optional (no stores = the caller's own); the domain type is checked in functions/get-attention.ts. */
export const attentionQuery = z
  .object({ stores: idList('stores', 'store', MAX_STORES).optional(), from: isoDate('from').optional(), to: isoDate('to').optional() })
  .strict()
  .superRefine(checkRange);

/** GET /stores/{store}/overrides/history: how many of the newest audit entries to answer (default 500). */
export const overrideHistoryQuery = z
  .object({
    limit: z
      .string()
      .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${OVERRIDE_HISTORY_LIMIT.max}`)
      .transform(Number)
      .pipe(z.number().int().min(1, 'must be at least 1').max(OVERRIDE_HISTORY_LIMIT.max, `must be at most ${OVERRIDE_HISTORY_LIMIT.max}`))
      .default(OVERRIDE_HISTORY_LIMIT.default),
  })
  .strict();

// The domain's query types are what these schemas produce; the compiler holds them together.
const _forecastQueryFits: ForecastQuery = {} as z.output<typeof forecastQuery>;
const _transportQueryFits: TransportQuery = {} as z.output<typeof transportQuery>;

/** Query string → object; a parameter given twice is an error (which one would win is a guess). */
export function parseQuery<S extends z.ZodType>(schema: S, params: Iterable<[string, string]>): z.output<S> {
  const raw: Record<string, string> = {};
  const issues: ApiIssue[] = [];
  for (const [k, v] of params) {
    if (k in raw) issues.push({ path: k, message: `"${k}" is given more than once` });
    raw[k] = v;
  }
  if (issues.length > 0) throw badRequest(issues.map((i) => i.message).join('; '), issues);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const found = parsed.error.issues.map((i): ApiIssue => {
    if (i.code === 'unrecognized_keys') return { path: i.keys.join(','), message: `unknown parameter${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` };
    const path = i.path.map(String).join('.');
    const message = i.code === 'invalid_type' && i.input === undefined ? `"${path}" is required` : i.message;
    return { path: path || '(query)', message: message.startsWith('"') || message.startsWith('at most') || message.startsWith('the range') ? message : `"${path}" ${message}` };
  });
  throw badRequest(found.map((i) => i.message).join('; '), found);
}

export function parseStoreParam(value: string | undefined): string {
  if (value === undefined || !ID_PATTERN.test(value)) throw badRequest(`${show(value ?? '')} is not a valid store id (1–64 letters, digits, "_", "." or "-")`, [{ path: 'store', message: 'invalid store id' }]);
  return value;
}

export function parseRunIdParam(value: string | undefined): string {
  if (value === undefined || !RUN_ID_PATTERN.test(value)) throw badRequest(`${show(value ?? '')} is not a valid run id`, [{ path: 'id', message: 'invalid run id' }]);
  return value;
}
