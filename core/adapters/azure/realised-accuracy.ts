import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import type { RealisedAccuracyLedger, RealisedDay } from '../../ports/index.js';
import { encodeKey } from './keys.js';

type Entity = { partitionKey: string; rowKey: string; runId: string; actual: number; forecast: number; p10: number; p90: number; date?: string };

/**
 * Rows written before newest-first keys: row = the ISO date. Digits sort before NEWEST_FIRST, so a range on
 * the prefix never mixes the two.
 */
const LEGACY_BEFORE = 'a';
const NEWEST_FIRST = 'n';

/** Newest first within the store's partition: the last days are the first page, not a scan of every day ever recorded. */
function rowKeyOf(date: string): string {
  return `${NEWEST_FIRST}${String(99_999_999 - Number(date.replace(/-/g, ''))).padStart(8, '0')}`;
}

/** `realised` table: partition = store, row = the date inverted (newest first), with the ISO date as a column. */
export class TableRealisedAccuracy implements RealisedAccuracyLedger {
  constructor(private readonly table: TableClient) {}

  async record(days: readonly RealisedDay[]): Promise<void> {
    const byStore = new Map<string, RealisedDay[]>();
    for (const d of days) byStore.set(d.store, [...(byStore.get(d.store) ?? []), d]);
    for (const [store, list] of byStore) {
      // One entity group transaction per 100 days of a store: a day is recorded whole with its neighbours or not at all.
      for (let i = 0; i < list.length; i += 100) {
        const tx = new TableTransaction();
        for (const d of list.slice(i, i + 100)) {
          const entity: Entity = { partitionKey: encodeKey(store), rowKey: rowKeyOf(d.date), date: d.date, runId: d.runId, actual: d.actual, forecast: d.forecast, p10: d.p10, p90: d.p90 };
          tx.upsertEntity(entity, 'Replace');
        }
        await this.table.submitTransaction(tx.actions);
      }
    }
  }

  async recent(store: string, days: number): Promise<RealisedDay[]> {
    if (days <= 0) return [];
    const pk = encodeKey(store);
    const rows = new Map<string, RealisedDay>();
    const take = (e: Entity & { date?: string }, date: string): void => {
      if (!rows.has(date)) rows.set(date, { store, date, runId: e.runId, actual: e.actual, forecast: e.forecast, p10: e.p10, p90: e.p90 });
    };
    const pages = this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${pk} and RowKey ge ${NEWEST_FIRST}` } }).byPage({ maxPageSize: days });
    for await (const page of pages) {
      for (const e of page) if (e.date !== undefined) take(e, e.date);
      break;
    }
    if (rows.size < days) {
      // A store recorded before newest-first keys: its older days are still read, from the legacy range only.
      for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${pk} and RowKey lt ${LEGACY_BEFORE}` } })) take(e, e.rowKey);
    }
    return [...rows.values()].sort((a, b) => (a.date < b.date ? -1 : 1)).slice(-days);
  }
}
