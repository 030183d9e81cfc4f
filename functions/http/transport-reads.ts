import type { StoreAttributeTable } from '../../engine/index.js';
import type { ItemMaster } from '../../core/domain/item-master.js';
import { storeLogistics, type StoreLogistics } from '../../core/domain/store-attributes.js';
import { CALIBRATION_WINDOW_DAYS, type TransportInputs } from '../../core/domain/transport.js';
import type { RealisedAccuracyLedger, RealisedDay } from '../../core/ports/index.js';
import type { ItemMasterRepository } from '../../core/ports/item-master.js';
import type { Override } from '../../core/domain/overrides.js';

/** Stores whose realised days (or overrides) the cache may hold before expired ones are dropped. */
const PER_STORE_CACHE_ENTRIES = 10_000;

/** Realised days arrive with the day's sales and only feed the calibration shares: a minute old is fresh enough. */
export const REALISED_CACHE_MS = 60_000;

interface Timed<T> {
  at: number;
  value: Promise<T>;
}

/**
 * What the transport view reads beside the forecasts, cached per instance (one read in flight): the item
 * master and the store file (one blob each, replaced whole by an upload) and each store's live overrides for
 * `ttlMs`, like the current-run pointers, so a new upload or override shows at most `ttlMs` later; the realised
 * ledger, which changes only when sales arrive and only feeds the calibration shares, for `realisedTtlMs`.
 * Without the cache a request for 50 stores would also run 50 override queries and 50 ledger queries (the
 * bench: p95 3× today's). A failed read of a store's realised days or overrides is not kept. A failed read of
 * the item master or the store file (a tampered or invalid blob: the transport view answers without it and
 * says so) is kept for `ttlMs` like a good one and logged once as a warning, so a bad upload is neither read
 * again nor logged on every request.
 */
export class CachedTransportReads implements TransportInputs {
  private master: Timed<ItemMaster | undefined> | undefined;
  private logistics: Timed<ReadonlyMap<string, StoreLogistics>> | undefined;
  private readonly realised = new Map<string, Timed<readonly RealisedDay[]>>();
  private readonly overrides = new Map<string, Timed<readonly Override[]>>();

  constructor(
    private readonly storage: {
      items?: ItemMasterRepository | undefined;
      attributes: { read(): Promise<StoreAttributeTable | undefined> };
      realised: Pick<RealisedAccuracyLedger, 'recent'>;
      overrides?: { inForce(store: string): Promise<Override[]> } | undefined;
    },
    private readonly ttlMs: number,
    private readonly realisedTtlMs = ttlMs,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void = () => undefined,
  ) {}

  itemMaster(): Promise<ItemMaster | undefined> {
    const items = this.storage.items;
    if (items === undefined) return Promise.resolve(undefined);
    this.master = this.fresh(this.master, () => items.read(), this.warned('item master', () => (this.master = undefined)));
    return this.master.value;
  }

  storeLogistics(): Promise<ReadonlyMap<string, StoreLogistics>> {
    this.logistics = this.fresh(this.logistics, () => this.storage.attributes.read().then(storeLogistics), this.warned('store file', () => (this.logistics = undefined)));
    return this.logistics.value;
  }

  /** On a failed read: one warning; the failure is kept for the ttl, as a good read would be (0: not kept). */
  private warned(what: string, forget: () => void): (error: unknown) => void {
    return (error) => {
      this.warn(`transport: the ${what} could not be read; answering without it`, { error: error instanceof Error ? error.message : String(error) });
      if (this.ttlMs <= 0) forget();
    };
  }

  realisedDays(store: string): Promise<readonly RealisedDay[]> {
    return this.perStore(this.realised, store, this.realisedTtlMs, () => this.storage.realised.recent(store, CALIBRATION_WINDOW_DAYS));
  }

  overridesInForce(store: string): Promise<readonly Override[]> {
    const overrides = this.storage.overrides;
    return overrides === undefined ? Promise.resolve([]) : this.perStore(this.overrides, store, this.ttlMs, () => overrides.inForce(store));
  }

  private perStore<T>(cache: Map<string, Timed<T>>, store: string, ttlMs: number, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (cache.size > PER_STORE_CACHE_ENTRIES) {
      for (const [s, hit] of cache) if (now - hit.at >= ttlMs) cache.delete(s);
      if (cache.size > PER_STORE_CACHE_ENTRIES) cache.clear();
    }
    const entry = this.fresh(cache.get(store), read, () => cache.delete(store), ttlMs);
    if (ttlMs > 0) cache.set(store, entry);
    return entry.value;
  }

  private fresh<T>(hit: Timed<T> | undefined, read: () => Promise<T>, forget: (error: unknown) => void, ttlMs = this.ttlMs): Timed<T> {
    const now = Date.now();
    if (hit !== undefined && now - hit.at < ttlMs) return hit;
    const value = read();
    value.catch(forget);
    return { at: now, value };
  }
}
