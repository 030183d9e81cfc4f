import type { StoreDrivers } from '../../engine/index.js';

/**
 * The API's short-lived read caches over storage, and the sizes their byte budgets count. Each cache is
 * in a file of its own; the sizes of what the shared byte caches hold are here.
 */

export { CachedStoreReads } from './store-reads-cache.js';
export { CachedRunReads, runRowsBytes } from './run-reads-cache.js';

/** Bytes a store's daily totals take in memory. */
export function totalsBytes(t: { sales: number[] } | undefined): number {
  return 64 + 8 * (t?.sales.length ?? 0);
}

/** Bytes a store's drivers take in memory: one float per column, day and scope. */
export function storeDriversBytes(d: StoreDrivers): number {
  const days = d.lastDay - d.firstDay + 1;
  let vectors = d.storeValues.length;
  for (const columns of d.items.values()) vectors += columns.filter((v) => v !== undefined).length;
  return 256 + vectors * days * 8;
}
