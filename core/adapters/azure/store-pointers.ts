import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { checkedStoreState, InvalidStorePointer } from '../../domain/store-pointers.js';
import { ConcurrencyConflict, type IngestedPointers, type StorePointerRepository } from '../../ports/index.js';
import { isStatus } from './clients.js';
import { encodeKey } from './keys.js';
import { pointersOf, putPointers, rawEntityToStore, storeOfEntity, type Entity } from './store-catalog.js';

/**
 * Ingestion's pointers live in the `ingestions` table, partition `store-pointers`, one row per store (the
 * ledger's partitions are 64-hex content hashes, so the two never meet). That table is the Function App's:
 * the trainer identity has no role on it (bicep/modules/roles.bicep), so a trainer pod can rewrite a
 * `stores` row's mirror of these pointers but never what ingestion reads and deletes through.
 */
export const POINTER_PARTITION = 'store-pointers';
const STORE_PARTITION = 'store';

export class TableStorePointers implements StorePointerRepository {
  constructor(
    private readonly table: TableClient,
    /** The `stores` table: pointers of stores not yet adopted are read from there (checked). */
    private readonly stores: TableClient,
  ) {}

  async get(store: string): Promise<{ value: IngestedPointers; etag: string | undefined } | undefined> {
    const own = await this.entity(this.table, POINTER_PARTITION, store);
    if (own !== undefined) return { value: { store, ...pointersOf(own) }, etag: own.etag };
    const row = await this.entity(this.stores, STORE_PARTITION, store);
    if (row === undefined) return undefined;
    return { value: legacyPointers(store, row), etag: undefined };
  }

  async save(p: IngestedPointers, etag: string | undefined): Promise<string> {
    const entity: Entity & { partitionKey: string; rowKey: string } = { partitionKey: POINTER_PARTITION, rowKey: encodeKey(p.store), store: p.store };
    putPointers(entity, p);
    try {
      const response = etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag });
      return response.etag ?? '';
    } catch (error) {
      if (isStatus(error, 409, 412)) throw new ConcurrencyConflict(`pointers of store ${p.store}`);
      throw error;
    }
  }

  async adoptLegacy(): Promise<{ adopted: string[]; refused: { store: string; problem: string }[] }> {
    const owned = new Set<string>();
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${POINTER_PARTITION}`, select: ['RowKey'] } })) owned.add(e.rowKey ?? '');
    const adopted: string[] = [];
    const refused: { store: string; problem: string }[] = [];
    for await (const e of this.stores.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${STORE_PARTITION}` } })) {
      if (owned.has(e.rowKey ?? '')) continue;
      const store = storeOfEntity(e);
      const legacy = checkedRow(store, e);
      if ('problem' in legacy) {
        refused.push({ store, problem: legacy.problem });
        continue;
      }
      if (legacy.pointers.history === undefined && legacy.pointers.drivers === undefined) continue;
      try {
        await this.save(legacy.pointers, undefined);
        adopted.push(store);
      } catch (error) {
        // Ingestion created it meanwhile: that record is newer.
        if (!(error instanceof ConcurrencyConflict)) throw error;
      }
    }
    return { adopted, refused };
  }

  private async entity(table: TableClient, partition: string, store: string): Promise<TableEntityResult<Entity> | undefined> {
    try {
      return await table.getEntity<Entity>(partition, encodeKey(store));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }
}

/**
 * A store ingested before pointers had a record of their own: its `stores` row's pointers, if they are that
 * store's own blobs. A history or drivers pointer that is not is refused (throws) rather than dropped, since
 * merging an upload into "no history" would leave the store's real history behind; the previous-version
 * pointer is only ever deleted, so a bad one is dropped (the blob it named is left alone).
 */
function legacyPointers(store: string, row: Entity): IngestedPointers {
  const legacy = checkedRow(store, row);
  if ('problem' in legacy) throw new InvalidStorePointer(`store "${store.slice(0, 60)}": its stores row (not yet adopted by ingestion) has ${legacy.problem}; refusing to read or delete through it (fix or remove that column of the row, then re-send the upload)`);
  return legacy.pointers;
}

/** A `stores` row's pointers once checked (a bad previous-version pointer dropped), or what refuses them. */
function checkedRow(store: string, row: Entity): { pointers: IngestedPointers } | { problem: string } {
  const checked = checkedStoreState(store, rawEntityToStore(row));
  const blocking = checked.problems.filter((p) => p.pointer !== 'previousHistoryBlob').map((p) => p.problem);
  if (blocking.length > 0) return { problem: blocking.join('; ') };
  const { history, drivers, previousHistoryBlob } = checked.state;
  return { pointers: { store, ...(history ? { history } : {}), ...(drivers ? { drivers } : {}), ...(previousHistoryBlob !== undefined ? { previousHistoryBlob } : {}) } };
}
