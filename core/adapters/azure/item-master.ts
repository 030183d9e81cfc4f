import type { ContainerClient } from '@azure/storage-blob';
import { itemMasterFromJson, itemMasterToJson, type ItemMaster } from '../../domain/item-master.js';
import type { ItemMasterRepository } from '../../ports/item-master.js';
import { WholeJsonBlob } from './whole-json-blob.js';

/**
 * `items/master.json` in the drivers container, beside the store attributes (`stores/attributes.json`): what
 * ingestion writes and readers only read. A store's own drivers live under `<store>/drivers-<version>.json.gz`,
 * so no store's blob can take this name (not even a store called "items"). One blob, replaced by a single upload call.
 */
export const ITEM_MASTER_BLOB = 'items/master.json';

export class BlobItemMaster extends WholeJsonBlob<ItemMaster> implements ItemMasterRepository {
  constructor(container: ContainerClient) {
    super(container, ITEM_MASTER_BLOB, 'item master', itemMasterToJson, itemMasterFromJson);
  }
}
