import type { StoreDrivers } from '../../engine/index.js';
import type { ForecastRow, StoreState } from '../../core/domain/model.js';
import type { ForecastRepository, StoreCatalog } from '../../core/ports/index.js';
import { ByteBudgetCache } from './byte-cache.js';

/** The API's short-lived read caches over storage, and the sizes their byte budgets count. */

/** Entries the pointer cache may hold before expired ones are dropped (all of them, if none expired). */
const POINTER_CACHE_ENTRIES = 10_000;

/**
 * Store rows (the current-run pointers) cached for a short time per instance, one read in flight per store.
 * A newly published run shows up at most `ttlMs` later, always whole (the pointer names one complete run);
 * without it every request pays a storage round trip per store, which dominates latency under load.
 */
export class CachedStoreReads implements Pick<StoreCatalog, 'getMany' | 'list'> {
  private readonly cache = new Map<string, { at: number; value: Promise<StoreState | undefined> }>();
  constructor(
    private readonly inner: StoreCatalog,
    private readonly ttlMs: number,
  ) {}

  async getMany(stores: readonly string[]): Promise<Map<string, StoreState>> {
    if (this.ttlMs === 0) return this.inner.getMany(stores);
    const now = Date.now();
    const missing = [...new Set(stores)].filter((s) => {
      const hit = this.cache.get(s);
      return hit === undefined || now - hit.at >= this.ttlMs;
    });
    if (missing.length > 0) {
      const read = this.inner.getMany(missing);
      for (const s of missing) {
        const value = read.then((m) => m.get(s));
        value.catch(() => this.cache.delete(s));
        this.cache.set(s, { at: now, value });
      }
    }
    // This request's own reads are held here, so pruning (below, or by a concurrent request) never loses them.
    const pending = stores.map((s) => [s, this.cache.get(s)?.value] as const);
    if (this.cache.size > POINTER_CACHE_ENTRIES) this.prune(now);
    const out = new Map<string, StoreState>();
    for (const [s, value] of pending) {
      const v = await value;
      if (v !== undefined) out.set(s, v);
    }
    return out;
  }

  list(): Promise<StoreState[]> {
    return this.inner.list();
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Expired entries are worthless: dropping them bounds the cache by what `ttlMs` of requests can name
   * (a sweep of unknown ids included); past the bound even fresh ones go (re-read on the next request).
   */
  private prune(now: number): void {
    for (const [s, hit] of this.cache) if (now - hit.at >= this.ttlMs) this.cache.delete(s);
    if (this.cache.size > POINTER_CACHE_ENTRIES) this.cache.clear();
  }
}

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

/** Bytes a run's rows take in memory, roughly: three float arrays per item plus the strings around them. */
export function runRowsBytes(rows: readonly ForecastRow[]): number {
  let bytes = 64;
  for (const r of rows) bytes += 3 * 8 * r.forecast.length + 2 * (r.item.length + r.store.length + r.runId.length + r.modelVersion.length + r.firstDay.length) + 200;
  return bytes;
}

/**
 * The API's one cache of immutable runs: a store's current run is cached whole, keyed by (store, run id)
 * (a new pointer is a new key), within a byte budget, so a planner sweeping dates or stores cannot pin
 * more memory than the budget.
 */
export class CachedRunReads implements Pick<ForecastRepository, 'readRun'> {
  private readonly cache: ByteBudgetCache<ForecastRow[]>;
  constructor(
    private readonly inner: Pick<ForecastRepository, 'readRun'>,
    budgetBytes: number,
  ) {
    this.cache = new ByteBudgetCache<ForecastRow[]>(budgetBytes, runRowsBytes);
  }

  get bytes(): number {
    return this.cache.bytes;
  }

  async readRun(store: string, runId: string, options: { items?: readonly string[] } = {}): Promise<ForecastRow[]> {
    const all = await this.cache.load(`${store}\u0000${runId}`, () => this.inner.readRun(store, runId));
    if (options.items === undefined) return all;
    const wanted = new Set(options.items);
    return all.filter((r) => wanted.has(r.item));
  }
}
