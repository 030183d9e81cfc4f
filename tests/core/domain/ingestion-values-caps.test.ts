import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { driverRowProblems, ingestDriversUpload, LABEL_PATTERN } from '../../../core/domain/drivers-ingestion.js';
import { DEFAULT_INGEST_RULES, ingestUpload } from '../../../core/domain/ingestion.js';
import type { UploadSource } from '../../../core/ports/index.js';
import { readDrivers } from '../../../engine/index.js';
import { startTestStorage, type TestStorage } from '../../support/storage.js';

/**
 * Issue 18, items 9, 10 and 11 at ingestion: absurd numbers are rejected rows (never a stored null that erases a
 * known day), the caps on distinct series and stores per upload reject the upload like the other reading caps,
 * and driver labels and column names are held to a safe alphabet.
 */
const NOW = new Date('2026-03-10T12:00:00Z');
const clock = { now: () => NOW };
const source = (name: string, text: string): UploadSource => ({ name, open: () => [Buffer.from(text)] });

let t: TestStorage;
beforeAll(async () => {
  t = await startTestStorage();
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

async function history(store: string) {
  const state = (await t.storage.stores.get(store))?.value;
  return state?.history ? t.storage.history.read(state.history.blob) : [];
}

describe('absurd numbers (item 9)', () => {
  test('1e400 on a known day is a rejected row naming the line: the day keeps its value, nothing is corrected', async () => {
    await ingestUpload(t.storage, source('v1.csv', 'date,store,item,sales\n2025-01-01,V1,1,5\n2025-01-02,V1,1,6\n'), { clock });
    const before = (await t.storage.stores.get('V1'))!.value.history!.version;
    const result = await ingestUpload(t.storage, source('v2.csv', 'date,store,item,sales\n2025-01-01,V1,1,1e400\n2025-01-02,V1,1,3000000000\n'), { clock });
    expect(result.rejected).toEqual([
      { line: 2, reason: 'sales 1e400 is not a finite number' },
      { line: 3, reason: 'sales 3000000000 is above the maximum 1000000000 (the cap on one value)' },
    ]);
    expect(result).toMatchObject({ status: 'rejected', accepted: 0, changedStores: [] });
    expect((await t.storage.stores.get('V1'))!.value.history!.version).toBe(before);
    expect(Array.from((await history('V1'))[0]!.values)).toEqual([5, 6]);
  });

  test('the maximum is a setting (FOREACT_INGEST_MAX_VALUE), and so are the caps on series and stores', async () => {
    expect(loadConfig({}).ingest).toMatchObject({ maxValue: 1e9, maxSeries: 500_000, maxStores: 10_000 });
    expect(loadConfig({ FOREACT_INGEST_MAX_VALUE: '1000', FOREACT_INGEST_MAX_SERIES: '20', FOREACT_INGEST_MAX_STORES: '2' }).ingest).toMatchObject({ maxValue: 1000, maxSeries: 20, maxStores: 2 });
    expect(() => loadConfig({ FOREACT_INGEST_MAX_VALUE: 'lots' })).toThrow(/FOREACT_INGEST_MAX_VALUE/);
    expect(() => loadConfig({ FOREACT_INGEST_MAX_SERIES: '0' })).toThrow(/FOREACT_INGEST_MAX_SERIES/);
    const result = await ingestUpload(t.storage, source('v3.csv', 'date,store,item,sales\n2025-01-01,V3,1,1500\n2025-01-02,V3,1,15\n'), { clock, rules: { maxValue: 1000 } });
    expect(result.rejected).toEqual([{ line: 2, reason: 'sales 1500 is above the maximum 1000 (the cap on one value)' }]);
    expect(result.accepted).toBe(1);
  });

  test('a numeric driver of 1e400 rejects the drivers upload, naming the line and the column', async () => {
    const result = await ingestDriversUpload(t.storage, source('drivers/v.csv', 'date,store,promo,price\n2025-01-01,V4,1,2.5\n2025-01-02,V4,0,1e400\n'), { clock });
    expect(result.status).toBe('rejected');
    expect(result.rejected).toEqual([{ line: 3, reason: 'price 1e400 is not a finite number' }]);
    expect(await t.storage.stores.get('V4')).toBeUndefined();
  });
});

describe('caps per upload (item 10)', () => {
  test('more distinct (store, item) series than the cap: the upload is rejected whole, the line named, no store created', async () => {
    const rows = ['date,store,item,sales', ...Array.from({ length: 5 }, (_, i) => `2025-01-01,C1,item${i},1`)];
    const result = await ingestUpload(t.storage, source('caps.csv', rows.join('\n')), { clock, rules: { maxSeries: 3 } });
    expect(result).toMatchObject({ status: 'rejected', accepted: 0, changedStores: [] });
    expect(result.reason).toBe('line 5: the file names more than 3 distinct (store, item) series (the cap per file): split it, or raise the cap; nothing applied');
    expect(await t.storage.stores.get('C1')).toBeUndefined();
  });

  test('more distinct stores than the cap, in sales or drivers: rejected whole, the line named', async () => {
    const sales = await ingestUpload(t.storage, source('stores.csv', 'date,store,item,sales\n2025-01-01,C2,1,1\n2025-01-01,C3,1,1\n2025-01-01,C4,1,1\n'), { clock, rules: { maxStores: 2 } });
    expect(sales.reason).toMatch(/^line 4: the file names more than 2 distinct stores \(the cap per file\)/);
    const drivers = await ingestDriversUpload(t.storage, source('drivers/stores.csv', 'date,store,promo\n2025-01-01,C2,1\n2025-01-01,C3,1\n2025-01-01,C4,1\n'), { clock, rules: { maxStores: 2 } });
    expect(drivers).toMatchObject({ status: 'rejected', changedStores: [] });
    expect(drivers.rejected.map((e) => e.line)).toEqual([4]);
    expect(drivers.rejected[0]!.reason).toMatch(/^the file names more than 2 distinct stores/);
    expect(await t.storage.stores.get('C2')).toBeUndefined();
  });
});

describe('a safe alphabet for driver labels and column names (item 11)', () => {
  test('the labels of the real calendars pass', () => {
    for (const label of ['SuperBowl', "Mother's day", 'Eid al-Fitr', 'NBAFinalsEnd+Father\'s day', 'Cinco De Mayo', "Lunedi dell'Angelo (Pasquetta)", 'Ferragosto (Assunzione)', 'Fête nationale', 'Black Friday 20%', 'promo', 'snap', 'open']) {
      expect(LABEL_PATTERN.test(label), label).toBe(true);
    }
    for (const label of ['=cmd|x', '+1', '-2', '@SUM(1)', 'Sale;=cmd', 'a,b', 'tab\there', 'say "hi"', ' lead', '']) expect(LABEL_PATTERN.test(label), label).toBe(false);
  });

  test('a label or column name outside it rejects the drivers upload, each line named; ids keep the API alphabet', async () => {
    const csv = 'date,store,event,promo\n2025-01-01,L1,Easter,1\n2025-01-02,L1,Sale;=cmd|x,0\n2025-01-03,L1,@SUM(A1),0\n2025-01-04,L1,Easter,0\n2025-01-05,=x,Easter,0\n';
    const result = await ingestDriversUpload(t.storage, source('drivers/labels.csv', csv), { clock });
    expect(result.status).toBe('rejected');
    expect(result.rejected.map((e) => [e.line, e.reason])).toEqual([
      [3, expect.stringMatching(/^event value "Sale;=cmd\|x" is invalid: use up to 100 letters, digits, spaces/)],
      [4, expect.stringMatching(/^event value "@SUM\(A1\)" is invalid/)],
      [6, expect.stringMatching(/^store id "=x" is invalid/)],
    ]);
    expect(await t.storage.stores.get('L1')).toBeUndefined();
    const { table } = await readDrivers([Buffer.from('date,"=HYPERLINK(""x"")"\n2025-01-01,1\n')], 'd.csv');
    const problems = driverRowProblems(table, DEFAULT_INGEST_RULES, NOW);
    expect(problems.map((e) => e.line)).toEqual([1]);
    expect(problems[0]!.reason).toMatch(/^column name "=HYPERLINK\("x"\)" is invalid/);
  });
});
