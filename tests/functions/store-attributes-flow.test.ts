import { describe, expect, test } from 'vitest';
import { STORE_ATTRIBUTES_BLOB } from '../../core/adapters/azure/store-attributes.js';
import { parseIsoDay } from '../../engine/index.js';
import { useIngestHost } from '../support/ingest-host.js';

/**
 * Store attributes from an upload under uploads/stores/ through the same queue-triggered ingestion as sales
 * and drivers: a good file is stored whole, a bad one changes nothing and names every bad line.
 */

describe('store attributes from upload to storage', () => {
  const ingest = useIngestHost({ taskHub: 'AttributesHub' });

  test('a good file is stored whole: columns classified, values typed, nothing in the sales stores', async () => {
    expect(await ingest.deps.storage.attributes.read()).toBeUndefined();
    await ingest.upload('stores/chain.csv', 'store,type,size,opened,region\nS1,a,1200,2015-03-01,North\nS2,b,,2019-07-15,South\nS3,a,800,,North\n');
    const table = await ingest.deps.storage.attributes.read();
    expect(table?.columns).toEqual([
      { name: 'type', kind: 'text' },
      { name: 'size', kind: 'numeric' },
      { name: 'opened', kind: 'date' },
      { name: 'region', kind: 'text' },
    ]);
    expect(table?.stores.get('S1')?.values).toEqual(['a', 1200, parseIsoDay('2015-03-01'), 'North']);
    expect(table?.stores.get('S2')?.values).toEqual(['b', null, parseIsoDay('2019-07-15'), 'South']);
    expect([...(table?.stores.keys() ?? [])].sort()).toEqual(['S1', 'S2', 'S3']);
    // Attributes are not sales: no store appears in the catalogue because of them.
    expect(await ingest.deps.storage.stores.list()).toEqual([]);
  });

  test('a bad file is refused whole, every bad line named; the stored attributes are untouched', async () => {
    const before = (await ingest.deps.storage.clients.container('drivers').getBlobClient(STORE_ATTRIBUTES_BLOB).downloadToBuffer()).toString();
    // Line 3: a store id the API cannot address; line 4: a second row for S9; line 5: a formula-like text
    // value; line 6: too few fields. Line 2 is fine, and is not applied either.
    await ingest.upload('stores/broken.csv', 'store,type,size\nS9,c,100\nbad store!,a,1\nS9,a,2\nS4,=cmd(),3\nS5,a\n');
    expect((await ingest.deps.storage.clients.container('drivers').getBlobClient(STORE_ATTRIBUTES_BLOB).downloadToBuffer()).toString()).toBe(before);
    expect((await ingest.deps.storage.attributes.read())?.stores.has('S9')).toBe(false);
    const report = (await ingest.deps.storage.clients.container('rejected').getBlobClient('stores/broken.csv.rejected.csv').downloadToBuffer()).toString();
    const lines = report.trimEnd().split('\n');
    expect(lines[0]).toBe('line,reason,row');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([3, 4, 5, 6]);
    expect(report).toMatch(/\n3,"store id ""bad store!"" is invalid/);
    expect(report).toMatch(/\n4,.*duplicate row for store S9 \(first seen on line 2\)/);
    expect(report).toMatch(/\n5,"type ""=cmd\(\)"" is invalid/);
    expect(report).toMatch(/\n6,.*expected 3 fields, found 2/);
  });

  test('a tampered stored table is refused when read back, naming the bad field', async () => {
    const blob = ingest.deps.storage.clients.container('drivers').getBlockBlobClient(STORE_ATTRIBUTES_BLOB);
    const good = (await blob.downloadToBuffer()).toString();
    const tampered = JSON.parse(good) as { stores: Record<string, unknown[]> };
    tampered.stores['S1']![0] = '=HYPERLINK("http://x")';
    await blob.uploadData(Buffer.from(JSON.stringify(tampered)));
    await expect(ingest.deps.storage.attributes.read()).rejects.toThrow(/stores\["S1"\]\[0\] is not a valid text value for type/);
    const foreign = { ...(JSON.parse(good) as object), stores: { '../x': ['a', 1, 1, 'North'] } };
    await blob.uploadData(Buffer.from(JSON.stringify(foreign)));
    await expect(ingest.deps.storage.attributes.read()).rejects.toThrow(/store id "..\/x" is invalid/);
    await blob.uploadData(Buffer.from(good));
  });
});
