import { z } from 'zod';
import { parseIsoDay } from '../../engine/index.js';
import { ID_PATTERN } from '../../core/domain/ids.js';

/** The query parameters' parts: id lists, dates and day counts, with the bounds the OpenAPI document states. */

export const MAX_STORES = 50;
export const MAX_ITEMS = 500;
export const MAX_RANGE_DAYS = 366;

export const show = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

export function idList(name: string, what: string, max: number) {
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

export const isoDate = (name: string) =>
  z.string().superRefine((v, ctx) => {
    if (parseIsoDay(v) === undefined) ctx.addIssue({ code: 'custom', message: `"${name}" must be a date like 2017-07-01, got ${show(v)}` });
  });

export const historyDays = z
  .string()
  .regex(/^\d{1,3}$/, 'must be a whole number from 0 to 364')
  .transform(Number)
  .pipe(z.number().int().min(0, 'must be at least 0').max(364, 'must be at most 364'));

export function checkRange(q: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx): void {
  const from = q.from === undefined ? undefined : parseIsoDay(q.from);
  const to = q.to === undefined ? undefined : parseIsoDay(q.to);
  if (from === undefined || to === undefined) return;
  if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: `"from" (${q.from}) is after "to" (${q.to})` });
  else if (to - from + 1 > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range ${q.from}…${q.to} is ${to - from + 1} days; at most ${MAX_RANGE_DAYS}` });
}
