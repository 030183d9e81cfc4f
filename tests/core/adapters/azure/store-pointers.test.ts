import { describe, expect, test } from 'vitest';
import { trainerSettings } from '../../../../core/composition.js';
import { ingestUpload } from '../../../../core/domain/ingestion.js';
import { ingestDriversUpload } from '../../../../core/domain/drivers-ingestion.js';
import { trainAndPublishStore } from '../../../../core/domain/train-and-publish.js';
import { systemClock as clock } from '../../../../core/ports/index.js';
import { sampleStore, toCsv } from '../../../support/sales.js';
import { trainerWrites, uploadSource, useTestStorage } from '../../../support/storage.js';

// The trainer identity may write the `stores` table (roles.bicep: trainerTables). Everything below writes
// that table the way a compromised trainer pod could, and checks that ingestion (the Function App's
// identity, which may delete in `sales` and, through `..`, in `uploads`) never reads or deletes through it,
// and that no reader serves one store another store's sales.

const t = useTestStorage();

const days = (store: string, from: number, to: number, items = 2) => sampleStore(store, items, to).map((s) => ({ ...s, startDay: s.startDay + from, values: s.values.slice(from, to) }));

async function exists(container: string, blob: string): Promise<boolean> {
  return t.storage.clients.container(container).getBlobClient(blob).exists();
}

async function victimUpload(name: string): Promise<void> {
  await t.storage.clients.container(t.config.containers.uploads).getBlockBlobClient(name).uploadData(Buffer.from('date,store,item,sales\n'));
}

async function historyItems(store: string): Promise<string[]> {
  const state = (await t.storage.stores.get(store))!.value;
  return (await t.storage.history.read(state.history!.blob)).map((s) => `${s.store}|${s.item}`).sort();
}

describe('ingestion-owned pointers: a trainer-written stores row cannot steer ingestion', () => {
  test('pointers naming another store, an upload or a ../ path are never read or deleted, and store B is never served store A\'s sales', async () => {
    await ingestUpload(t.storage, uploadSource('a1.csv', toCsv(days('A', 0, 30, 3))), { clock });
    await ingestUpload(t.storage, uploadSource('a2.csv', toCsv(days('A', 30, 60, 3))), { clock });
    await ingestUpload(t.storage, uploadSource('b1.csv', toCsv(days('B', 0, 30))), { clock });
    await victimUpload('pos/victim.csv');
    const a = (await t.storage.stores.get('A'))!.value;
    expect(a.previousHistoryBlob).toBeDefined();

    await trainerWrites(t, 'B', {
      store: 'A',
      historyBlob: a.history!.blob,
      historyVersion: a.history!.version,
      previousHistoryBlob: '../uploads/pos/victim.csv',
      driversBlob: `../sales/${a.previousHistoryBlob!}`,
      driversVersion: 'v1',
    });

    // Readers of the row (the API, trainers) see store B without A's pointers.
    const b = (await t.storage.stores.get('B'))!.value;
    expect(b.store).toBe('B');
    expect(b.history).toBeUndefined();
    expect(b.previousHistoryBlob).toBeUndefined();
    expect(b.drivers).toBeUndefined();
    expect((await t.storage.stores.list()).find((s) => s.store === 'B')?.history).toBeUndefined();
    expect((await t.storage.stores.getMany(['B'])).get('B')?.history).toBeUndefined();
    // A trainer for B fails rather than training (and publishing) on A's sales.
    await expect(trainAndPublishStore({ ...t.storage, clock }, trainerSettings(t.config), { store: 'B', runId: 'run-b-tampered', trigger: 'manual' })).rejects.toThrow(/no sales history/);
    expect(await t.storage.forecasts.readRun('B', 'run-b-tampered')).toEqual([]);

    // Two more uploads for B: the second switch deletes whatever B's "previous" pointer names.
    await ingestUpload(t.storage, uploadSource('b2.csv', toCsv(days('B', 30, 45))), { clock });
    await ingestUpload(t.storage, uploadSource('b3.csv', toCsv(days('B', 45, 60))), { clock });
    await ingestDriversUpload(t.storage, uploadSource('drivers/b.csv', 'date,store,promo\n2021-03-01,B,1\n'), { clock });

    expect(await exists('uploads', 'pos/victim.csv')).toBe(true);
    expect(await exists('sales', a.history!.blob)).toBe(true);
    expect(await exists('sales', a.previousHistoryBlob!)).toBe(true);
    // B's history is B's, merged from its own pointer: the first upload's days are still there.
    expect(await historyItems('B')).toEqual(['B|1', 'B|2']);
    const restored = (await t.storage.stores.get('B'))!.value;
    expect(restored.history).toMatchObject({ firstDay: '2021-01-04', observations: 120 });
    expect(restored.history!.blob.startsWith('B/history-')).toBe(true);
    expect(restored.drivers!.blob.startsWith('B/drivers-')).toBe(true);
    expect(await historyItems('A')).toEqual(['A|1', 'A|2', 'A|3']);
  });

  test('a store whose pointers are only on its stores row (before this change) is checked: a bad history pointer is refused before any read or delete; a bad previous pointer is never deleted; good ones are adopted', async () => {
    await ingestUpload(t.storage, uploadSource('c1.csv', toCsv(days('C', 0, 30))), { clock });
    const c = (await t.storage.stores.get('C'))!.value;
    await victimUpload('pos/victim-2.csv');
    // Rows as the previous release wrote them: pointers on the stores row, no record of ingestion's own.
    const legacy = async (store: string, from: number): Promise<{ blob: string; version: string }> => {
      const ref = await t.storage.history.write(store, days(store, from, from + 20));
      await trainerWrites(t, store, { store, historyBlob: ref.blob, historyVersion: ref.version });
      return ref;
    };
    await legacy('L', 0);
    await trainerWrites(t, 'L', { previousHistoryBlob: '../uploads/pos/victim-2.csv' });
    await legacy('M', 0);
    await trainerWrites(t, 'X', { store: 'X', historyBlob: c.history!.blob, historyVersion: c.history!.version, previousHistoryBlob: `../uploads/pos/victim-2.csv` });
    await trainerWrites(t, 'Y', { store: 'Y', historyBlob: '../uploads/pos/victim-2.csv', historyVersion: 'v1' });

    // X names C's history, Y an upload: ingestion refuses them, naming the pointer, and touches nothing.
    await expect(ingestUpload(t.storage, uploadSource('x1.csv', toCsv(days('X', 20, 40))), { clock })).rejects.toThrow(/store "X".*not one of store "X"'s history blobs.*refusing to read or delete/);
    await expect(ingestUpload(t.storage, uploadSource('y1.csv', toCsv(days('Y', 20, 40))), { clock })).rejects.toThrow(/store "Y".*\.\.\/uploads\/pos\/victim-2\.csv.*refusing/);
    expect(await exists('sales', c.history!.blob)).toBe(true);
    expect(await exists('uploads', 'pos/victim-2.csv')).toBe(true);
    expect(await historyItems('C')).toEqual(['C|1', 'C|2']);

    // L's history pointer is its own: adopted and merged into; its bad "previous" is dropped, never deleted.
    await ingestUpload(t.storage, uploadSource('l1.csv', toCsv(days('L', 20, 30))), { clock });
    await ingestUpload(t.storage, uploadSource('l2.csv', toCsv(days('L', 30, 40))), { clock });
    expect(await exists('uploads', 'pos/victim-2.csv')).toBe(true);
    expect((await t.storage.stores.get('L'))!.value.history).toMatchObject({ firstDay: '2021-01-04', observations: 80 });

    // The sweep gives every remaining legacy store a record of its own, and lists the ones it refused.
    const swept = await t.storage.pointers.adoptLegacy();
    expect(swept.adopted).toEqual(['M']);
    expect(swept.refused.map((r) => r.store).sort()).toEqual(['X', 'Y']);
    expect(swept.refused.find((r) => r.store === 'X')?.problem).toContain(c.history!.blob);
    // Adopted: a later trainer write to M's row no longer moves what ingestion merges into.
    await trainerWrites(t, 'M', { historyBlob: c.history!.blob, historyVersion: c.history!.version });
    await ingestUpload(t.storage, uploadSource('m1.csv', toCsv(days('M', 20, 30))), { clock });
    expect(await historyItems('M')).toEqual(['M|1', 'M|2']);
    expect((await t.storage.stores.get('M'))!.value.history).toMatchObject({ firstDay: '2021-01-04', observations: 60 });
    expect(await historyItems('C')).toEqual(['C|1', 'C|2']);
  });
});
