import type { CalendarTable } from '../calendar.js';
import { closedWeekdays, recurringClosures } from '../closures.js';
import type { EpochDay } from '../dates.js';
import { effectMultipliers, estimateEffects, hasEffects, itemEffects, type DriverView, type EffectConfig, type ItemEffects, type StoreEffects } from '../effects.js';
import type { CalendarConfig, FitInput, StoreSignals } from '../models/index.js';
import { FLAT_FACTORS, addSums, emptySums, seasonalSums, shapeAt, shrinkFactors, type SeasonalFactors, type SeasonalSums } from '../seasonality.js';
import type { StoreData } from './store.js';

const FACTOR_WINDOW = 3 * 365;
const WEEKDAY_PRIOR_UNITS = 500;
const MONTH_PRIOR_UNITS = 5000;
/** A pay-cycle shape needs a store's worth of sales per day of month before it is believed. */
const DAY_OF_MONTH_PRIOR_UNITS = 20000;
export const LEVEL_WINDOWS = [28, 91, 182, 365];
const MAX_LOG_GROWTH_PER_DAY = Math.log(1.5) / 365;
/** The longest window the calendar level reads (365 days), with a margin. */
const TRIAL_LEVEL_DAYS = 400;

export interface OriginSeries {
  y: Float64Array;
  startDay: EpochDay;
  shrunk: SeasonalFactors;
}

/** What the store's plain history says at one cut: seasonal shapes, store signals, closures. */
export interface Origin {
  cutoff: EpochDay;
  pooled: SeasonalFactors;
  signals: StoreSignals;
  closedMonthDays: number[];
  /** Weekdays (0 = Sunday) the store has been closed on every week recently. */
  closedWeekdays: number[];
  series: (OriginSeries | undefined)[];
}

/** The same cut with the driver effects (estimated up to the cut) taken out of the history. */
export interface DriverOrigin {
  origin: Origin;
  effects: StoreEffects;
  items: ItemEffects[];
}

/**
 * Everything the candidates forecast from at one cut (a backtest fold's, or the final one at the store's last
 * day), fitted on data up to the cut only. A model fitted once per cut across all the store's items, rather
 * than per series, belongs here beside the origins.
 */
export interface CutState {
  origin: Origin;
  driverOrigin: DriverOrigin | undefined;
  /** The learned family's forecast of each series from this cut (engine/train/learned.ts), when it is a candidate. */
  learned?: (Float64Array | undefined)[];
}

export function prepareOrigin(data: StoreData, cutoff: EpochDay, maskedValues: readonly Float64Array[] = data.masked): Origin {
  const pooledSums = emptySums();
  const own: (SeasonalSums | undefined)[] = [];
  const trimmed: ({ y: Float64Array; startDay: EpochDay } | undefined)[] = [];
  data.series.forEach((s, k) => {
    const end = Math.min(s.values.length - 1, cutoff - s.startDay);
    const values = maskedValues[k]!;
    let first = 0;
    while (first <= end && !(values[first]! > 0)) first++;
    if (end < 0) {
      trimmed.push(undefined);
      own.push(undefined);
      return;
    }
    const y = values.subarray(first, end + 1);
    const startDay = s.startDay + first;
    trimmed.push({ y, startDay });
    const sums = seasonalSums(y, startDay, Math.max(0, y.length - FACTOR_WINDOW), y.length - 1, data.cal);
    own.push(sums);
    addSums(pooledSums, sums);
  });
  // A store of only thin items has no reliable shape either: its shape leans toward flat in the same way.
  const pooled = shrinkFactors(pooledSums, FLAT_FACTORS, WEEKDAY_PRIOR_UNITS, MONTH_PRIOR_UNITS, DAY_OF_MONTH_PRIOR_UNITS);
  const series = trimmed.map((t, k): OriginSeries | undefined => (t === undefined ? undefined : { ...t, shrunk: shrinkFactors(own[k]!, pooled, WEEKDAY_PRIOR_UNITS, MONTH_PRIOR_UNITS) }));
  return {
    cutoff,
    pooled,
    signals: storeSignals(series, cutoff, pooled, data.cal),
    closedMonthDays: recurringClosures(data.closedDays, data.firstDay, cutoff, data.cal),
    closedWeekdays: closedWeekdays(data.closedDays, data.sellingDays, data.firstDay, cutoff),
    series,
  };
}

/**
 * Driver effects estimated from the history up to `cutoff` only, then taken out of that history so the
 * families fit what sales would have been without promotions and events.
 */
export function prepareDriverOrigin(data: StoreData, view: DriverView, cutoff: EpochDay, config: EffectConfig, options: { shapesOf?: Origin; effects?: StoreEffects } = {}): DriverOrigin {
  const effects = options.effects ?? estimateEffects(view, data.series.map((s, k) => ({ item: s.item, values: data.masked[k]!, startDay: s.startDay })), cutoff, config);
  const items = data.series.map((s) => itemEffects(effects, s.item));
  /** Sales of series k from index `from` up to the cut, divided by the driver effects. */
  const deflate = (k: number, from: number): Float64Array => {
    const s = data.series[k]!;
    const masked = data.masked[k]!;
    const end = Math.max(from, Math.min(masked.length, cutoff - s.startDay + 1));
    if (!hasEffects(items[k]!)) return masked.subarray(from, end);
    const multiplier = effectMultipliers(items[k]!, view, s.item, s.startDay + from, end - from);
    const out = masked.slice(from, end);
    for (let i = 0; i < out.length; i++) out[i]! /= multiplier[i]!;
    return out;
  };
  const shapesOf = options.shapesOf;
  if (shapesOf === undefined) return { origin: prepareOrigin(data, cutoff, data.series.map((_, k) => deflate(k, 0))), effects, items };
  // Trials of the optional effects only compare calendar levels (a year at most): they keep the cut's seasonal
  // shapes and store signals, and take the effects out of the last TRIAL_LEVEL_DAYS only.
  const series = shapesOf.series.map((o, k) => {
    if (o === undefined) return undefined;
    const tail = Math.min(o.y.length, TRIAL_LEVEL_DAYS);
    const from = o.startDay - data.series[k]!.startDay + o.y.length - tail;
    return { ...o, y: deflate(k, from), startDay: o.startDay + o.y.length - tail };
  });
  return { origin: { ...shapesOf, series }, effects, items };
}

/** The state at one cut: the plain origin, and with drivers and chosen effects the driver-free one too. */
export function cutState(data: StoreData, cutoff: EpochDay, effectConfig: EffectConfig | undefined): CutState {
  const origin = prepareOrigin(data, cutoff);
  const driverOrigin = data.view === undefined || effectConfig === undefined ? undefined : prepareDriverOrigin(data, data.view, cutoff, effectConfig);
  return { origin, driverOrigin };
}

/** Days after `origin` forecast as exactly 0: known closures (open = 0) and weekdays the store keeps closed. */
export function zeroDays(data: StoreData, origin: Origin, item: string, horizon: number): Uint8Array | undefined {
  if (origin.closedWeekdays.length === 0 && data.view === undefined) return undefined;
  const zero = new Uint8Array(horizon);
  for (let s = 0; s < horizon; s++) {
    const day = origin.cutoff + 1 + s;
    const weekdayClosed = origin.closedWeekdays.includes(data.cal.weekday[day - data.cal.firstDay]!);
    if (data.view?.closed(item, day) === true || (weekdayClosed && data.view?.explicitlyOpen(item, day) !== true)) zero[s] = 1;
  }
  return zero;
}

/** Store-wide recent movement and year-over-year growth, from items with a full history in the window. */
function storeSignals(series: readonly (OriginSeries | undefined)[], cutoff: EpochDay, pooled: SeasonalFactors, cal: CalendarTable): StoreSignals {
  const windows = [...LEVEL_WINDOWS, 730];
  const sales = new Float64Array(windows.length);
  const shape = new Float64Array(windows.length);
  // One ascending pass over the longest window feeds every shorter one, in the same summation order.
  const longest = (minimum: number): void => {
    const widest = windows[windows.length - 1]!;
    for (const s of series) {
      if (s === undefined || s.startDay + s.y.length - 1 !== cutoff || s.y.length < minimum) continue;
      const { y, startDay } = s;
      for (let i = Math.max(0, y.length - widest); i < y.length; i++) {
        const v = y[i]!;
        if (v !== v) continue;
        const shapeHere = shapeAt(pooled, cal, startDay + i - cal.firstDay);
        const age = y.length - i;
        for (let w = 0; w < windows.length; w++) {
          if (age > windows[w]!) continue;
          sales[w]! += v;
          shape[w]! += shapeHere;
        }
      }
    }
  };
  longest(730);
  let growthKnown = true;
  if (shape[windows.indexOf(365)]! === 0) {
    growthKnown = false;
    longest(365);
  }
  const level = (w: number): number => (shape[w]! > 0 ? sales[w]! / shape[w]! : Number.NaN);
  const yearIndex = windows.indexOf(365);
  const yearLevel = level(yearIndex);
  const recentToYear = new Map<number, number>();
  LEVEL_WINDOWS.forEach((window, w) => {
    const ratio = level(w) / yearLevel;
    recentToYear.set(window, Number.isFinite(ratio) && ratio > 0 ? ratio : 1);
  });
  let logGrowthPerDay = 0;
  if (growthKnown) {
    const previousYear = (sales[windows.length - 1]! - sales[yearIndex]!) / (shape[windows.length - 1]! - shape[yearIndex]!);
    const growth = Math.log(yearLevel / previousYear) / 365;
    if (Number.isFinite(growth)) logGrowthPerDay = Math.max(-MAX_LOG_GROWTH_PER_DAY, Math.min(MAX_LOG_GROWTH_PER_DAY, growth));
  }
  return { logGrowthPerDay, recentToYear };
}

export function fitInput(data: StoreData, origin: Origin, s: OriginSeries, config: CalendarConfig): FitInput {
  return { y: s.y, startDay: s.startDay, cal: data.cal, factors: config.pooledFactors ? origin.pooled : s.shrunk, store: origin.signals, calendarConfig: config };
}
