import { odata, type TableClient } from '@azure/data-tables';
import type { RealisedAccuracyLedger, RealisedDay } from '../../ports/index.js';
import { encodeKey } from './keys.js';

type Entity = { partitionKey: string; rowKey: string; runId: string; actual: number; forecast: number; p10: number; p90: number };

/** `realised` table: partition = store, row = ISO date (sorts in time order). */
export class TableRealisedAccuracy implements RealisedAccuracyLedger {
  constructor(private readonly table: TableClient) {}

  async record(days: readonly RealisedDay[]): Promise<void> {
    for (const d of days) {
      const entity: Entity = { partitionKey: encodeKey(d.store), rowKey: d.date, runId: d.runId, actual: d.actual, forecast: d.forecast, p10: d.p10, p90: d.p90 };
      await this.table.upsertEntity(entity, 'Replace');
    }
  }

  async recent(store: string, days: number): Promise<RealisedDay[]> {
    const rows: RealisedDay[] = [];
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${encodeKey(store)}` } })) {
      rows.push({ store, date: e.rowKey, runId: e.runId, actual: e.actual, forecast: e.forecast, p10: e.p10, p90: e.p90 });
    }
    return rows.sort((a, b) => (a.date < b.date ? -1 : 1)).slice(-days);
  }
}
