import { z } from 'zod';
import { parseIsoDay } from '../../engine/index.js';
import { badRequest, type ApiIssue } from './errors.js';
import type { ForecastQuery, TransportQuery } from '../../core/domain/api-service.js';
import { ID_PATTERN, RUN_ID_PATTERN } from '../../core/domain/ids.js';

/** Query validation for the HTTP API; every parameter named in the OpenAPI document, nothing else. */

export const MAX_STORES = 50;
export const MAX_ITEMS = 500;
export const MAX_RANGE_DAYS = 366;

const show = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

function idList(name: string, what: string, max: number) {
  return z
    .string()
    .transform((text, ctx) => {
      const parts = text.split(',').map((s) => s.trim());
      if (text.trim() === '' || parts.some((p) => p === '')) {
        ctx.addIssue({ code: 'custom', message: `"${name}" must be a comma-separated list of ${what} ids, like ${name}=1,2 (got ${show(text)})` });
        return z.NEVER;
      }
      const unique = [...new Set(parts)];
      if (unique.length > max) {
        ctx.addIssue({ code: 'custom', message: `at most ${max} ${what}s per request, got ${unique.length}` });
        return z.NEVER;
      }
      const bad = unique.find((p) => !ID_PATTERN.test(p));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${show(bad)} is not a valid ${what} id (1–64 letters, digits, "_", "." or "-")` });
        return z.NEVER;
      }
      return unique;
    });
}

const isoDate = (name: string) =>
  z.string().superRefine((v, ctx) => {
    if (parseIsoDay(v) === undefined) ctx.addIssue({ code: 'custom', message: `"${name}" must be a date like 2017-07-01, got ${show(v)}` });
  });

const historyDays = z
  .string()
  .regex(/^\d{1,3}$/, 'must be a whole number from 0 to 364')
  .transform(Number)
  .pipe(z.number().int().min(0, 'must be at least 0').max(364, 'must be at most 364'));

function checkRange(q: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void {
  const from = q.from === undefined ? undefined : parseIsoDay(q.from);
  const to = q.to === undefined ? undefined : parseIsoDay(q.to);
  if (from === undefined || to === undefined) return;
  if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: `"from" (${q.from}) is after "to" (${q.to})` });
  else if (to - from + 1 > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range ${q.from}…${q.to} is ${to - from + 1} days; at most ${MAX_RANGE_DAYS}` });
}

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

export const transportQuery = z
  .object({ stores: idList('stores', 'store', MAX_STORES), from: isoDate('from').optional(), to: isoDate('to').optional() })
  .strict()
  .superRefine(checkRange);

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
