import type { ServiceLevel } from '../../engine/index.js';

/** A store's day once its actual sales are known: what was forecast for it, and what was sold. */
export interface RealisedDay {
  store: string;
  /** ISO date. */
  date: string;
  /** The run whose forecast covered the day. */
  runId: string;
  actual: number;
  forecast: number;
  p10: number;
  p90: number;
  /** The store-day total with the planners' overrides then in force; absent when none touched the day. */
  adjusted?: number;
  /** Who made those overrides (their `by`), for forecast value added per planner. */
  adjustedBy?: string[];
  /** The store-day total's quantiles then (sumQuantiles of the items with the store's totals rho, 0 without). */
  quantiles?: Record<ServiceLevel, number>;
}

/** Forecast against actual, per store and day, recorded as sales arrive. */
export interface RealisedAccuracyLedger {
  /** Records (or corrects) days; a later upload for the same day replaces its actual. */
  record(days: readonly RealisedDay[]): Promise<void>;
  /** The store's most recent `days` recorded days, oldest first. */
  recent(store: string, days: number): Promise<RealisedDay[]>;
}
