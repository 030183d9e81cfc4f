import type { RunRecord } from '../domain/model.js';

/** Run records, keyed by (run id, store); a run id may span stores (the morning run). */
export interface RunRepository {
  get(runId: string, store: string | undefined): Promise<RunRecord | undefined>;
  /** Every record under a run id: one per store, plus the summary record if any. */
  listRun(runId: string): Promise<RunRecord[]>;
  /** Inserts or replaces. */
  put(record: RunRecord): Promise<void>;
  /** Records created before `iso` (for retention), optionally of one store. */
  listCreatedBefore(iso: string, store?: string): Promise<RunRecord[]>;
  delete(runId: string, store: string | undefined): Promise<void>;
}
