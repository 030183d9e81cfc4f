import type { TotalsModel } from '../../engine/index.js';
import type { TrainerStep } from './run-stages.js';
/**
 * The records Foreact keeps about stores, runs, models and forecasts. Plain data: ports store them,
 * domain functions decide how they change.
 */

/** A version of a store's sales history: an immutable blob, switched to by pointer. */
export interface HistoryPointer {
  blob: string;
  version: string;
  firstDay: string;
  lastDay: string;
  items: number;
  observations: number;
  updatedAt: string;
}

/** Backtest accuracy of a model version; rmsse and smape are means over its items. */
export interface Accuracy {
  rmsse: number | null;
  smape: number | null;
  /**
   * WAPE (0–1) of the store's daily totals over the backtest folds (`StoreTrainingResult.backtestWape`): on
   * the same footing as the realised WAPE measured as sales arrive, which the accuracy alert compares it
   * with. Absent for models registered before it was kept; null when the backtest had no sales.
   */
  wape?: number | null;
}

/** What the dashboard shows as "current" for a store: one complete run. */
export interface CurrentForecast {
  runId: string;
  generatedAt: string;
  modelVersion: string;
  firstDay: string;
  horizon: number;
  items: number;
  /** The history version the forecasts were trained on; newer history makes them stale. */
  historyVersion: string;
  accuracy: Accuracy;
  /**
   * How the store's items move together (engine/totals.ts), learned from the backtest of the run that trained
   * it: the dependence behind the quantiles of its daily totals. Absent for runs before it was kept, or when
   * the backtest had no held-out day; a stored value that fails validation is dropped on read.
   */
  totals?: TotalsModel;
}

/** Where a store's current drivers are (promotions, events, closures, prices; history and future). */
export interface DriversPointer {
  blob: string;
  version: string;
  /** ISO dates of the first and last day any driver is given for. */
  firstDay: string;
  lastDay: string;
  columns: string[];
  updatedAt: string;
}

export interface StoreState {
  store: string;
  history?: HistoryPointer;
  drivers?: DriversPointer;
  /** Kept one version back so a trainer that just read the pointer can still load its blob. */
  previousHistoryBlob?: string;
  current?: CurrentForecast;
  /** Never deleted by retention cleanup, so a reader holding the old pointer finishes its query. */
  previousRunId?: string;
  championVersion?: string;
  stale: boolean;
  staleReason?: string;
  staleSince?: string;
  lastRun?: { runId: string; status: RunStatus; at: string; error?: string };
  updatedAt: string;
}

export type RunTrigger = 'morning' | 'refresh' | 'ingest' | 'manual';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
/** A run record's stage: the trainer's step (see run-stages.ts for the stage each belongs to). */
export type RunStage = TrainerStep;

export const RUN_TRIGGERS: readonly RunTrigger[] = ['morning', 'refresh', 'ingest', 'manual'];

export interface StageTiming {
  stage: RunStage;
  startedAt: string;
  ms?: number;
}

export interface RunRecord {
  runId: string;
  /** Absent on a run's summary record (the morning run's fan-in). */
  store?: string;
  trigger: RunTrigger;
  status: RunStatus;
  stage: RunStage;
  /** 0…1, for progress bars. */
  progress: number;
  stages: StageTiming[];
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  error?: string;
  modelVersion?: string;
  champion?: { promoted: boolean; reason: string };
  items?: number;
  /** Free-form JSON for callers (e.g. the morning run's succeeded/failed counts). */
  details?: Record<string, unknown>;
}

export interface ChampionDecision {
  promoted: boolean;
  reason: string;
  metric: 'rmsse' | 'smape' | 'none';
  candidateScore: number | null;
  championScore: number | null;
  championVersion?: string;
  comparedItems: number;
  decidedAt: string;
  /** Days since the champion was trained, when there is one (compared with `FOREACT_CHAMPION_MAX_AGE_DAYS`). */
  championAgeDays?: number;
  /** The folds both were scored on: the overlapping horizon and the cuts (ISO dates). */
  basis?: { horizon: number; cuts: string[] };
}

export interface ModelVersion {
  store: string;
  version: string;
  runId: string;
  createdAt: string;
  artifactBlob: string;
  /** How many items chose each family mix, e.g. {"calendar": 40, "tsb+ses": 10}. */
  families: Record<string, number>;
  accuracy: Accuracy;
  window: { from: string; to: string; horizon: number; folds: number };
  items: number;
  champion: boolean;
  decision?: ChampionDecision;
}

export interface ForecastRow {
  store: string;
  item: string;
  runId: string;
  modelVersion: string;
  /** ISO date of `forecast[0]`. */
  firstDay: string;
  forecast: number[];
  p10: number[];
  p90: number[];
}

export type IngestionStatus = 'applied' | 'rejected';

export interface IngestionRecord {
  /** sha256 of the upload's bytes: the idempotency key. */
  key: string;
  upload: string;
  status: IngestionStatus;
  receivedAt: string;
  completedAt: string;
  rows: number;
  accepted: number;
  rejected: number;
  /** Stores whose history changed. */
  changedStores: string[];
  unchangedStores: number;
  rejectedBlob?: string;
  reason?: string;
}
