/**
 * Where a store's training runs. The orchestrations only see this interface, so the same durable code
 * drives worker threads on a laptop and Kubernetes Jobs on AKS.
 *
 * Handles are plain strings because they travel through durable history (activity inputs/outputs) and
 * must survive a host restart; an implementation that cannot find a handle any more answers `unknown`
 * and the orchestration dispatches again.
 */
export interface TrainingRequest {
  runId: string;
  store: string;
  trigger: 'morning' | 'refresh' | 'manual';
}

export interface DispatchResult {
  handle: string;
  /** The backend already had this run of this store (duplicate create): we joined it. */
  alreadyRunning: boolean;
}

export type TrainingState = 'pending' | 'running' | 'succeeded' | 'failed' | 'unknown';

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
