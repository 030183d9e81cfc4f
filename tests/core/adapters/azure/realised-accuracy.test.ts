import { describe, expect, test } from 'vitest';
import { TableRealisedAccuracy } from '../../../../core/adapters/azure/realised-accuracy.js';
import { encodeKey } from '../../../../core/adapters/azure/keys.js';
import type { RealisedDay } from '../../../../core/ports/index.js';
import { type TestStorage, useTestStorage } from '../../../support/storage.js';

const t = useTestStorage();
let tables = 0;

const day = (store: string, date: string, actual: number): RealisedDay => ({ store, date, runId: `run-${date}`, actual, forecast: actual + 1, p10: actual - 2, p90: actual + 2 });
const dates = (n: number, from = Date.UTC(2025, 11, 1)): string[] => Array.from({ length: n }, (_, i) => new Date(from + i * 86_400_000).toISOString().slice(0, 10));

async function fresh(): Promise<{ ledger: TableRealisedAccuracy; table: ReturnType<TestStorage['storage']['clients']['table']> }> {
  const table = t.storage.clients.table(`realisedtest${++tables}`);
  await table.createTable();
  return { ledger: new TableRealisedAccuracy(table), table };
}

describe('realised accuracy ledger (Azurite)', () => {
  test('returns the last days in date order, from one page of newest-first rows, across years and stores', async () => {
    const { ledger } = await fresh();
    const all = dates(60);
    // Out of order and in several calls: the order comes from the keys, not from how days arrived.
    await ledger.record([...all.slice(30)].reverse().map((d, i) => day('s/1', d, i)));
    await ledger.record(all.slice(0, 30).map((d, i) => day('s/1', d, 100 + i)));
    await ledger.record([day('s2', '2026-03-01', 5)]);
    const last = await ledger.recent('s/1', 7);
    expect(last.map((d) => d.date)).toEqual(all.slice(-7));
    expect(last[6]).toEqual(day('s/1', all[59]!, 0));
    expect((await ledger.recent('s2', 7)).map((d) => d.date)).toEqual(['2026-03-01']);
    expect(await ledger.recent('nobody', 7)).toEqual([]);
    // A day recorded again replaces the old figures.
    await ledger.record([day('s/1', all[59]!, 42)]);
    expect((await ledger.recent('s/1', 1))[0]!.actual).toBe(42);
  });

  test('a store recorded before newest-first keys (row = ISO date) keeps its days, and newer rows win', async () => {
    const { ledger, table } = await fresh();
    const legacy = dates(5, Date.UTC(2025, 0, 1));
    for (const d of legacy) {
      const r = day('old', d, 3);
      await table.upsertEntity({ partitionKey: encodeKey('old'), rowKey: d, runId: r.runId, actual: r.actual, forecast: r.forecast, p10: r.p10, p90: r.p90 }, 'Replace');
    }
    await ledger.record([day('old', legacy[4]!, 9), day('old', '2025-01-06', 1)]);
    const got = await ledger.recent('old', 7);
    expect(got.map((d) => d.date)).toEqual([...legacy, '2025-01-06']);
    expect(got.find((d) => d.date === legacy[4])!.actual).toBe(9);
  });

  test('keeps the adjusted total, who adjusted it and the quantiles; leaves out columns that do not read back', async () => {
    const { ledger, table } = await fresh();
    const quantiles = { p50: 10, p80: 12.5, p90: 14, p95: 15.25 };
    await ledger.record([{ ...day('q', '2026-03-01', 5), adjusted: 7.5, adjustedBy: ['ann@contoso.com'], quantiles }, day('q', '2026-03-02', 6)]);
    const [adjusted, plain] = await ledger.recent('q', 7);
    expect(adjusted).toEqual({ ...day('q', '2026-03-01', 5), adjusted: 7.5, adjustedBy: ['ann@contoso.com'], quantiles });
    expect(plain).toEqual(day('q', '2026-03-02', 6));
    const row = (await table.listEntities<{ rowKey: string; date?: string }>().next()).value as { partitionKey: string; rowKey: string };
    await table.updateEntity({ partitionKey: row.partitionKey, rowKey: row.rowKey, adjusted: -1, quantiles: '{"p50":1}' }, 'Merge');
    const damaged = (await ledger.recent('q', 7)).find((d) => d.date === (row as { date?: string }).date)!;
    expect(damaged.adjusted).toBeUndefined();
    expect(damaged.quantiles).toBeUndefined();
  });
});
