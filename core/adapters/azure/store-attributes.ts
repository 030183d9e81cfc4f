import type { ContainerClient } from '@azure/storage-blob';
import type { StoreAttributeTable } from '../../../engine/index.js';
import { storeAttributesFromJson, storeAttributesToJson } from '../../domain/store-attributes.js';
import { NotFound, type StoreAttributesRepository } from '../../ports/index.js';
import { getBlob, gunzipJson } from './blobs.js';

/**
 * `drivers/stores/attributes.json`: the chain's store attributes, in the drivers container because that is
 * what ingestion writes and trainers may only read (bicep `trainerReadContainers`). A store's own drivers live
 * under `<store>/drivers-<version>.json.gz`, so no store's blob can take this name. One blob, replaced by a
 * single upload call: a reader gets the old table or the new one.
 */
export const STORE_ATTRIBUTES_BLOB = 'stores/attributes.json';

export class BlobStoreAttributes implements StoreAttributesRepository {
  constructor(private readonly container: ContainerClient) {}

  async write(table: StoreAttributeTable): Promise<void> {
    const body = Buffer.from(JSON.stringify(storeAttributesToJson(table)));
    await this.container.getBlockBlobClient(STORE_ATTRIBUTES_BLOB).uploadData(body, { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  async read(): Promise<StoreAttributeTable | undefined> {
    let data: Buffer;
    try {
      data = await getBlob(this.container, STORE_ATTRIBUTES_BLOB);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
    try {
      return storeAttributesFromJson(gunzipJson(data));
    } catch (error) {
      throw new Error(`store attributes ${STORE_ATTRIBUTES_BLOB}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
