import { describe, expect, test } from 'vitest';
import { ITEM_MASTER_BLOB } from '../../core/adapters/azure/item-master.js';
import { useIngestHost } from '../support/ingest-host.js';

/**
 * The item master from an upload under uploads/items/ through the same queue-triggered ingestion as sales,
 * drivers and store attributes: a good file is stored whole, a bad one changes nothing and names every bad line.
 */

describe('item master from upload to storage', () => {
  const ingest = useIngestHost({ taskHub: 'ItemsHub' });

  test('a good file is stored whole as items/master.json; nothing lands in the sales stores', async () => {
    expect(await ingest.deps.storage.items!.read()).toBeUndefined();
    await ingest.upload('items/master.csv', 'item,units_per_case,cases_per_pallet,weight_per_unit\n1,12,40,0.5\n2,6,20,\n');
    const master = await ingest.deps.storage.items!.read();
    expect(master?.get('1')).toEqual({ unitsPerCase: 12, casesPerPallet: 40, weightPerUnit: 0.5 });
    expect(master?.get('2')).toEqual({ unitsPerCase: 6, casesPerPallet: 20 });
    expect(master?.size).toBe(2);
    expect(await ingest.deps.storage.stores.list()).toEqual([]);
  });

  test('a bad file is refused whole, every bad line named; the stored master is untouched', async () => {
    const blob = ingest.deps.storage.clients.container('drivers').getBlobClient(ITEM_MASTER_BLOB);
    const before = (await blob.downloadToBuffer()).toString();
    // Line 2 is fine and is not applied either; 3: cases per pallet 0; 4: a second row for 9; 5: an id the
    // API cannot address; 6: too few fields.
    await ingest.upload('items/broken.csv', 'item,units_per_case,cases_per_pallet\n9,1,1\n8,12,0\n9,2,2\nbad item!,1,1\n7,1\n');
    expect((await blob.downloadToBuffer()).toString()).toBe(before);
    expect((await ingest.deps.storage.items!.read())?.has('9')).toBe(false);
    const report = (await ingest.deps.storage.clients.container('rejected').getBlobClient('items/broken.csv.rejected.csv').downloadToBuffer()).toString();
    const lines = report.trimEnd().split('\n');
    expect(lines[0]).toBe('line,reason,row');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([3, 4, 5, 6]);
    expect(report).toMatch(/\n3,.*cases_per_pallet 0 must be above 0/);
    expect(report).toMatch(/\n4,.*duplicate row for item 9 \(first seen on line 2\)/);
    expect(report).toMatch(/\n5,"item id ""bad item!"" is invalid/);
    expect(report).toMatch(/\n6,.*expected 3 fields, found 2/);
  });

  test('a tampered stored master is refused when read back, naming the bad field', async () => {
    const blob = ingest.deps.storage.clients.container('drivers').getBlockBlobClient(ITEM_MASTER_BLOB);
    const good = (await blob.downloadToBuffer()).toString();
    const tampered = JSON.parse(good) as { items: Record<string, { unitsPerCase: number }> };
    tampered.items['1']!.unitsPerCase = -12;
    await blob.uploadData(Buffer.from(JSON.stringify(tampered)));
    await expect(ingest.deps.storage.items!.read()).rejects.toThrow(/items\["1"\]\.unitsPerCase must be a positive finite number/);
    await blob.uploadData(Buffer.from(good));
  });

  test('the store file rejects a truck of 0 pallets, naming the line', async () => {
    await ingest.upload('stores/logistics.csv', 'store,type,truck_pallets,receiving_limit_pallets\nS1,a,33,60\nS2,b,0,\n');
    expect(await ingest.deps.storage.attributes.read()).toBeUndefined();
    const report = (await ingest.deps.storage.clients.container('rejected').getBlobClient('stores/logistics.csv.rejected.csv').downloadToBuffer()).toString();
    expect(report).toMatch(/\n3,"truck_pallets ""0"" must be a number of pallets above 0/);
  });
});
