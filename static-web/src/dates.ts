import type { IsoDate } from './api';

const DAY_MS = 86_400_000;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 (UTC) of an ISO date, or undefined when it is not a real calendar date. */
export function parseIsoDay(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

export function isIsoDate(text: string): boolean {
  return parseIsoDay(text) !== undefined;
}

export function isoFromDay(day: number): IsoDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function dayOf(date: IsoDate): number {
  const day = parseIsoDay(date);
  if (day === undefined) throw new Error(`not an ISO date: ${date}`);
  return day;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return isoFromDay(dayOf(date) + days);
}

/** b − a in days. */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return dayOf(b) - dayOf(a);
}

/** Consecutive dates starting at `first`. */
export function dateRange(first: IsoDate, count: number): IsoDate[] {
  const start = dayOf(first);
  return Array.from({ length: Math.max(0, count) }, (_, i) => isoFromDay(start + i));
}

/** Unix seconds of the date's UTC midnight (uPlot's x values). */
export function unixSeconds(date: IsoDate): number {
  return dayOf(date) * 86_400;
}

export function minDate(dates: readonly (IsoDate | null | undefined)[]): IsoDate | undefined {
  let best: IsoDate | undefined;
  for (const d of dates) if (d && (best === undefined || d < best)) best = d;
  return best;
}

export function maxDate(dates: readonly (IsoDate | null | undefined)[]): IsoDate | undefined {
  let best: IsoDate | undefined;
  for (const d of dates) if (d && (best === undefined || d > best)) best = d;
  return best;
}
