import { describe, expect, test } from 'vitest';
import type { IngestResult } from '../../../core/domain/ingestion.js';
import { LegacyPointerAdoption, uploadKind, uploadNotes } from '../../../core/domain/upload-trigger.js';

type Adopted = { adopted: string[]; refused: { store: string; problem: string }[] };

function recorder(): { lines: string[]; log(m: string): void; warn(m: string): void } {
  const r = { lines: [] as string[], log: (m: string) => r.lines.push(`log ${m}`), warn: (m: string) => r.lines.push(`warn ${m}`) };
  return r;
}

const result = (over: Partial<IngestResult>): IngestResult => ({ upload: 'u', key: 'abcdef0123456789', duplicate: false, status: 'applied', rows: 3, accepted: 2, rejected: [], rejectedCount: 1, changedStores: ['1', '2'], unchangedStores: 0, ...over });

describe('which ingestion an upload gets, by where it was dropped', () => {
  test('drivers/, stores/ and anything else', () => {
    expect(uploadKind('drivers/plan.csv')).toBe('drivers');
    expect(uploadKind('stores/attributes.csv')).toBe('store-attributes');
    expect(uploadKind('items/master.csv')).toBe('item-master');
    expect(uploadKind('2017-07.csv.gz')).toBe('sales');
  });
});

describe('what the trigger logs of an ingestion', () => {
  test('a duplicate says nothing changed, and nothing else', () => {
    expect(uploadNotes('a.csv', 'sales', result({ duplicate: true }))).toEqual([{ level: 'log', message: 'upload a.csv: same content already ingested (abcdef012345…); nothing changed' }]);
  });

  test('store attributes are stored; sales and drivers mark stores stale; an unusable file is a warning', () => {
    expect(uploadNotes('stores/s.csv', 'store-attributes', result({ rejectedBlob: 'rejected/s.csv' }))[0]?.message).toBe('upload stores/s.csv: 2 rows accepted, 1 rejected (see rejected/s.csv); attributes of 2 store(s) stored');
    expect(uploadNotes('a.csv', 'sales', result({}))).toEqual([{ level: 'log', message: 'upload a.csv: 2 rows accepted, 1 rejected; history changed for 2 store(s), marked stale' }]);
    expect(uploadNotes('a.csv', 'drivers', result({ status: 'rejected', reason: 'no header' }))[1]).toEqual({ level: 'warn', message: 'upload a.csv is unusable: no header' });
  });

  test('an item master is stored whole, or left unchanged with a warning', () => {
    expect(uploadNotes('items/m.csv', 'item-master', result({ rejectedCount: 0, changedStores: [] }))).toEqual([{ level: 'log', message: 'upload items/m.csv: 2 rows accepted, 0 rejected; pack sizes of 2 item(s) stored' }]);
    const refused = uploadNotes('items/m.csv', 'item-master', result({ status: 'rejected', accepted: 0, rejectedBlob: 'rejected/m.csv', reason: '1 bad line(s)', changedStores: [] }));
    expect(refused.map((n) => n.message)).toEqual(['upload items/m.csv: 0 rows accepted, 1 rejected (see rejected/m.csv); item master unchanged', 'upload items/m.csv is unusable: 1 bad line(s)']);
  });
});

describe('legacy pointers are adopted once per process', () => {
  test('once adopted, later uploads do not adopt again; refused stores are reported', async () => {
    let calls = 0;
    const pointers = { adoptLegacy: (): Promise<Adopted> => (calls++, Promise.resolve({ adopted: ['1', '2'], refused: [{ store: '9', problem: 'names another store' }] })) };
    const adoption = new LegacyPointerAdoption();
    const log = recorder();
    await adoption.run(pointers, log);
    await adoption.run(pointers, log);
    expect(calls).toBe(1);
    expect(log.lines).toEqual(["log store pointers: 2 store(s) moved from the stores table to ingestion's own record", 'warn store pointers: store "9" refused: names another store']);
  });

  test('a failure is warned about, does not fail the upload, and is retried on the next one', async () => {
    let calls = 0;
    const pointers = { adoptLegacy: (): Promise<Adopted> => (++calls === 1 ? Promise.reject(new Error('table down')) : Promise.resolve({ adopted: [], refused: [] })) };
    const adoption = new LegacyPointerAdoption();
    const log = recorder();
    await expect(adoption.run(pointers, log)).resolves.toBeUndefined();
    await adoption.run(pointers, log);
    await adoption.run(pointers, log);
    expect(calls).toBe(2);
    expect(log.lines).toEqual(['warn store pointers: adopting legacy pointers failed (retried on the next upload): table down']);
  });
});
