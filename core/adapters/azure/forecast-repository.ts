import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ForecastRow } from '../../domain/model.js';
import type { ForecastRepository } from '../../ports/index.js';
import { isStatus } from './clients.js';
import { decodeKey, encodeKey } from './keys.js';

type Entity = Record<string, unknown> & {
  partitionKey: string;
  rowKey: string;
  store: string;
  item: string;
  runId: string;
  modelVersion: string;
  firstDay: string;
  days: number;
  forecast: string;
  p10: string;
  p90: string;
};

/** A transaction holds at most 100 entities and 4 MB; stay well under the size limit for long horizons. */
const MAX_BATCH_ENTITIES = 100;
const MAX_BATCH_CHARS = 1_500_000;
/** Up to this many items are read by point reads; more by one partition query. */
const POINT_READ_LIMIT = 20;

export function forecastPartition(store: string, runId: string): string {
  return `${encodeKey(store)}|${runId}`;
}

function toEntity(row: ForecastRow): Entity {
  return {
    partitionKey: forecastPartition(row.store, row.runId),
    rowKey: encodeKey(row.item),
    store: row.store,
    item: row.item,
    runId: row.runId,
    modelVersion: row.modelVersion,
    firstDay: row.firstDay,
    days: row.forecast.length,
    // JSON arrays rather than binary: what the API returns anyway, and readable in Storage Explorer.
    forecast: JSON.stringify(row.forecast),
    p10: JSON.stringify(row.p10),
    p90: JSON.stringify(row.p90),
  };
}

function fromEntity(e: Entity): ForecastRow {
  return {
    store: e.store,
    item: e.item ?? decodeKey(e.rowKey),
    runId: e.runId,
    modelVersion: e.modelVersion,
    firstDay: e.firstDay,
    forecast: JSON.parse(e.forecast) as number[],
    p10: JSON.parse(e.p10) as number[],
    p90: JSON.parse(e.p90) as number[],
  };
}

/**
 * `forecasts` table: partition `<store>|<runId>`, one row per item carrying the daily vectors. One store's
 * current forecasts are one partition query, and a run's partition is complete before any pointer names it.
 */
export class TableForecastRepository implements ForecastRepository {
  constructor(private readonly table: TableClient) {}

  async writeRun(store: string, runId: string, rows: readonly ForecastRow[]): Promise<void> {
    let batch: TransactionAction[] = [];
    let chars = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await this.table.submitTransaction(batch);
      batch = [];
      chars = 0;
    };
    for (const row of rows) {
      if (row.store !== store || row.runId !== runId) throw new Error(`forecast row for ${row.store}/${row.runId} written under ${store}/${runId}`);
      const entity = toEntity(row);
      const size = entity.forecast.length + entity.p10.length + entity.p90.length + 512;
      if (batch.length >= MAX_BATCH_ENTITIES || chars + size > MAX_BATCH_CHARS) await flush();
      // Upsert, so a retried run id rewrites its own rows instead of failing.
      batch.push(['upsert', entity, 'Replace']);
      chars += size;
    }
    await flush();
  }

  async readRun(store: string, runId: string, options: { items?: readonly string[] } = {}): Promise<ForecastRow[]> {
    const pk = forecastPartition(store, runId);
    if (options.items !== undefined && options.items.length <= POINT_READ_LIMIT) {
      const found = await Promise.all(
        [...new Set(options.items)].map(async (item) => {
          try {
            return fromEntity(await this.table.getEntity<Entity>(pk, encodeKey(item)));
          } catch (error) {
            if (isStatus(error, 404)) return undefined;
            throw error;
          }
        }),
      );
      return found.filter((r): r is ForecastRow => r !== undefined);
    }
    const wanted = options.items === undefined ? undefined : new Set(options.items);
    const out: ForecastRow[] = [];
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } })) {
      if (wanted === undefined || wanted.has(e.item)) out.push(fromEntity(e));
    }
    return out;
  }

  async deleteRun(store: string, runId: string): Promise<number> {
    const pk = forecastPartition(store, runId);
    const keys: string[] = [];
    for await (const e of this.table.listEntities<{ rowKey: string }>({ queryOptions: { filter: odata`PartitionKey eq ${pk}`, select: ['RowKey'] } })) keys.push(e.rowKey);
    for (let i = 0; i < keys.length; i += MAX_BATCH_ENTITIES) {
      await this.table.submitTransaction(keys.slice(i, i + MAX_BATCH_ENTITIES).map((rowKey): TransactionAction => ['delete', { partitionKey: pk, rowKey }]));
    }
    return keys.length;
  }
}
