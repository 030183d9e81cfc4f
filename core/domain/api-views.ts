import type { ForecastRow, StoreState } from './model.js';
import { formatIsoDay, openColumn, parseIsoDay, type EpochDay, type StoreDrivers } from '../../engine/index.js';

/** Response bodies of the HTTP API, built from storage records (shapes: docs/openapi.yaml). */

export interface FreshnessView {
  currentRunId: string | null;
  generatedAt: string | null;
  origin: string | null;
  forecastFrom: string | null;
  forecastTo: string | null;
  stale: boolean;
  staleReason: string | null;
}

export interface AccuracyView {
  rmsse: number | null;
  smape: number | null;
  horizon: number;
  folds: number;
}

const DAY_MS = 86_400_000;
export const MAX_AGE_MS = DAY_MS;

export function freshnessView(state: StoreState | undefined, now: Date): FreshnessView {
  const c = state?.current;
  if (c === undefined) {
    return { currentRunId: null, generatedAt: null, origin: null, forecastFrom: null, forecastTo: null, stale: true, staleReason: state?.staleReason ?? 'This store has no forecast yet.' };
  }
  const first = parseIsoDay(c.firstDay);
  let reason: string | null = null;
  if (state?.stale === true) reason = state.staleReason ?? 'The latest refresh did not complete; this is the previous forecast.';
  else if (state?.lastRun?.status === 'failed') reason = `The latest refresh failed${state.lastRun.error ? `: ${state.lastRun.error}` : ''}; this is the previous forecast.`;
  else if (now.getTime() - Date.parse(c.generatedAt) > MAX_AGE_MS) reason = `The forecast is more than a day old (generated ${c.generatedAt}).`;
  return {
    currentRunId: c.runId,
    generatedAt: c.generatedAt,
    origin: first === undefined ? null : formatIsoDay(first - 1),
    forecastFrom: first === undefined ? null : c.firstDay,
    forecastTo: first === undefined ? null : formatIsoDay(first + Math.max(1, c.horizon) - 1),
    stale: reason !== null,
    staleReason: reason === null ? null : reason.slice(0, 500),
  };
}

export function accuracyView(state: StoreState | undefined, folds: number): AccuracyView | null {
  const c = state?.current;
  if (c === undefined) return null;
  const ok = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
  const smape = ok(c.accuracy.smape);
  return { rmsse: ok(c.accuracy.rmsse), smape: smape === null ? null : Math.min(200, smape), horizon: c.horizon, folds };
}

/** Numeric ids numerically, then the rest as strings. */
export function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Band {
  firstDate: string;
  forecast: number[];
  p10: number[];
  p90: number[];
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * Sums daily bands; intervals combined assuming independence:
 * p10 = max(0, units − √Σ(f−p10)²), p90 = units + √Σ(p90−f)².
 */
export function sumBands(bands: readonly Band[]): Band | null {
  let first = Infinity;
  let last = -Infinity;
  for (const b of bands) {
    const d = parseIsoDay(b.firstDate);
    if (d === undefined || b.forecast.length === 0) continue;
    first = Math.min(first, d);
    last = Math.max(last, d + b.forecast.length - 1);
  }
  if (!Number.isFinite(first)) return null;
  const n = last - first + 1;
  const units = new Float64Array(n);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  for (const b of bands) {
    const d = parseIsoDay(b.firstDate);
    if (d === undefined) continue;
    for (let i = 0; i < b.forecast.length; i++) {
      const k = d - first + i;
      const f = b.forecast[i]!;
      units[k] = units[k]! + f;
      lo[k] = lo[k]! + (f - (b.p10[i] ?? f)) ** 2;
      hi[k] = hi[k]! + ((b.p90[i] ?? f) - f) ** 2;
    }
  }
  const forecast: number[] = [];
  const p10: number[] = [];
  const p90: number[] = [];
  for (let k = 0; k < n; k++) {
    const u = round(units[k]!);
    forecast.push(u);
    p10.push(Math.min(u, Math.max(0, round(units[k]! - Math.sqrt(lo[k]!)))));
    p90.push(Math.max(u, round(units[k]! + Math.sqrt(hi[k]!))));
  }
  return { firstDate: formatIsoDay(first), forecast, p10, p90 };
}

export interface ItemForecastView {
  item: string;
  firstDate: string;
  forecast: number[];
  p10: number[];
  p90: number[];
}

export function itemViews(rows: readonly ForecastRow[]): ItemForecastView[] {
  return rows
    .map((r) => ({ item: r.item, firstDate: r.firstDay, forecast: r.forecast, p10: r.p10, p90: r.p90 }))
    .sort((a, b) => compareIds(a.item, b.item));
}

export interface DriverMarker {
  date: string;
  kind: 'closed' | 'promotion' | 'event';
  label: string;
  /** For promotions (and item-level events): the items concerned. */
  items?: string[];
}

/**
 * What a planner should see on each day of [fromDay, toDay]: closures, promotions (numeric item-level
 * drivers above their usual value, with the items) and events (text drivers, and store-wide numeric flags
 * such as a benefit day). Prices are not markers.
 */
export function driverMarkers(drivers: StoreDrivers, fromDay: EpochDay, toDay: EpochDay): DriverMarker[] {
  const markers: DriverMarker[] = [];
  const open = openColumn(drivers);
  const baseline = drivers.columns.map((column, c) => (column.kind === 'numeric' ? usualValue(drivers, c) : Number.NaN));
  for (let day = fromDay; day <= toDay; day++) {
    const date = formatIsoDay(day);
    const i = day - drivers.firstDay;
    if (i < 0 || day > drivers.lastDay) continue;
    if (open >= 0 && drivers.storeValues[open]![i] === 0) markers.push({ date, kind: 'closed', label: 'closed' });
    drivers.columns.forEach((column, c) => {
      if (c === open || column.scale === 'log') return;
      const storeValue = drivers.storeValues[c]![i]!;
      if (column.kind === 'categorical') {
        if (storeValue >= 0) markers.push({ date, kind: 'event', label: drivers.labels[c]![storeValue]! });
        const byLabel = new Map<number, string[]>();
        for (const [item, columns] of drivers.items) {
          const v = columns[c]?.[i];
          if (v !== undefined && v >= 0 && v !== storeValue) byLabel.set(v, [...(byLabel.get(v) ?? []), item]);
        }
        for (const [code, items] of byLabel) markers.push({ date, kind: 'event', label: drivers.labels[c]![code]!, items });
        return;
      }
      if (storeValue > baseline[c]!) markers.push({ date, kind: 'event', label: column.name });
      const promoted: string[] = [];
      for (const [item, columns] of drivers.items) {
        const v = columns[c]?.[i];
        if (v !== undefined && v > baseline[c]! && !(storeValue > baseline[c]!)) promoted.push(item);
      }
      if (promoted.length > 0) markers.push({ date, kind: 'promotion', label: column.name, items: promoted.sort() });
    });
  }
  return markers;
}

/** The most frequent value of a numeric column (usually 0: no promotion). */
function usualValue(drivers: StoreDrivers, c: number): number {
  const counts = new Map<number, number>();
  const count = (values: Float64Array | undefined): void => {
    if (values === undefined) return;
    for (const v of values) if (v === v) counts.set(v, (counts.get(v) ?? 0) + 1);
  };
  count(drivers.storeValues[c]);
  for (const columns of drivers.items.values()) count(columns[c]);
  let best = 0;
  let bestCount = -1;
  for (const [value, n] of counts) if (n > bestCount || (n === bestCount && value < best)) [best, bestCount] = [value, n];
  return best;
}
