import type { StoreAttributeTable } from '../../engine/index.js';
import type { ItemMaster } from '../../core/domain/item-master.js';
import { storeLogistics, type StoreLogistics } from '../../core/domain/store-attributes.js';
import { CALIBRATION_WINDOW_DAYS, type TransportInputs } from '../../core/domain/transport.js';
import type { RealisedAccuracyLedger, RealisedDay } from '../../core/ports/index.js';
import type { ItemMasterRepository } from '../../core/ports/item-master.js';

/** Stores whose realised days the cache may hold before expired ones are dropped. */
const REALISED_CACHE_ENTRIES = 10_000;

interface Timed<T> {
  at: number;
  value: Promise<T>;
}

/**
 * What the transport view reads beside the forecasts, cached per instance for `ttlMs` (one read in flight):
 * the item master and the store file are one blob each, replaced whole by an upload, and the realised ledger
 * changes when sales arrive. Without the cache every request would read the master, the store file and one
 * ledger query per store; with it a new upload shows at most `ttlMs` later, like a new run. A failed read is
 * not kept.
 */
export class CachedTransportReads implements TransportInputs {
  private master: Timed<ItemMaster | undefined> | undefined;
  private logistics: Timed<ReadonlyMap<string, StoreLogistics>> | undefined;
  private readonly realised = new Map<string, Timed<readonly RealisedDay[]>>();

  constructor(
    private readonly storage: { items?: ItemMasterRepository | undefined; attributes: { read(): Promise<StoreAttributeTable | undefined> }; realised: Pick<RealisedAccuracyLedger, 'recent'> },
    private readonly ttlMs: number,
  ) {}

  itemMaster(): Promise<ItemMaster | undefined> {
    const items = this.storage.items;
    if (items === undefined) return Promise.resolve(undefined);
    this.master = this.fresh(this.master, () => items.read(), () => (this.master = undefined));
    return this.master.value;
  }

  storeLogistics(): Promise<ReadonlyMap<string, StoreLogistics>> {
    this.logistics = this.fresh(this.logistics, () => this.storage.attributes.read().then(storeLogistics), () => (this.logistics = undefined));
    return this.logistics.value;
  }

  realisedDays(store: string): Promise<readonly RealisedDay[]> {
    const now = Date.now();
    if (this.realised.size > REALISED_CACHE_ENTRIES) {
      for (const [s, hit] of this.realised) if (now - hit.at >= this.ttlMs) this.realised.delete(s);
      if (this.realised.size > REALISED_CACHE_ENTRIES) this.realised.clear();
    }
    const entry = this.fresh(this.realised.get(store), () => this.storage.realised.recent(store, CALIBRATION_WINDOW_DAYS), () => this.realised.delete(store));
    if (this.ttlMs > 0) this.realised.set(store, entry);
    return entry.value;
  }

  private fresh<T>(hit: Timed<T> | undefined, read: () => Promise<T>, forget: () => void): Timed<T> {
    const now = Date.now();
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit;
    const value = read();
    value.catch(forget);
    return { at: now, value };
  }
}
