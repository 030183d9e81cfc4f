import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { appDeps } from '../core/composition.js';
import { DATA_CONNECTION, INGEST_EVENTS } from '../core/config.js';
import { blobUpload } from '../core/adapters/azure/index.js';
import { ingestDriversUpload, isDriversUpload } from '../core/domain/drivers-ingestion.js';
import { ingestUpload } from '../core/domain/ingestion.js';
import { tracedTrigger } from '../core/adapters/telemetry.js';

/**
 * A sales file dropped into `uploads/` is merged into the stores' histories; a drivers file dropped into
 * `uploads/drivers/` (promotions, events, closures, prices) replaces the stores' planned drivers. It arrives as Event Grid's
 * BlobCreated event on a storage queue (the Function App takes no anonymous webhook). Bad rows are not a
 * failure (they go to `rejected/`); only storage errors throw, so the queue redelivers and the idempotent
 * ingestion finishes the job; after the host's retries the event lands in `ingest-events-poison`.
 */
const blobCreated = z.object({
  eventType: z.string(),
  subject: z.string(),
});

const SUBJECT = new RegExp(`^/blobServices/default/containers/${INGEST_EVENTS.container}/blobs/(.+)$`);

export async function ingestSales(message: unknown, context: InvocationContext): Promise<void> {
  const event = blobCreated.safeParse(message);
  if (!event.success) throw new Error(`ingest-events message is not an Event Grid event: ${event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (event.data.eventType !== 'Microsoft.Storage.BlobCreated') {
    context.log(`ignoring ${event.data.eventType} for ${event.data.subject}`);
    return;
  }
  const name = SUBJECT.exec(event.data.subject)?.[1];
  if (name === undefined) throw new Error(`BlobCreated for ${event.data.subject}, which is not in ${INGEST_EVENTS.container}/`);
  const { storage, clock, config, metrics } = await appDeps();
  const source = blobUpload(storage.clients.container(INGEST_EVENTS.container), name);
  // uploads/drivers/… are promotion calendars, events and closures; everything else is sales.
  const result = isDriversUpload(name) ? await ingestDriversUpload(storage, source, { clock, rules: config.ingest }) : await ingestUpload(storage, source, { clock, rules: config.ingest, metrics });
  if (result.duplicate) {
    context.log(`upload ${name}: same content already ingested (${result.key.slice(0, 12)}…); nothing changed`);
    return;
  }
  context.log(`upload ${name}: ${result.accepted} rows accepted, ${result.rejectedCount} rejected${result.rejectedBlob ? ` (see ${result.rejectedBlob})` : ''}; history changed for ${result.changedStores.length} store(s), marked stale`);
  if (result.status === 'rejected') context.warn(`upload ${name} is unusable: ${result.reason ?? 'no usable rows'}`);
}

app.storageQueue('ingest-sales', {
  queueName: INGEST_EVENTS.queue,
  // The data account (uploads live beside sales and models), not the host's own storage.
  connection: DATA_CONNECTION,
  handler: tracedTrigger('ingest-sales', ingestSales),
});
