import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { UsageError } from '../../cli/args.js';
import { adminCommand } from '../../cli/commands/admin.js';
import { ingestUpload } from '../../core/domain/ingestion.js';
import { formatIsoDay, lastDay, type SeriesHistory } from '../../engine/index.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

/**
 * Issue 13, hole 1: a day typed as 2204 (accepted before dates were checked) moved a store's forecast origin
 * and nothing could remove it. `foreact admin delete-history` writes a new history version without the
 * range, switches the pointer and marks the store stale.
 */
let t: TestStorage;
beforeAll(async () => {
  t = await startTestStorage();
});
afterAll(async () => {
  await t?.stop();
});

async function history(store: string): Promise<SeriesHistory[]> {
  const state = (await t.storage.stores.get(store))?.value;
  return state?.history ? t.storage.history.read(state.history.blob) : [];
}

function run(args: string[]): Promise<number> {
  return adminCommand(['delete-history', ...args], t.env);
}

describe('foreact admin delete-history', () => {
  test('removes the range as a new history version, switches the pointer and marks the store stale', async () => {
    const series = sampleStore('H1', 2, 60);
    await ingestUpload(t.storage, { name: 'h1.csv', open: () => [toCsv(series)] }, { clock: { now: () => new Date() } });
    // The typo, as it could land before ingestion checked dates (or with a clock that far ahead).
    await ingestUpload(t.storage, { name: 'typo.csv', open: () => ['date,store,item,sales\n2204-01-01,H1,1,5\n'] }, { clock: { now: () => new Date('2204-01-02T00:00:00Z') } });
    const before = (await t.storage.stores.get('H1'))!.value;
    expect(before.history!.lastDay).toBe('2204-01-01');

    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await run(['--store', 'H1', '--from', '2204-01-01', '--to', '2204-12-31'])).toBe(0);
      expect(String(out.mock.calls.at(-1)?.[0])).toMatch(/^H1: deleted 1 observation\(s\) from 2204-01-01 to 2204-12-31; history v\S+; the store is marked stale\n$/);
      const after = (await t.storage.stores.get('H1'))!.value;
      expect(after.history!.version).not.toBe(before.history!.version);
      expect(after.previousHistoryBlob).toBe(before.history!.blob);
      expect(after.history!.lastDay).toBe(formatIsoDay(Math.max(...series.map(lastDay))));
      expect(after.stale).toBe(true);
      expect(after.staleReason).toMatch(/an admin deleted 1 observation\(s\) from 2204-01-01 to 2204-12-31/);
      const kept = await history('H1');
      expect(kept.map((s) => [s.item, s.startDay, Array.from(s.values)])).toEqual(series.map((s) => [s.item, s.startDay, Array.from(s.values)]));

      // A range in the middle: those days go, the rest stay; the same command again changes nothing.
      expect(await run(['--store', 'H1', '--from', formatIsoDay(series[0]!.startDay + 10), '--to', formatIsoDay(series[0]!.startDay + 19)])).toBe(0);
      const cut = await history('H1');
      expect(cut.every((s) => s.values.slice(10, 20).every((v) => Number.isNaN(v)))).toBe(true);
      expect(cut[0]!.values.filter((v) => !Number.isNaN(v))).toHaveLength(50);
      const version = (await t.storage.stores.get('H1'))!.value.history!.version;
      expect(await run(['--store', 'H1', '--from', formatIsoDay(series[0]!.startDay + 10), '--to', formatIsoDay(series[0]!.startDay + 19)])).toBe(0);
      expect(String(out.mock.calls.at(-1)?.[0])).toMatch(/nothing changed/);
      expect((await t.storage.stores.get('H1'))!.value.history!.version).toBe(version);
    } finally {
      out.mockRestore();
    }
  });

  test('bad arguments are usage errors: a reversed range, a bad date or id, an unknown store', async () => {
    await expect(run(['--store', 'H1', '--from', '2021-02-01', '--to', '2021-01-01'])).rejects.toThrow(UsageError);
    await expect(run(['--store', 'H1', '--from', '2021-02-30', '--to', '2021-03-01'])).rejects.toThrow(/--from must be a date/);
    await expect(run(['--store', '../x', '--from', '2021-02-01', '--to', '2021-03-01'])).rejects.toThrow(/not a store id/);
    await expect(run(['--store', 'NOPE', '--from', '2021-02-01', '--to', '2021-03-01'])).rejects.toThrow(/has no sales history/);
  });
});
