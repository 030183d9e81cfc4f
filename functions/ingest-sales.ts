import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { appDeps } from '../core/composition.js';
import { DATA_CONNECTION, INGEST_EVENTS } from '../core/config.js';
import { blobUpload } from '../core/adapters/azure/index.js';
import { ingestDriversUpload, isDriversUpload } from '../core/domain/drivers-ingestion.js';
import { ingestUpload } from '../core/domain/ingestion.js';
import { ingestStoreAttributesUpload, isStoreAttributesUpload } from '../core/domain/store-attributes.js';
import { tracedTrigger } from '../core/adapters/telemetry.js';
import type { StorePointerRepository } from '../core/ports/index.js';

/**
 * A sales file dropped into `uploads/` is merged into the stores' histories; a drivers file dropped into
 * `uploads/drivers/` (promotions, events, closures, prices) replaces the stores' planned drivers; a store
 * attributes file in `uploads/stores/` replaces the chain's store attributes. It arrives as Event Grid's
 * BlobCreated event on a storage queue (the Function App takes no anonymous webhook). Bad rows are not a
 * failure (they go to `rejected/`); only storage errors throw, so the queue redelivers and the idempotent
 * ingestion finishes the job; after the host's retries the event lands in `ingest-events-poison`.
 */
const blobCreated = z.object({
  eventType: z.string(),
  subject: z.string(),
});

const SUBJECT = new RegExp(`^/blobServices/default/containers/${INGEST_EVENTS.container}/blobs/(.+)$`);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function describeMessage(message: unknown): string {
  if (typeof message === 'string') return `text "${message.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}"${message.length > 80 ? ` (${message.length} characters)` : ''}`;
  return message === null ? 'null' : Array.isArray(message) ? 'a JSON array' : `a ${typeof message}`;
}

/**
 * The event object inside a queue message. host.json sets `messageEncoding: "none"` (the trigger hands the
 * text over as is, parsed when it is JSON), and Event Grid's storage-queue destination has been seen writing
 * the event both as plain JSON and as base64 of that JSON: both are accepted, and so is a JSON string whose
 * content is the event (text parsed once by the extension, once here). Anything else is named in the error,
 * so the poison queue's entry says what arrived.
 */
export function eventOfMessage(message: unknown): unknown {
  const original = message;
  let value: unknown = Buffer.isBuffer(message) || message instanceof Uint8Array ? Buffer.from(message).toString('utf8') : message;
  for (let depth = 0; depth < 3 && typeof value === 'string'; depth++) {
    const text = value.trim();
    if (text.startsWith('{') || text.startsWith('"')) {
      try {
        value = JSON.parse(text) as unknown;
        continue;
      } catch {
        break;
      }
    }
    if (text.length % 4 !== 0 || !BASE64.test(text)) break;
    const decoded = Buffer.from(text, 'base64').toString('utf8').trim();
    if (!decoded.startsWith('{') && !decoded.startsWith('"')) break;
    value = decoded;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  throw new Error(`ingest-events message is not an Event Grid event (expected the event's JSON object, as text or base64 of it): got ${describeMessage(original)}`);
}

let adoption: Promise<void> | undefined;

/**
 * Once per process: stores whose pointers are still only on their `stores` row (written before ingestion
 * kept its own record) get that record, from the row's pointers once checked, so a trainer can no longer
 * move them. Rows naming anything but their own store's blobs are refused and reported, never read. A
 * failure here is retried on the next message; the upload itself goes on (each store is adopted on its own
 * first ingestion anyway).
 */
function adoptLegacyPointers(pointers: StorePointerRepository, context: InvocationContext): Promise<void> {
  adoption ??= pointers.adoptLegacy().then(
    ({ adopted, refused }) => {
      if (adopted.length > 0) context.log(`store pointers: ${adopted.length} store(s) moved from the stores table to ingestion's own record`);
      for (const r of refused) context.warn(`store pointers: store "${r.store.slice(0, 60)}" refused: ${r.problem}`);
    },
    (error: unknown) => {
      adoption = undefined;
      context.warn(`store pointers: adopting legacy pointers failed (retried on the next upload): ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  return adoption;
}

export async function ingestSales(message: unknown, context: InvocationContext): Promise<void> {
  const event = blobCreated.safeParse(eventOfMessage(message));
  if (!event.success) throw new Error(`ingest-events message is not an Event Grid event: ${event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (event.data.eventType !== 'Microsoft.Storage.BlobCreated') {
    context.log(`ignoring ${event.data.eventType} for ${event.data.subject}`);
    return;
  }
  const name = SUBJECT.exec(event.data.subject)?.[1];
  if (name === undefined) throw new Error(`BlobCreated for ${event.data.subject}, which is not in ${INGEST_EVENTS.container}/`);
  const { storage, clock, config, metrics } = await appDeps();
  await adoptLegacyPointers(storage.pointers, context);
  const source = blobUpload(storage.clients.container(INGEST_EVENTS.container), name);
  // uploads/drivers/… are promotion calendars, events and closures; uploads/stores/… the chain's store
  // attributes; everything else is sales.
  const result = isDriversUpload(name)
    ? await ingestDriversUpload(storage, source, { clock, rules: config.ingest })
    : isStoreAttributesUpload(name)
      ? await ingestStoreAttributesUpload(storage, source, { clock, rules: config.ingest })
      : await ingestUpload(storage, source, { clock, rules: config.ingest, metrics });
  if (result.duplicate) {
    context.log(`upload ${name}: same content already ingested (${result.key.slice(0, 12)}…); nothing changed`);
    return;
  }
  context.log(`upload ${name}: ${result.accepted} rows accepted, ${result.rejectedCount} rejected${result.rejectedBlob ? ` (see ${result.rejectedBlob})` : ''}; ${isStoreAttributesUpload(name) ? `attributes of ${result.changedStores.length} store(s) stored` : `history changed for ${result.changedStores.length} store(s), marked stale`}`);
  if (result.status === 'rejected') context.warn(`upload ${name} is unusable: ${result.reason ?? 'no usable rows'}`);
}

app.storageQueue('ingest-sales', {
  queueName: INGEST_EVENTS.queue,
  // The data account (uploads live beside sales and models), not the host's own storage.
  connection: DATA_CONNECTION,
  handler: tracedTrigger('ingest-sales', ingestSales),
});
