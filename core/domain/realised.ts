import { formatIsoDay, parseIsoDay, type SeriesHistory } from '../../engine/index.js';
import type { RealisedDay } from '../ports/index.js';
import { itemViews, sumBands } from './api-views.js';
import type { ForecastRow } from './model.js';

/**
 * The days of an upload that a published forecast covered, as store totals: what was sold (all items
 * with a figure that day, from the merged history) against the forecast and its band (items combined as
 * in the transport view). This is what tells a planner whether to trust today's numbers, and an operator
 * that a model drifted — the backtest alone cannot.
 */
export function realisedDays(store: string, runId: string, rows: readonly ForecastRow[], uploaded: readonly SeriesHistory[], history: readonly SeriesHistory[]): RealisedDay[] {
  const band = sumBands(itemViews(rows));
  if (band === null) return [];
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
    out.push({ store, date: formatIsoDay(day), runId, actual: Math.round(actual * 1000) / 1000, forecast: band.forecast[k]!, p10: band.p10[k]!, p90: band.p90[k]! });
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
