import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import type { QueueClient} from '@azure/storage-queue';
import { QueueServiceClient } from '@azure/storage-queue';
import type { Registration } from './registry.js';

/**
 * Storage queues for the local host: the queue trigger (poll, invoke, delete on success, poison after
 * `maxDequeueCount` failures, as the Functions queue extension does) and an Event Grid stand-in that
 * turns new blobs of a container into `Microsoft.Storage.BlobCreated` events on a queue, as the
 * deployment's system topic subscription does (bicep/modules/events.bicep).
 */

export interface BlobEventRoute {
  container: string;
  queue: string;
}

export interface QueueOptions {
  connectionString: string;
  /** host.json `extensions.queues.messageEncoding`: how the trigger decodes message text. */
  messageEncoding: 'base64' | 'none';
  maxDequeueCount: number;
  /** Resolves a binding's `connection` setting to a connection string. */
  connectionOf(name: unknown): string;
  invoke(reg: Registration, input: unknown, metadata: Record<string, unknown>): Promise<unknown>;
  log(level: 'info' | 'warn' | 'error', message: string, err?: unknown): void;
  taskHub: string;
}

function queueClient(connectionString: string, name: string): QueueClient {
  return QueueServiceClient.fromConnectionString(connectionString).getQueueClient(name);
}

/** The Event Grid schema event for a created blob, as delivered to a storage queue. */
export function blobCreatedEvent(url: string, container: string, name: string, etag: string, contentLength: number): Record<string, unknown> {
  return {
    id: `${container}/${name}@${etag}`,
    topic: '/subscriptions/local/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
    subject: `/blobServices/default/containers/${container}/blobs/${name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: new Date().toISOString(),
    dataVersion: '',
    metadataVersion: '1',
    data: { api: 'PutBlob', contentLength, blobType: 'BlockBlob', url, eTag: etag },
  };
}

export function createQueueRuntime(queueRegs: readonly Registration[], routes: readonly BlobEventRoute[], opts: QueueOptions): { poll(): Promise<void> } {
  // Which blob versions were already announced: Event Grid fires once per write, so does this.
  const receipts = TableClient.fromConnectionString(opts.connectionString, `${opts.taskHub}BlobEvents`, { allowInsecureConnection: true });
  // Blob versions already announced, per queue and blob, loaded once (as pollBlobs keeps its receipts).
  const announced = new Map<string, string>();
  let ready: Promise<void> | undefined;
  const prepare = (): Promise<void> =>
    (ready ??= (async () => {
      await receipts.createTable();
      for await (const row of receipts.listEntities<{ etag: string }>()) announced.set(`${row.partitionKey}|${row.rowKey}`, row.etag);
      for (const route of routes) await queueClient(opts.connectionString, route.queue).createIfNotExists();
      for (const reg of queueRegs) {
        const conn = opts.connectionOf(reg.trigger.connection);
        await queueClient(conn, String(reg.trigger.queueName)).createIfNotExists();
        await queueClient(conn, `${String(reg.trigger.queueName)}-poison`).createIfNotExists();
      }
    })().catch((error: unknown) => {
      // Storage down at the first poll: try again on the next one rather than never.
      ready = undefined;
      throw error;
    }));

  const announce = async (): Promise<void> => {
    for (const route of routes) {
      const container = BlobServiceClient.fromConnectionString(opts.connectionString).getContainerClient(route.container);
      if (!(await container.exists())) continue;
      const queue = queueClient(opts.connectionString, route.queue);
      for await (const blob of container.listBlobsFlat()) {
        const etag = blob.properties.etag ?? '';
        const partitionKey = encodeURIComponent(route.queue);
        const rowKey = encodeURIComponent(`${route.container}/${blob.name}`);
        if (announced.get(`${partitionKey}|${rowKey}`) === etag) continue;
        const event = blobCreatedEvent(container.getBlobClient(blob.name).url, route.container, blob.name, etag, blob.properties.contentLength ?? 0);
        // Event Grid writes the event's JSON as the message text.
        await queue.sendMessage(JSON.stringify(event));
        await receipts.upsertEntity({ partitionKey, rowKey, etag }, 'Replace');
        announced.set(`${partitionKey}|${rowKey}`, etag);
      }
    }
  };

  const consume = async (): Promise<void> => {
    for (const reg of queueRegs) {
      const name = String(reg.trigger.queueName);
      const conn = opts.connectionOf(reg.trigger.connection);
      const queue = queueClient(conn, name);
      const received = await queue.receiveMessages({ numberOfMessages: 16, visibilityTimeout: 30 });
      for (const message of received.receivedMessageItems) {
        const text = opts.messageEncoding === 'base64' ? Buffer.from(message.messageText, 'base64').toString('utf8') : message.messageText;
        let input: unknown = text;
        try {
          input = JSON.parse(text);
        } catch {
          // Not JSON: the handler gets the text, as the real extension does.
        }
        try {
          await opts.invoke(reg, input, { id: message.messageId, dequeueCount: message.dequeueCount, insertionTime: message.insertedOn, queueTrigger: text });
          await queue.deleteMessage(message.messageId, message.popReceipt);
        } catch (error) {
          if (message.dequeueCount >= opts.maxDequeueCount) {
            opts.log('error', `Message ${message.messageId} failed ${message.dequeueCount} times in ${reg.name}; moved to ${name}-poison`, error);
            await queueClient(conn, `${name}-poison`).sendMessage(message.messageText);
            await queue.deleteMessage(message.messageId, message.popReceipt);
          } else {
            // Visible again soon, so a retry does not wait for the whole visibility timeout.
            await queue.updateMessage(message.messageId, message.popReceipt, undefined, 1);
          }
        }
      }
    }
  };

  return {
    async poll(): Promise<void> {
      if (queueRegs.length === 0 && routes.length === 0) return;
      await prepare();
      await announce();
      await consume();
    },
  };
}
