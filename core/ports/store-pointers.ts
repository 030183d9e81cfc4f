import type { DriversPointer, HistoryPointer } from '../domain/model.js';

/** What ingestion points a store at: its current sales history (and the one before), its drivers. */
export interface IngestedPointers {
  store: string;
  history?: HistoryPointer;
  /** Kept one version back so a trainer that just read the pointer can still load its blob. */
  previousHistoryBlob?: string;
  drivers?: DriversPointer;
}

/**
 * Ingestion's own record of each store's pointers, kept where trainers cannot write (they write the `stores`
 * row, which carries a mirror of these for them and the API). Ingestion reads and deletes blobs only through
 * these.
 */
export interface StorePointerRepository {
  /**
   * The store's pointers; `etag` undefined when no record exists yet (a store last ingested before pointers
   * had a record of their own: its `stores` row's pointers, checked — see `adoptLegacy`).
   */
  get(store: string): Promise<{ value: IngestedPointers; etag: string | undefined } | undefined>;
  /** Creates the record when `etag` is undefined, else replaces it if unchanged; `ConcurrencyConflict` otherwise. */
  save(pointers: IngestedPointers, etag: string | undefined): Promise<string>;
  /**
   * Gives every store whose pointers are still only on its `stores` row a record of its own, from those
   * pointers once checked; a store whose row names another store's blob (or any other path) is refused and
   * listed, and nothing is read or deleted through it.
   */
  adoptLegacy(): Promise<{ adopted: string[]; refused: { store: string; problem: string }[] }>;
}
