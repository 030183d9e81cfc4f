import { startLocalHost, type LocalHost } from '../support/local-host.js';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatIsoDay } from '../../engine/index.js';
import { INGEST_EVENTS } from '../../core/config.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { QueueClient } from '@azure/storage-queue';
import { blobCreatedEvent } from '../../scripts/local-host/queues.js';
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
    // A store last ingested by the previous release: its pointers only on its stores row.
    const ref = await t.storage.history.write('LEGACY1', sampleStore('LEGACY1', 1, 10));
    await t.storage.clients.table(t.config.tables.stores).upsertEntity({ partitionKey: 'store', rowKey: 'LEGACY1', store: 'LEGACY1', historyBlob: ref.blob, historyVersion: ref.version }, 'Merge');
    expect((await t.storage.pointers.get('LEGACY1'))?.etag).toBeUndefined();
    const lines = toCsv(sampleStore('U1', 3, 40)).trimEnd().split('\n');
    lines[5] = '2021-01-08,U1,1,-4';
    const uploads = t.storage.clients.container('uploads');
    const body = gzipSync(`${lines.join('\n')}\n`);
    await uploads.getBlockBlobClient('pos/2021-02-12.csv.gz').uploadData(body);
    await host.pollBlobs();

    // The first message of the process also gave that store ingestion's own record of its pointers.
    const adopted = await t.storage.pointers.get('LEGACY1');
    expect(adopted?.value.history?.blob).toBe(ref.blob);
    expect(adopted?.etag).toBeDefined();
    const state = (await t.storage.stores.get('U1'))!.value;
    expect(state).toMatchObject({ stale: true, history: { items: 3, observations: 119 } });
    const rejected = (await t.storage.clients.container('rejected').getBlobClient('pos/2021-02-12.csv.gz.rejected.csv').downloadToBuffer()).toString();
    expect(rejected).toContain(`6,sales -4 is negative,"2021-01-08,U1,1,'-4"`);

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

// Event Grid's storage-queue destination is documented writing the event as plain JSON and, in later
// reports, as base64 of it; host.json's `messageEncoding: "none"` hands either over untouched. A host
// without the Event Grid stand-in, so the messages below are the only ones on the queue.
describe('ingest-sales accepts the event as plain JSON or base64 JSON, and names anything else', () => {
  const errors: string[] = [];

  // The app's deps are built once per process, on the file's Azurite: the same storage, another host.
  beforeAll(async () => {
    await host.stop();
    host = await startLocalHost({
      port: 0,
      storageConnectionString: t.azurite.connectionString,
      modules: [FUNCTION],
      taskHub: 'IngestShapes',
      blobPollIntervalMs: 60_000,
      log: (level: string, message: string, error?: unknown) => {
        if (level === 'error') errors.push(`${message} ${error instanceof Error ? error.message : String(error)}`);
      },
    });
  });
  async function upload(store: string): Promise<Record<string, unknown>> {
    const name = `pos/${store}.csv`;
    const uploads = t.storage.clients.container(INGEST_EVENTS.container);
    await uploads.createIfNotExists();
    const blob = uploads.getBlockBlobClient(name);
    const body = toCsv(sampleStore(store, 2, 20));
    const { etag } = await blob.uploadData(Buffer.from(body));
    return blobCreatedEvent(blob.url, INGEST_EVENTS.container, name, etag ?? '', body.length);
  }

  test('a plain JSON message, a base64 one and a JSON string wrapping the event are each ingested', async () => {
    const queue = new QueueClient(t.azurite.connectionString, INGEST_EVENTS.queue);
    await queue.createIfNotExists();
    await queue.sendMessage(JSON.stringify(await upload('PLAIN1')));
    await queue.sendMessage(Buffer.from(JSON.stringify(await upload('BASE1'))).toString('base64'));
    await queue.sendMessage(JSON.stringify(JSON.stringify(await upload('WRAP1'))));
    await host.pollBlobs();

    expect(errors).toEqual([]);
    for (const store of ['PLAIN1', 'BASE1', 'WRAP1']) expect((await t.storage.stores.get(store))?.value.history).toMatchObject({ items: 2, observations: 40 });
    expect((await queue.peekMessages()).peekedMessageItems).toEqual([]);
  });

  test('a message that is neither fails with an error naming what arrived, and changes nothing', async () => {
    const queue = new QueueClient(t.azurite.connectionString, INGEST_EVENTS.queue);
    await queue.sendMessage('not an event');
    await queue.sendMessage(Buffer.from('hello, queue').toString('base64'));
    await host.pollBlobs();

    expect(errors.filter((e) => e.includes('ingest-events message is not an Event Grid event'))).toHaveLength(2);
    expect(errors.some((e) => e.includes('got text "not an event"'))).toBe(true);
    expect(errors.some((e) => e.includes(`got text "${Buffer.from('hello, queue').toString('base64')}"`))).toBe(true);
    expect((await t.storage.stores.list()).map((x) => x.store).sort()).toEqual(['BASE1', 'LEGACY1', 'PLAIN1', 'U1', 'WRAP1']);
  });
});
