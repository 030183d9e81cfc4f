import type { PooledUse } from './pooled-artifacts.js';

/**
 * Where a store's training runs. The orchestrations only see this interface, so the same durable code
 * drives worker threads on a laptop and Kubernetes Jobs on AKS.
 *
 * Handles are plain strings because they travel through durable history (activity inputs/outputs) and
 * must survive a host restart; an implementation that cannot find a handle any more answers `unknown`
 * and the orchestration dispatches again.
 *
 * A request carries one store (a refresh) or a batch of stores (the morning run: durable work is paid per
 * batch, not per store). One handle per request; its status is the batch's. Per-store outcomes are not in
 * the status: the trainer writes each store's run record, and the orchestration reads those.
 */
export interface TrainingRequest {
  runId: string;
  /**
   * `stores` (default): train and publish `stores`. `pooled`: the morning run's pooled step — one job that
   * learns across every store and writes the run's pooled artifact (`stores` is then empty).
   */
  mode?: 'stores' | 'pooled';
  /** Non-empty for `stores`; trained one after another by the same worker/pod; one failing store does not stop the others. */
  stores: string[];
  /** The pooled artifact the stores train with (absent: the latest). */
  pooled?: PooledUse;
  trigger: 'morning' | 'refresh' | 'manual';
  /** Index of the batch in the morning run (part of a multi-store Job's name, so a re-dispatch joins it). */
  batch?: number;
  /** W3C trace context of the dispatching activity: the trainer's spans continue it (Job env `TRACEPARENT`, the worker's request). */
  traceparent?: string;
}

export interface DispatchResult {
  handle: string;
  /** The backend already had this run of this store (duplicate create): we joined it. */
  alreadyRunning: boolean;
}

export type TrainingState = 'pending' | 'running' | 'succeeded' | 'failed' | 'unknown';

/**
 * `succeeded`: the job ran to the end (a multi-store job also when some of its stores failed: see their run
 * records); `failed`: it crashed, was cancelled or exceeded its deadline, or none of its stores succeeded.
 */
export interface TrainingStatus {
  state: TrainingState;
  /** Why it failed, or what it is waiting for. */
  reason?: string;
  /** Attempts the backend made (pod restarts, worker retries). */
  attempts?: number;
}

export interface TrainingDispatcher {
  readonly kind: 'local' | 'aks';
  dispatch(request: TrainingRequest): Promise<DispatchResult>;
  status(handle: string): Promise<TrainingStatus>;
  /** Stops the work if it still runs (deadline passed); never throws for an unknown handle. */
  cancel(handle: string): Promise<void>;
}

/** Capacity ahead of a batch of training work. */
export interface PoolSize {
  count: number;
  minCount?: number;
  maxCount?: number;
  autoscaling: boolean;
}

export interface PoolScaler {
  /** Grows the pool so `stores` × `secondsPerStore` fits the window; returns what to restore later. */
  scaleUp(stores: number, secondsPerStore: number): Promise<{ previous: PoolSize; target: PoolSize }>;
  restore(previous: PoolSize): Promise<void>;
}

/** Node count for a batch: enough nodes that the work fits `windowSeconds`, clamped to the pool's bounds. */
export function nodesFor(input: { stores: number; secondsPerStore: number; windowSeconds: number; podsPerNode: number; minNodes: number; maxNodes: number }): number {
  const podSeconds = input.stores * input.secondsPerStore;
  const nodes = Math.ceil(podSeconds / Math.max(1, input.windowSeconds) / Math.max(1, input.podsPerNode));
  return Math.min(input.maxNodes, Math.max(input.minNodes, nodes));
}

/** Seconds of training a morning job (batch) aims at: long enough that ~0.1 s of durable work per job is noise. */
export const BATCH_TARGET_SECONDS = 45;
/** Upper bound on stores per job: a crash or a lost job re-runs at most this many stores. */
export const MAX_BATCH_SIZE = 50;

/**
 * Stores per morning job: `FOREACT_MORNING_BATCH_SIZE` when set, else
 * `max(1, min(50, round(45 / secondsPerStore)))` with the measured seconds per store (0.4 s → 50 stores,
 * 2.5 s → 18, 5 s → 9, ≥ 90 s → 1, i.e. a Job per store as before).
 */
export function morningBatchSize(setting: number | undefined, secondsPerStore: number): number {
  if (setting !== undefined) return Math.max(1, Math.floor(setting));
  if (!(secondsPerStore > 0)) return 1;
  return Math.max(1, Math.min(MAX_BATCH_SIZE, Math.round(BATCH_TARGET_SECONDS / secondsPerStore)));
}
