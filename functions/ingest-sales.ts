import { app, type InvocationContext } from '@azure/functions';
import { DATA_CONNECTION, INGEST_EVENTS } from '../core/config.js';
import { blobUpload } from '../core/adapters/azure/index.js';
import { ingestDroppedUpload } from '../core/domain/upload-trigger.js';
import { tracedTrigger, type Runtime } from '../core/runtime.js';
import { uploadOfMessage } from './http/blob-created.js';

/**
 * A sales file dropped into `uploads/` is merged into the stores' histories; a drivers file dropped into
 * `uploads/drivers/` (promotions, events, closures, prices) replaces the stores' planned drivers; a store
 * attributes file in `uploads/stores/` replaces the chain's store attributes. It arrives as Event Grid's
 * BlobCreated event on a storage queue (the Function App takes no anonymous webhook). Bad rows are not a
 * failure (they go to `rejected/`); only storage errors throw, so the queue redelivers and the idempotent
 * ingestion finishes the job; after the host's retries the event lands in `ingest-events-poison`.
 */

export async function ingestSales(message: unknown, context: InvocationContext, runtime: Runtime): Promise<void> {
  const upload = uploadOfMessage(message, INGEST_EVENTS.container);
  if ('ignored' in upload) {
    context.log(upload.ignored);
    return;
  }
  const { storage, clock, config, metrics, legacyPointers } = await runtime.deps();
  const source = blobUpload(storage.clients.container(INGEST_EVENTS.container), upload.blob);
  await ingestDroppedUpload({ storage, clock, rules: config.ingest, metrics, legacyPointers, log: context }, upload.blob, source);
}

app.storageQueue('ingest-sales', {
  queueName: INGEST_EVENTS.queue,
  // The data account (uploads live beside sales and models), not the host's own storage.
  connection: DATA_CONNECTION,
  handler: tracedTrigger('ingest-sales', ingestSales),
});
