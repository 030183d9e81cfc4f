/**
 * Orchestration names and instance ids, shared by the starters (timer, HTTP) and the orchestrations.
 * A refresh's instance id is derived from the store, so a second request for the same store joins the
 * running refresh instead of starting another.
 */
export const MORNING_RUN_ORCHESTRATION = 'morning-run';
export const STORE_REFRESH_ORCHESTRATION = 'store-refresh';
export const TRAINING_BATCH_ORCHESTRATION = 'training-batch';
export const MORNING_LANE_ORCHESTRATION = 'morning-lane';
export const POOLED_TRAINING_ORCHESTRATION = 'pooled-training';

export function refreshInstanceId(store: string): string {
  return `refresh-${encodeURIComponent(store)}`;
}

/**
 * The morning run's input. A check run (POST /api/stores/{store}/check-run) is the same orchestration
 * restricted to `stores`, under its own `runId` (`check-…`), which is also its instance id: it can collide
 * neither with the day's `morning-<date>` nor with a store's refresh.
 */
export interface MorningRunInput {
  /** ISO day the run is for (also in the instance id of the scheduled run, so a day runs once). */
  date: string;
  /** The timer invocation's W3C trace context: every activity and training Job of the run continues it. */
  traceparent?: string;
  /** A check run's own run id; absent for the scheduled run (`morning-<date>`). */
  runId?: string;
  /** A check run's stores (the run trains these only); absent for the scheduled run (every store). */
  stores?: string[];
}

/** A check run's instance id is its run id (`check-<timestamp>-<hex>.<store>`). */
export function checkInstanceId(runId: string): string {
  return runId;
}

/**
 * The ISO day `at` falls on in the host's zone (UTC in Azure, TZ locally): the day the timer names the
 * morning run by, and the day the HTTP layer looks for that run under.
 */
export function hostDay(at: Date = new Date()): string {
  return at.toLocaleDateString('sv-SE');
}

export function morningInstanceId(isoDate: string): string {
  return `morning-${isoDate}`;
}

/** The run id of a day's morning run: one run (and one runs-table summary) per day. */
export function morningRunId(isoDate: string): string {
  return `morning-${isoDate}`;
}

/** A lane of the morning run: a share of its batches, trained one after another. */
export function laneInstanceId(morningInstance: string, lane: number): string {
  return `${morningInstance}:l${lane}`;
}

/** A batch of the morning run, numbered across the run (not per lane), so each batch's id is unique. */
export function batchInstanceId(morningInstance: string, batch: number): string {
  return `${morningInstance}:b${batch}`;
}

/** The morning run's pooled step (one per run, before the fan-out). */
export function pooledInstanceId(morningInstance: string): string {
  return `${morningInstance}:pooled`;
}
