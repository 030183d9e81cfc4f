import type { ContainerClient } from '@azure/storage-blob';
import { itemMasterFromJson, itemMasterToJson, type ItemMaster } from '../../domain/item-master.js';
import { NotFound } from '../../ports/index.js';
import type { ItemMasterRepository } from '../../ports/item-master.js';
import { getBlob, gunzipJson } from './blobs.js';

/**
 * `items/master.json` in the drivers container, beside the store attributes (`stores/attributes.json`): what
 * ingestion writes and readers only read. A store's own drivers live under `<store>/drivers-<version>.json.gz`,
 * so no store's blob can take this name (not even a store called "items"). One blob, replaced by a single upload call.
 */
export const ITEM_MASTER_BLOB = 'items/master.json';

export class BlobItemMaster implements ItemMasterRepository {
  constructor(private readonly container: ContainerClient) {}

  async write(master: ItemMaster): Promise<void> {
    const body = Buffer.from(JSON.stringify(itemMasterToJson(master)));
    await this.container.getBlockBlobClient(ITEM_MASTER_BLOB).uploadData(body, { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  async read(): Promise<ItemMaster | undefined> {
    let data: Buffer;
    try {
      data = await getBlob(this.container, ITEM_MASTER_BLOB);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
    try {
      return itemMasterFromJson(gunzipJson(data));
    } catch (error) {
      throw new Error(`item master ${ITEM_MASTER_BLOB}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
