import type { StoreState } from '../domain/model.js';

export interface Versioned<T> {
  value: T;
  /** Opaque version for conditional writes. */
  etag: string;
}

/** One row per store: its history pointer, current-run pointer and freshness. */
export interface StoreCatalog {
  get(store: string): Promise<Versioned<StoreState> | undefined>;
  /** Stores that exist among `stores` (missing ones are simply absent from the map). */
  getMany(stores: readonly string[]): Promise<Map<string, StoreState>>;
  list(): Promise<StoreState[]>;
  /**
   * Creates the row when `etag` is undefined, otherwise replaces it only if unchanged since read.
   * Throws `ConcurrencyConflict` when another writer got there first. Returns the new etag.
   */
  save(state: StoreState, etag: string | undefined): Promise<string>;
}
