/**
 * A store's refresh as the orchestration host knows it (one instance per store, so a second start for a
 * store that has a running refresh cannot create another). Implemented over the durable client by the
 * HTTP layer (functions/http/durable-client.ts).
 */
export interface RefreshInstances {
  /** The store's running refresh (queued or further, not finished), if any. */
  running(store: string): Promise<{ runId: string; status: 'queued' | 'dispatched' | 'training' | 'publishing' | 'done' | 'failed' } | undefined>;
  /** Starts the store's refresh as `runId`; false when it could not (another start got there first). */
  start(store: string, runId: string): Promise<boolean>;
}

/** Check runs (one-store morning runs, `check-…` instances) and the day's scheduled morning run. */
export interface CheckRunInstances {
  /** The store's running check run, if any. */
  running(store: string): Promise<{ runId: string } | undefined>;
  /** Whether the day's scheduled morning run is in progress (it sizes the training pool for itself). */
  morningRunActive(): Promise<boolean>;
  /** Starts a morning run restricted to `store` as `runId`. */
  start(store: string, runId: string): Promise<void>;
}
