import type { SeriesHistory } from '../../engine/index.js';

/** Per-store sales history, stored as immutable versions; the store's row points at the current one. */
export interface SalesHistoryRepository {
  /** Writes a new version (never overwrites) and returns where it is. */
  write(store: string, series: readonly SeriesHistory[]): Promise<{ blob: string; version: string }>;
  read(blob: string): Promise<SeriesHistory[]>;
  delete(blob: string): Promise<void>;
}
