import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppDeps } from '../../core/composition.js';
import { createRuntime, useRuntime } from '../../core/runtime.js';
import { INGEST_EVENTS, loadConfig } from '../../core/config.js';
import { STORE_ATTRIBUTES_BLOB } from '../../core/adapters/azure/store-attributes.js';
import { parseIsoDay } from '../../engine/index.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startLocalHost, type LocalHost } from '../support/local-host.js';

/**
 * Store attributes from an upload under uploads/stores/ through the same queue-triggered ingestion as sales
 * and drivers: a good file is stored whole, a bad one changes nothing and names every bad line.
 */

const REPO = path.resolve(__dirname, '../..');

describe('store attributes from upload to storage', () => {
  let azurite: AzuriteInstance;
  let host: LocalHost;
  let deps: AppDeps;

  async function upload(name: string, text: string): Promise<void> {
    await deps.storage.clients.container(INGEST_EVENTS.container).getBlockBlobClient(name).uploadData(Buffer.from(text));
    await host.pollBlobs();
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    // The functions the host loads run on the test's own runtime (its settings, no process.env).
    const runtime = createRuntime(loadConfig({ AzureWebJobsStorage: azurite.connectionString }));
    useRuntime(runtime);
    deps = await runtime.deps();
    host = await startLocalHost({ port: 0, storageConnectionString: azurite.connectionString, modules: [path.join(REPO, 'functions', 'ingest-sales.ts')], taskHub: 'AttributesHub', blobPollIntervalMs: 60_000, blobEvents: [INGEST_EVENTS], log: () => undefined });
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  test('a good file is stored whole: columns classified, values typed, nothing in the sales stores', async () => {
    expect(await deps.storage.attributes.read()).toBeUndefined();
    await upload('stores/chain.csv', 'store,type,size,opened,region\nS1,a,1200,2015-03-01,North\nS2,b,,2019-07-15,South\nS3,a,800,,North\n');
    const table = await deps.storage.attributes.read();
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
    expect(await deps.storage.stores.list()).toEqual([]);
  });

  test('a bad file is refused whole, every bad line named; the stored attributes are untouched', async () => {
    const before = (await deps.storage.clients.container('drivers').getBlobClient(STORE_ATTRIBUTES_BLOB).downloadToBuffer()).toString();
    // Line 3: a store id the API cannot address; line 4: a second row for S9; line 5: a formula-like text
    // value; line 6: too few fields. Line 2 is fine, and is not applied either.
    await upload('stores/broken.csv', 'store,type,size\nS9,c,100\nbad store!,a,1\nS9,a,2\nS4,=cmd(),3\nS5,a\n');
    expect((await deps.storage.clients.container('drivers').getBlobClient(STORE_ATTRIBUTES_BLOB).downloadToBuffer()).toString()).toBe(before);
    expect((await deps.storage.attributes.read())?.stores.has('S9')).toBe(false);
    const report = (await deps.storage.clients.container('rejected').getBlobClient('stores/broken.csv.rejected.csv').downloadToBuffer()).toString();
    const lines = report.trimEnd().split('\n');
    expect(lines[0]).toBe('line,reason,row');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([3, 4, 5, 6]);
    expect(report).toMatch(/\n3,"store id ""bad store!"" is invalid/);
    expect(report).toMatch(/\n4,.*duplicate row for store S9 \(first seen on line 2\)/);
    expect(report).toMatch(/\n5,"type ""=cmd\(\)"" is invalid/);
    expect(report).toMatch(/\n6,.*expected 3 fields, found 2/);
  });

  test('a tampered stored table is refused when read back, naming the bad field', async () => {
    const blob = deps.storage.clients.container('drivers').getBlockBlobClient(STORE_ATTRIBUTES_BLOB);
    const good = (await blob.downloadToBuffer()).toString();
    const tampered = JSON.parse(good) as { stores: Record<string, unknown[]> };
    tampered.stores['S1']![0] = '=HYPERLINK("http://x")';
    await blob.uploadData(Buffer.from(JSON.stringify(tampered)));
    await expect(deps.storage.attributes.read()).rejects.toThrow(/stores\["S1"\]\[0\] is not a valid text value for type/);
    const foreign = { ...(JSON.parse(good) as object), stores: { '../x': ['a', 1, 1, 'North'] } };
    await blob.uploadData(Buffer.from(JSON.stringify(foreign)));
    await expect(deps.storage.attributes.read()).rejects.toThrow(/store id "..\/x" is invalid/);
    await blob.uploadData(Buffer.from(good));
  });
});
