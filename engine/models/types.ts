import type { CalendarTable } from '../calendar.js';
import type { EpochDay } from '../dates.js';
import type { SeasonalFactors } from '../seasonality.js';

/** Families fitted to one series at a time. */
export const SERIES_FAMILY_NAMES = ['seasonal_naive', 'calendar', 'holt_winters', 'tsb', 'ses'] as const;
export type SeriesFamilyName = (typeof SERIES_FAMILY_NAMES)[number];
/** Every family: the series families and `learned`, fitted across series (engine/learned). */
export const FAMILY_NAMES = [...SERIES_FAMILY_NAMES, 'learned'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/** Level window (days) and how year-over-year growth is carried into the forecast; chosen per store. */
export interface CalendarConfig {
  levelWindow: number;
  /** Item level = its own yearly level scaled by the store's recent movement, instead of its own recent level. */
  shareOfStore: boolean;
  /** 0 = no growth, 1 = the full measured year-over-year growth rate. */
  growthDamping: number;
  /** Use the store's seasonal shape for every item rather than the item's own (shrunk) shape. */
  pooledFactors: boolean;
}

/** What the store as a whole says at the forecast origin, estimated from data up to the origin only. */
export interface StoreSignals {
  /** Year-over-year growth of the store's deseasonalised sales, as a log rate per day. */
  logGrowthPerDay: number;
  /** The store's deseasonalised level over the last N days relative to the last 365, by N. */
  recentToYear: Map<number, number>;
}

export interface FitInput {
  /** Training values from the item's first sale to the origin (last element); NaN = unknown or closed. */
  y: Float64Array;
  startDay: EpochDay;
  cal: CalendarTable;
  factors: SeasonalFactors;
  store: StoreSignals;
  calendarConfig: CalendarConfig;
  /**
   * The state this family fitted to the same series without driver effects: families that search smoothing
   * weights take its weights instead of searching again (the "+drivers" twin differs only by the effects).
   */
  weightsFrom?: unknown;
}

export interface ModelFamily<State> {
  readonly name: SeriesFamilyName;
  fit(input: FitInput): State;
  /** Forecast for originDay+1 … originDay+horizon; `cal` must cover those days. */
  predict(state: State, originDay: EpochDay, horizon: number, cal: CalendarTable): Float64Array;
}

/** Mean of the last `count` valid values, or NaN when there are none. */
export function recentMean(y: Float64Array, count: number): number {
  let sum = 0;
  let n = 0;
  for (let i = y.length - 1; i >= 0 && n < count; i--) {
    const v = y[i]!;
    if (v === v) {
      sum += v;
      n++;
    }
  }
  return n > 0 ? sum / n : Number.NaN;
}
