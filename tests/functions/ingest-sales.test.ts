import { startLocalHost, type LocalHost } from '../support/local-host.js';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatIsoDay } from '../../engine/index.js';
import { INGEST_EVENTS } from '../../core/config.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

const FUNCTION = path.resolve(__dirname, '../../functions/ingest-sales.ts');
let t: TestStorage;
let host: LocalHost;

beforeAll(async () => {
  t = await startTestStorage();
  host = await startLocalHost({ port: 0, storageConnectionString: t.azurite.connectionString, modules: [FUNCTION], taskHub: 'IngestHub', blobPollIntervalMs: 60_000, blobEvents: [INGEST_EVENTS], log: () => undefined });
});
afterAll(async () => {
  await host?.stop();
  await t?.stop();
});

describe('ingest-sales (Event Grid BlobCreated events for uploads/ on the ingest-events queue)', () => {
  test('is registered under its file name', () => {
    expect(host.functions).toContainEqual({ name: 'ingest-sales', trigger: 'queueTrigger' });
  });

  test('a dropped gzip CSV is merged into the store histories; bad rows land in rejected/; stores go stale', async () => {
    const lines = toCsv(sampleStore('U1', 3, 40)).trimEnd().split('\n');
    lines[5] = '2021-01-08,U1,1,-4';
    const uploads = t.storage.clients.container('uploads');
    const body = gzipSync(`${lines.join('\n')}\n`);
    await uploads.getBlockBlobClient('pos/2021-02-12.csv.gz').uploadData(body);
    await host.pollBlobs();

    const state = (await t.storage.stores.get('U1'))!.value;
    expect(state).toMatchObject({ stale: true, history: { items: 3, observations: 119 } });
    const rejected = (await t.storage.clients.container('rejected').getBlobClient('pos/2021-02-12.csv.gz.rejected.csv').downloadToBuffer()).toString();
    expect(rejected).toContain('6,sales -4 is negative,"2021-01-08,U1,1,-4"');

    // Re-delivery of the same bytes (a retried trigger or a second copy) changes nothing.
    await uploads.getBlockBlobClient('pos/copy.csv.gz').uploadData(body);
    await host.pollBlobs();
    const again = (await t.storage.stores.get('U1'))!.value;
    expect(again.history!.version).toBe(state.history!.version);
    expect(again.updatedAt).toBe(state.updatedAt);

    const history = await t.storage.history.read(again.history!.blob);
    expect(formatIsoDay(history[0]!.startDay)).toBe('2021-01-04');
  });
});
