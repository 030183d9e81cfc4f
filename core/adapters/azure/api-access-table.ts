import { odata, type TableClient } from '@azure/data-tables';
import { normaliseRegion, type AccessRepository } from '../../domain/api-access.js';
import { isStatus, tableOnFirstUse } from './clients.js';
import { decodeKey, encodeKey } from './keys.js';

const USERS = 'user';
const STORES = 'store';

interface AccessEntity {
  partitionKey: string;
  rowKey: string;
  regions?: string;
  region?: string;
  updatedAt?: string;
}

/**
 * Table `access` (FOREACT_TABLE_ACCESS): partition `user` (row key = encoded lower-case e-mail, `regions` =
 * comma list) and partition `store` (row key = encoded store id, `region`). Edited by `foreact admin`.
 */
export class TableAccessRepository implements AccessRepository {
  private ready: Promise<void> | undefined;
  private storeCache: { at: number; value: Promise<Map<string, string>> } | undefined;
  private readonly userCache = new Map<string, { at: number; value: Promise<string[]> }>();

  constructor(
    private readonly table: TableClient,
    private readonly cacheMs = 5_000,
  ) {}

  private ensure(): Promise<void> {
    this.ready ??= tableOnFirstUse(this.table, () => (this.ready = undefined));
    return this.ready;
  }

  /** Cached for `cacheMs` (5 s by default): an assignment made with `foreact admin` applies within seconds. */
  userRegions(user: string): Promise<string[]> {
    const key = user.trim().toLowerCase();
    const now = Date.now();
    const hit = this.userCache.get(key);
    if (hit !== undefined && now - hit.at < this.cacheMs) return hit.value;
    const value = this.readUserRegions(key);
    value.catch(() => this.userCache.delete(key));
    this.userCache.set(key, { at: now, value });
    if (this.userCache.size > 10_000) this.userCache.delete(this.userCache.keys().next().value!);
    return value;
  }

  /** `user` is already trimmed and lower-cased. */
  private async readUserRegions(user: string): Promise<string[]> {
    await this.ensure();
    try {
      const e = await this.table.getEntity<AccessEntity>(USERS, encodeKey(user));
      return (e.regions ?? '').split(',').map(normaliseRegion).filter((r) => r.length > 0);
    } catch (error) {
      if (isStatus(error, 404)) return [];
      throw error;
    }
  }

  async setUserRegions(user: string, regions: readonly string[]): Promise<void> {
    await this.ensure();
    this.userCache.delete(user.trim().toLowerCase());
    const list = [...new Set(regions.map(normaliseRegion).filter((r) => r.length > 0))].sort();
    await this.table.upsertEntity<AccessEntity>({ partitionKey: USERS, rowKey: encodeKey(user.trim().toLowerCase()), regions: list.join(','), updatedAt: new Date().toISOString() }, 'Replace');
  }

  /** Cached like userRegions; concurrent requests after expiry share one listing of the partition. */
  storeRegions(): Promise<Map<string, string>> {
    const now = Date.now();
    if (this.storeCache !== undefined && now - this.storeCache.at < this.cacheMs) return this.storeCache.value;
    const value = this.readStoreRegions();
    const entry = { at: now, value };
    value.catch(() => {
      if (this.storeCache === entry) this.storeCache = undefined;
    });
    this.storeCache = entry;
    return value;
  }

  private async readStoreRegions(): Promise<Map<string, string>> {
    await this.ensure();
    const out = new Map<string, string>();
    for await (const e of this.table.listEntities<AccessEntity>({ queryOptions: { filter: odata`PartitionKey eq ${STORES}`, select: ['RowKey', 'region'] } })) {
      if (typeof e.region === 'string' && e.region.length > 0) out.set(decodeKey(e.rowKey ?? ''), e.region);
    }
    return out;
  }

  async setStoreRegion(store: string, region: string): Promise<void> {
    await this.ensure();
    this.storeCache = undefined;
    await this.table.upsertEntity<AccessEntity>({ partitionKey: STORES, rowKey: encodeKey(store), region: normaliseRegion(region), updatedAt: new Date().toISOString() }, 'Replace');
  }

  async listUsers(): Promise<{ user: string; regions: string[] }[]> {
    await this.ensure();
    const out: { user: string; regions: string[] }[] = [];
    for await (const e of this.table.listEntities<AccessEntity>({ queryOptions: { filter: odata`PartitionKey eq ${USERS}` } })) {
      out.push({ user: decodeKey(e.rowKey ?? ''), regions: (e.regions ?? '').split(',').filter((r) => r.length > 0) });
    }
    return out;
  }
}
