import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import { SERVICE_LEVELS, type ServiceLevel } from '../../../engine/index.js';
import type { RealisedAccuracyLedger, RealisedDay } from '../../ports/index.js';
import { encodeKey } from './keys.js';

type Entity = {
  partitionKey: string;
  rowKey: string;
  runId: string;
  actual: number;
  forecast: number;
  p10: number;
  p90: number;
  date?: string;
  /** The store-day total with the overrides then in force, and who made them (JSON array). */
  adjusted?: number;
  adjustedBy?: string;
  /** The total's quantiles then (JSON object, one number per service level). */
  quantiles?: string;
};

/** The optional columns as read back: left out (never a wrong number used) when anything is off. */
function optionalColumns(e: Entity): Pick<RealisedDay, 'adjusted' | 'adjustedBy' | 'quantiles'> {
  const out: Pick<RealisedDay, 'adjusted' | 'adjustedBy' | 'quantiles'> = {};
  if (typeof e.adjusted === 'number' && Number.isFinite(e.adjusted) && e.adjusted >= 0) {
    out.adjusted = e.adjusted;
    const by = parse(e.adjustedBy);
    if (Array.isArray(by) && by.every((b) => typeof b === 'string')) out.adjustedBy = by;
  }
  const q = parse(e.quantiles) as Record<string, unknown> | undefined;
  if (typeof q === 'object' && q !== null && SERVICE_LEVELS.every((l) => typeof q[l] === 'number' && Number.isFinite(q[l]))) {
    out.quantiles = Object.fromEntries(SERVICE_LEVELS.map((l) => [l, q[l] as number])) as Record<ServiceLevel, number>;
  }
  return out;
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

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
          const entity: Entity = {
            partitionKey: encodeKey(store),
            rowKey: rowKeyOf(d.date),
            date: d.date,
            runId: d.runId,
            actual: d.actual,
            forecast: d.forecast,
            p10: d.p10,
            p90: d.p90,
            ...(d.adjusted === undefined ? {} : { adjusted: d.adjusted, adjustedBy: JSON.stringify(d.adjustedBy ?? []) }),
            ...(d.quantiles === undefined ? {} : { quantiles: JSON.stringify(d.quantiles) }),
          };
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
      if (!rows.has(date)) rows.set(date, { store, date, runId: e.runId, actual: e.actual, forecast: e.forecast, p10: e.p10, p90: e.p90, ...optionalColumns(e) });
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
