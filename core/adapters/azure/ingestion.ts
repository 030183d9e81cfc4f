import type { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import type { IngestionRecord } from '../../domain/model.js';
import type { IngestionLedger, RejectedRowsSink, UploadSource } from '../../ports/index.js';
import { isStatus } from './clients.js';

const ROW = 'upload';
/** Table string properties hold 32K characters; a store list beyond that is summarised. */
const MAX_STORE_LIST_CHARS = 30_000;

type Entity = Record<string, string | number | undefined> & { partitionKey: string; rowKey: string };

/** `ingestions` table: partition = sha256 of the upload (the idempotency key). */
export class TableIngestionLedger implements IngestionLedger {
  constructor(private readonly table: TableClient) {}

  async get(key: string): Promise<IngestionRecord | undefined> {
    try {
      const e = await this.table.getEntity<Entity>(key, ROW);
      const s = (k: string): string => (typeof e[k] === 'string' ? e[k] : '');
      const n = (k: string): number => (typeof e[k] === 'number' ? e[k] : 0);
      const record: IngestionRecord = {
        key,
        upload: s('upload'),
        status: s('status') === 'rejected' ? 'rejected' : 'applied',
        receivedAt: s('receivedAt'),
        completedAt: s('completedAt'),
        rows: n('rows'),
        accepted: n('accepted'),
        rejected: n('rejected'),
        changedStores: JSON.parse(s('changedStores') || '[]') as string[],
        unchangedStores: n('unchangedStores'),
      };
      if (s('rejectedBlob')) record.rejectedBlob = s('rejectedBlob');
      if (s('reason')) record.reason = s('reason');
      return record;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async put(r: IngestionRecord): Promise<void> {
    let stores = JSON.stringify(r.changedStores);
    if (stores.length > MAX_STORE_LIST_CHARS) stores = JSON.stringify(r.changedStores.slice(0, 1000));
    const e: Entity = {
      partitionKey: r.key,
      rowKey: ROW,
      upload: r.upload.slice(0, 1024),
      status: r.status,
      receivedAt: r.receivedAt,
      completedAt: r.completedAt,
      rows: r.rows,
      accepted: r.accepted,
      rejected: r.rejected,
      changedStoreCount: r.changedStores.length,
      changedStores: stores,
      unchangedStores: r.unchangedStores,
    };
    if (r.rejectedBlob) e.rejectedBlob = r.rejectedBlob;
    if (r.reason) e.reason = r.reason.slice(0, 4000);
    await this.table.upsertEntity(e, 'Replace');
  }
}

/** `rejected/<upload name>.rejected.csv`: a separate container, so the uploads trigger never fires on it. */
export class BlobRejectedRows implements RejectedRowsSink {
  constructor(private readonly container: ContainerClient) {}

  async write(uploadName: string, csv: string): Promise<string> {
    const name = `${uploadName}.rejected.csv`;
    const data = Buffer.from(csv, 'utf8');
    await this.container.getBlockBlobClient(name).uploadData(data, { blobHTTPHeaders: { blobContentType: 'text/csv; charset=utf-8' } });
    return `${this.container.containerName}/${name}`;
  }
}

/**
 * An upload read as a stream of the blob's chunks, opened afresh for each pass, so a large file never
 * sits in memory whole.
 */
export function blobUpload(container: ContainerClient, name: string): UploadSource {
  return {
    name,
    open: async function* () {
      const response = await container.getBlobClient(name).download();
      const body = response.readableStreamBody;
      if (!body) throw new Error(`upload ${name}: the blob has no body`);
      for await (const chunk of body) yield chunk;
    },
  };
}
