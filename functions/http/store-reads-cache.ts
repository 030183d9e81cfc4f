import type { StoreState } from '../../core/domain/model.js';
import type { StoreCatalog } from '../../core/ports/index.js';

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
