import { app, type InvocationContext } from '@azure/functions';
import { DATA_CONNECTION, getConfig } from '../core/config.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { ingestUpload } from '../core/domain/ingestion.js';
import { systemClock } from '../core/ports/index.js';

/**
 * A sales file dropped into `uploads/` is merged into the stores' histories. Bad rows are not a failure
 * (they go to `rejected/`); only storage errors throw, so the host retries and the idempotent ingestion
 * finishes the job.
 */
export async function ingestSales(blob: unknown, context: InvocationContext): Promise<void> {
  const name = context.triggerMetadata?.name;
  if (typeof name !== 'string' || name.length === 0) throw new Error('blob trigger metadata has no blob name');
  if (!Buffer.isBuffer(blob) && !(blob instanceof Uint8Array)) throw new Error(`upload ${name}: expected the blob's bytes, got ${typeof blob}`);
  const bytes: Uint8Array = blob;
  const storage = await openStorage(getConfig());
  const result = await ingestUpload(storage, { name, open: () => [bytes] }, { clock: systemClock });
  if (result.duplicate) {
    context.log(`upload ${name}: same content already ingested (${result.key.slice(0, 12)}…); nothing changed`);
    return;
  }
  context.log(`upload ${name}: ${result.accepted} rows accepted, ${result.rejectedCount} rejected${result.rejectedBlob ? ` (see ${result.rejectedBlob})` : ''}; history changed for ${result.changedStores.length} store(s), marked stale`);
  if (result.status === 'rejected') context.warn(`upload ${name} is unusable: ${result.reason ?? 'no usable rows'}`);
}

app.storageBlob('ingest-sales', {
  path: 'uploads/{name}',
  // The data account (uploads live beside sales and models), not the host's own storage.
  connection: DATA_CONNECTION,
  // Flex Consumption has no polling blob trigger: uploads arrive as Event Grid notifications (bicep creates
  // the system topic and subscription). The local host watches the container itself either way.
  source: 'EventGrid',
  handler: ingestSales,
});
