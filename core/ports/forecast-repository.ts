import type { ForecastRow } from '../domain/model.js';

/**
 * Forecasts stored per (store, run). A run's rows are written completely before any pointer names the
 * run, and never modified afterwards, so reading the run a pointer names always gives one whole run.
 */
export interface ForecastRepository {
  writeRun(store: string, runId: string, rows: readonly ForecastRow[]): Promise<void>;
  readRun(store: string, runId: string, options?: { items?: readonly string[] }): Promise<ForecastRow[]>;
  /** Returns how many rows were removed. */
  deleteRun(store: string, runId: string): Promise<number>;
}
