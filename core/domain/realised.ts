import { formatIsoDay, parseIsoDay, sumQuantiles, type SeriesHistory } from '../../engine/index.js';
import type { RealisedDay } from '../ports/index.js';
import { itemViews, sumBands } from './api-views.js';
import type { ForecastRow } from './model.js';
import { adjustItems, type Override } from './overrides.js';

/** What else a realised day records: the overrides in force at ingestion, and the store's item dependence. */
export interface RealisedContext {
  overrides?: readonly Override[];
  /** CurrentForecast.totals.rho of the run (0 without: items independent). */
  rho?: number;
}

/**
 * The days of an upload that a published forecast covered, as store totals: what was sold (all items
 * with a figure that day, from the merged history) against the forecast and its band (items combined as
 * in the transport view). This is what tells a planner whether to trust today's numbers, and an operator
 * that a model drifted — the backtest alone cannot. Each day also keeps the quantiles of its total (the
 * transport view's calibration: the share of actual totals below each) and, when an override in force
 * touched it, the adjusted total and who adjusted it (forecast value added).
 */
export function realisedDays(store: string, runId: string, rows: readonly ForecastRow[], uploaded: readonly SeriesHistory[], history: readonly SeriesHistory[], context: RealisedContext = {}): RealisedDay[] {
  const items = itemViews(rows);
  const band = sumBands(items);
  if (band === null) return [];
  // The adjusted store-day totals are summed as the model's are: each item's adjusted numbers in place of its forecast.
  const adjusted = context.overrides === undefined || context.overrides.length === 0 ? null : sumBands(adjustItems(items, context.overrides).map((i) => ({ ...i, forecast: i.adjusted ?? i.forecast })));
  const known = new Set(items.map((i) => i.item));
  const starts = items.map((i) => parseIsoDay(i.firstDate));
  const rho = context.rho ?? 0;
  const first = parseIsoDay(band.firstDate)!;
  const days = new Set<number>();
  for (const s of uploaded) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i]!) && s.startDay + i >= first && s.startDay + i < first + band.forecast.length) days.add(s.startDay + i);
  const out: RealisedDay[] = [];
  for (const day of [...days].sort((a, b) => a - b)) {
    let actual = 0;
    for (const s of history) {
      const v = s.values[day - s.startDay];
      if (v !== undefined && Number.isFinite(v)) actual += v;
    }
    const k = day - first;
    const date = formatIsoDay(day);
    const parts = items.flatMap((item, n) => {
      const i = day - (starts[n] ?? Number.NaN);
      return i >= 0 && i < item.forecast.length ? [{ mean: item.forecast[i]!, p10: item.p10[i]!, p90: item.p90[i]! }] : [];
    });
    const { quantiles } = sumQuantiles(parts, rho);
    const round = (v: number): number => Math.round(v * 1000) / 1000;
    const realised: RealisedDay = { store, date, runId, actual: round(actual), forecast: band.forecast[k]!, p10: band.p10[k]!, p90: band.p90[k]!, quantiles: { p50: round(quantiles.p50), p80: round(quantiles.p80), p90: round(quantiles.p90), p95: round(quantiles.p95) } };
    // A promotion override has no adjusted numbers (its uplift is in the model's): no value added to weigh.
    const touching = (context.overrides ?? []).filter((o) => o.kind !== 'promotion' && o.from <= date && date <= o.to && (o.items === undefined || o.items.some((i) => known.has(i))));
    if (adjusted !== null && touching.length > 0) {
      realised.adjusted = adjusted.forecast[k]!;
      realised.adjustedBy = [...new Set(touching.map((o) => o.by))].sort();
    }
    out.push(realised);
  }
  return out;
}

/**
 * The window of realised accuracy: the store's last this many days with actuals. The store card shows it
 * and the accuracy alert reads it (`foreact.store.realised_wape`), so the two always agree.
 */
export const REALISED_WINDOW_DAYS = 7;

export interface RealisedSummary {
  days: number;
  /** Weighted absolute percentage error: Σ|forecast − actual| / Σ actual (null when nothing sold). */
  wape: number | null;
  /** Σ(forecast − actual) / Σ actual: positive = over-forecast. */
  bias: number | null;
  /** Days whose actual fell inside p10–p90. */
  inside: number;
  from: string;
  to: string;
}

export function realisedSummary(days: readonly RealisedDay[]): RealisedSummary | null {
  if (days.length === 0) return null;
  let error = 0;
  let signed = 0;
  let sold = 0;
  let inside = 0;
  for (const d of days) {
    error += Math.abs(d.forecast - d.actual);
    signed += d.forecast - d.actual;
    sold += d.actual;
    if (d.actual >= d.p10 && d.actual <= d.p90) inside++;
  }
  const ratio = (v: number): number | null => (sold > 0 ? Math.round((v / sold) * 10_000) / 10_000 : null);
  return { days: days.length, wape: ratio(error), bias: ratio(signed), inside, from: days[0]!.date, to: days[days.length - 1]!.date };
}
