import type { Accuracy, IsoDate, RealisedAccuracy } from './api';
import { parseIsoDay } from './dates';

export const defaultLocale = (): string => (typeof navigator !== 'undefined' && navigator.language) || 'en-US';

const cache = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string, digits: number): Intl.NumberFormat {
  const key = `${locale}|${digits}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    cache.set(key, f);
  }
  return f;
}

/** Units for people: whole units from 10 up, one decimal below (a forecast of 2.4 is not "2"). */
export function formatUnits(value: number | null | undefined, locale = defaultLocale()): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return numberFormat(locale, Math.abs(value) >= 10 ? 0 : 1).format(value);
}

/** `2,340 (2,100–2,610)` */
export function formatBand(value: number, p10: number, p90: number, locale = defaultLocale()): string {
  return `${formatUnits(value, locale)} (${formatUnits(p10, locale)}–${formatUnits(p90, locale)})`;
}

/** `Mon 3 Jul` in UTC (dates are calendar days, not instants). */
export function formatDay(date: IsoDate, locale = defaultLocale()): string {
  const day = parseIsoDay(date);
  if (day === undefined) return date;
  return new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(day * 86_400_000));
}

export function formatShortDay(date: IsoDate, locale = defaultLocale()): string {
  const day = parseIsoDay(date);
  if (day === undefined) return date;
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(day * 86_400_000));
}

export function formatDateTime(iso: string, locale = defaultLocale(), timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(d);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago" — `now` injectable for tests. */
export function formatAge(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  const d = Math.floor(h / 24);
  return `${d} days ago`;
}

/** Elapsed time of a run: `42 s`, `1 min 05 s`, `1 h 02 min`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m < 60) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export type AccuracyGrade = 'good' | 'fair' | 'poor' | 'unknown';

/**
 * A small verdict on backtest accuracy a planner can read at a glance. RMSSE comes first: it is scale-free
 * and fair to slow sellers (< 1 beats a naive forecast), whereas a store's SMAPE is dominated by its few
 * intermittent items, where any non-zero forecast of a zero day scores 200 %. SMAPE is the fallback.
 */
export function accuracyGrade(a: Accuracy | null | undefined): AccuracyGrade {
  if (!a) return 'unknown';
  if (a.rmsse !== null) return a.rmsse <= 0.8 ? 'good' : a.rmsse <= 1.1 ? 'fair' : 'poor';
  if (a.smape !== null) return a.smape <= 15 ? 'good' : a.smape <= 30 ? 'fair' : 'poor';
  return 'unknown';
}

export function accuracyLabel(a: Accuracy | null | undefined, locale = defaultLocale()): string {
  if (!a || (a.smape === null && a.rmsse === null)) return 'Accuracy not measured yet';
  const parts: string[] = [];
  if (a.smape !== null) parts.push(`SMAPE ${numberFormat(locale, 1).format(a.smape)} %`);
  if (a.rmsse !== null) parts.push(`RMSSE ${numberFormat(locale, 2).format(a.rmsse)}`);
  return parts.join(' · ');
}

export function accuracyDescription(a: Accuracy | null | undefined): string {
  const grade = accuracyGrade(a);
  if (!a || grade === 'unknown') return 'The model has not been backtested yet.';
  const verdict = { good: 'Good', fair: 'Fair', poor: 'Poor' }[grade];
  return `${verdict} backtest accuracy over ${a.folds} ${a.folds === 1 ? 'fold' : 'folds'} of ${a.horizon} days (lower is better).`;
}

export function storeLabel(store: { store: string; name: string | null }): string {
  return store.name ? `${store.name} (${store.store})` : `Store ${store.store}`;
}

/** "Last 7 days: WAPE 9 %, 6 of 7 days inside the band": how the forecast did against what sold. */
export function realisedLabel(r: RealisedAccuracy | null | undefined, locale = defaultLocale()): string | null {
  if (!r) return null;
  const wape = r.wape === null ? 'nothing sold' : `WAPE ${numberFormat(locale, 0).format(r.wape * 100)} %`;
  return `Last ${r.days} day${r.days === 1 ? '' : 's'}: ${wape}, ${r.inside} of ${r.days} inside the band`;
}
