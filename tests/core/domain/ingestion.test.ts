import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { ingestUpload } from '../../../core/domain/ingestion.js';
import { systemClock as clock, type StoragePorts, type UploadSource } from '../../../core/ports/index.js';
import { formatIsoDay, type SeriesHistory } from '../../../engine/index.js';
import { sampleStore, toCsv } from '../../support/sales.js';
import { uploadSource, useTestStorage } from '../../support/storage.js';

const t = useTestStorage();


async function history(store: string): Promise<SeriesHistory[]> {
  const state = (await t.storage.stores.get(store))?.value;
  return state?.history ? t.storage.history.read(state.history.blob) : [];
}

function cells(series: SeriesHistory[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of series) s.values.forEach((v, i) => v === v && out.set(`${s.store}|${s.item}|${formatIsoDay(s.startDay + i)}`, v));
  return out;
}

/** 600 rows over two stores with 30 (5 %) broken in every way the contract names. */
function uploadWithBadRows(): { csv: string; good: Map<string, number>; badLines: number[] } {
  const series = [...sampleStore('S1', 5, 60, 3), ...sampleStore('S2', 5, 60, 4)];
  const lines = toCsv(series).trimEnd().split('\n');
  const good = cells(series);
  const badLines: number[] = [];
  const breakers = [
    (l: string) => l.replace(/^\d{4}-\d{2}-\d{2}/, '2021-02-30'),
    (l: string) => l.replace(/,[^,]*$/, ',-3'),
    (l: string) => l.replace(/,[^,]*$/, ',lots'),
    (l: string) => l.split(',').slice(0, 3).join(','),
    (l: string) => l.replace(/,[^,]*,/, ',,'),
  ];
  for (let k = 0; k < 30; k++) {
    const index = 1 + k * 20;
    const original = lines[index]!;
    const [date, store, item] = original.split(',');
    good.delete(`${store}|${item}|${date}`);
    lines[index] = breakers[k % breakers.length]!(original);
    badLines.push(index + 1);
  }
  return { csv: `${lines.join('\n')}\n`, good, badLines };
}

describe('ingestion', () => {
  test('a file with 5 % bad rows: every good row is merged, every bad row reported with line and reason', async () => {
    const { csv, good, badLines } = uploadWithBadRows();
    const result = await ingestUpload(t.storage, uploadSource('day1/sales.csv', gzipSync(csv)), { clock });
    expect(result).toMatchObject({ duplicate: false, status: 'applied', accepted: 570, rejectedCount: 30, rows: 600 });
    expect(result.rejected.map((e) => e.line)).toEqual(badLines);
    for (const e of result.rejected) expect(e.reason.length).toBeGreaterThan(5);
    expect(result.changedStores.sort()).toEqual(['S1', 'S2']);
    expect(cells([...(await history('S1')), ...(await history('S2'))])).toEqual(good);

    const report = (await t.storage.clients.container('rejected').getBlobClient('day1/sales.csv.rejected.csv').downloadToBuffer()).toString().trim().split('\n');
    expect(report[0]).toBe('line,reason,row');
    expect(report.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(badLines);
    expect(report[1]).toContain('2021-02-30');

    for (const store of ['S1', 'S2']) {
      const state = (await t.storage.stores.get(store))!.value;
      expect(state).toMatchObject({ stale: true, history: { items: 5, lastDay: '2021-03-04' } });
      expect(state.staleReason).toMatch(/no forecast yet/);
    }
  });

  test('a new upload is read once for its key and its rows; a second read only writes the rejected-rows report', async () => {
    const csv = toCsv(sampleStore('ONCE', 2, 20, 9));
    let opens = 0;
    const counted = (name: string, content: string): UploadSource => ({
      name,
      open: () => {
        opens++;
        return [Buffer.from(content)];
      },
    });
    const clean = await ingestUpload(t.storage, counted('once.csv', csv), { clock });
    expect(clean).toMatchObject({ duplicate: false, status: 'applied', rejectedCount: 0 });
    expect(clean.key).toBe(createHash('sha256').update(csv).digest('hex'));
    expect(opens).toBe(1);
    opens = 0;
    const withBadRow = `${csv}2021-02-30,ONCE,1,3\n`;
    const bad = await ingestUpload(t.storage, counted('once-bad.csv', withBadRow), { clock });
    expect(bad).toMatchObject({ duplicate: false, rejectedCount: 1, key: createHash('sha256').update(withBadRow).digest('hex') });
    expect(opens).toBe(2);
    opens = 0;
    expect(await ingestUpload(t.storage, counted('once-again.csv', csv), { clock })).toMatchObject({ duplicate: true, key: clean.key });
    expect(opens).toBe(1);
  });

  test('re-delivering the same content, under any name, is a no-op', async () => {
    const { csv } = uploadWithBadRows();
    const before = (await t.storage.stores.get('S1'))!;
    const again = await ingestUpload(t.storage, uploadSource('day1/sales-copy.csv', gzipSync(csv)), { clock });
    expect(again).toMatchObject({ duplicate: true, status: 'applied', accepted: 570, rejectedCount: 30, changedStores: [] });
    const after = (await t.storage.stores.get('S1'))!;
    expect(after.etag).toBe(before.etag);
    const names: string[] = [];
    for await (const b of t.storage.clients.container('sales').listBlobsFlat({ prefix: 'S1/' })) names.push(b.name);
    expect(names).toEqual([before.value.history!.blob]);
  });

  test('corrections replace days, new days append, and the previous version is kept one step back', async () => {
    const before = (await t.storage.stores.get('S1'))!.value;
    const csv = 'date,store,item,sales\n2021-01-05,S1,1,999\n2021-03-10,S1,1,7\n2021-03-10,S1,new-item,2\n';
    const result = await ingestUpload(t.storage, uploadSource('fix.csv', csv), { clock });
    expect(result).toMatchObject({ accepted: 3, rejectedCount: 0, changedStores: ['S1'] });
    const after = (await t.storage.stores.get('S1'))!.value;
    expect(after.history!.version).not.toBe(before.history!.version);
    expect(after.previousHistoryBlob).toBe(before.history!.blob);
    expect(after.staleReason).toMatch(/2 new and 1 corrected/);
    const c = cells(await history('S1'));
    expect(c.get('S1|1|2021-01-05')).toBe(999);
    expect(c.get('S1|1|2021-03-10')).toBe(7);
    expect(c.get('S1|new-item|2021-03-10')).toBe(2);
    expect(c.get('S1|2|2021-01-05')).toBeDefined();
  });

  test('an unusable file changes nothing and says why', async () => {
    const result = await ingestUpload(t.storage, uploadSource('bad.csv', 'when,where,what\n2021-01-01,S9,1,3\n'), { clock });
    expect(result).toMatchObject({ status: 'rejected', accepted: 0 });
    expect(result.reason).toMatch(/header is missing/);
    expect(await t.storage.stores.get('S9')).toBeUndefined();
  });

  test('a crash between stores leaves each store with its old or new history, and re-delivery completes it', async () => {
    const csv = 'date,store,item,sales\n2022-01-01,C1,1,5\n2022-01-01,C2,1,6\n';
    await ingestUpload(t.storage, uploadSource('seed.csv', 'date,store,item,sales\n2021-12-31,C1,1,1\n2021-12-31,C2,1,1\n'), { clock });
    const c2Before = (await t.storage.stores.get('C2'))!;
    const failing: StoragePorts = {
      ...t.storage,
      history: {
        ...t.storage.history,
        read: (blob) => t.storage.history.read(blob),
        delete: (blob) => t.storage.history.delete(blob),
        write: (store, series) => (store === 'C2' ? Promise.reject(new Error('storage went away')) : t.storage.history.write(store, series)),
      },
    };
    await expect(ingestUpload(failing, uploadSource('both.csv', csv), { clock, concurrency: 1 })).rejects.toThrow(/storage went away/);
    expect(cells(await history('C1')).get('C1|1|2022-01-01')).toBe(5);
    expect((await t.storage.stores.get('C2'))!.etag).toBe(c2Before.etag);
    expect(cells(await history('C2')).get('C2|1|2022-01-01')).toBeUndefined();

    const c1Version = (await t.storage.stores.get('C1'))!.value.history!.version;
    const retry = await ingestUpload(t.storage, uploadSource('both.csv', csv), { clock });
    expect(retry).toMatchObject({ duplicate: false, changedStores: ['C2'], unchangedStores: 1 });
    expect((await t.storage.stores.get('C1'))!.value.history!.version).toBe(c1Version);
    expect(cells(await history('C2')).get('C2|1|2022-01-01')).toBe(6);
  });

  test('concurrent uploads to one store both land (optimistic concurrency, no lost update)', async () => {
    const uploads = Array.from({ length: 4 }, (_, k) => uploadSource(`par-${k}.csv`, `date,store,item,sales\n2023-01-0${k + 1},P,1,${k + 10}\n`));
    const results = await Promise.all(uploads.map((u) => ingestUpload(t.storage, u, { clock })));
    expect(results.every((r) => r.changedStores[0] === 'P')).toBe(true);
    const c = cells(await history('P'));
    expect([...c.values()].sort()).toEqual([10, 11, 12, 13]);
  });
});
