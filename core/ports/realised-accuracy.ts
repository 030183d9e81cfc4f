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
}

/** Forecast against actual, per store and day, recorded as sales arrive. */
export interface RealisedAccuracyLedger {
  /** Records (or corrects) days; a later upload for the same day replaces its actual. */
  record(days: readonly RealisedDay[]): Promise<void>;
  /** The store's most recent `days` recorded days, oldest first. */
  recent(store: string, days: number): Promise<RealisedDay[]>;
}
