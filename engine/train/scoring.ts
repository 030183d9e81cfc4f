import { irregularClosure, markedDays } from '../artifact.js';
import type { CalendarConfig } from '../models/index.js';
import { forEachScored, type Backtest } from './backtest.js';
import { SeriesAtCut, type Candidate } from './candidates.js';
import type { CutState } from './cut.js';
import type { StoreData } from './store.js';

export interface FoldRecord {
  actual: Float64Array;
  scale: number;
  /** One forecast per candidate family, in `families` order. */
  forecasts: Float64Array[];
  /** 1 on days a driver moves the item's sales (promotion, event, the days after a closure): their intervals are calibrated apart. */
  marked?: Uint8Array;
}

/**
 * Step 4, candidates scored: every candidate's forecast of every series on every fold, with the store's
 * calendar settings and effects. Per series, one record per fold (undefined where it is not scored).
 */
export function scoreCandidates(data: StoreData, backtest: Backtest, cuts: readonly CutState[], candidates: readonly Candidate[], calendarConfig: CalendarConfig): (FoldRecord | undefined)[][] {
  const records: (FoldRecord | undefined)[][] = data.series.map(() => backtest.origins.map(() => undefined));
  forEachScored(backtest, cuts, (cut, k, fold, actual, scale) => {
    const series = new SeriesAtCut(data, cut, k);
    const record: FoldRecord = { actual, scale, forecasts: series.forecasts(candidates, calendarConfig, backtest.horizon) };
    const { cutoff, closedWeekdays, closedMonthDays } = cut.origin;
    const marked = markedDays(backtest.horizon, cutoff, series.driverMultiplier(backtest.horizon), irregularClosure(data.view, data.series[k]!.item, closedWeekdays, closedMonthDays));
    if (marked !== undefined) record.marked = marked;
    records[k]![fold] = record;
  });
  return records;
}

/** The mean of a mix's forecasts (a single forecast as it is). */
export function mean(arrays: readonly Float64Array[]): Float64Array {
  if (arrays.length === 1) return arrays[0]!;
  const out = new Float64Array(arrays[0]!.length);
  for (const a of arrays) for (let s = 0; s < out.length; s++) out[s]! += a[s]! / arrays.length;
  return out;
}

const mixForecasts = new WeakMap<FoldRecord, Map<string, Float64Array>>();

/**
 * A chosen mix's forecast on a fold record. The steps after the mix is chosen (calibration, the store's
 * backtest WAPE, the totals model) each ask for the same one; read-only to callers.
 */
export function mixForecast(record: FoldRecord, mix: readonly number[]): Float64Array {
  let byMix = mixForecasts.get(record);
  if (byMix === undefined) mixForecasts.set(record, (byMix = new Map<string, Float64Array>()));
  const key = mix.join(',');
  let forecast = byMix.get(key);
  if (forecast === undefined) byMix.set(key, (forecast = mean(mix.map((m) => record.forecasts[m]!))));
  return forecast;
}
