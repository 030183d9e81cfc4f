import type { ContainerClient } from '@azure/storage-blob';
import type { StoreAttributeTable } from '../../../engine/index.js';
import { storeAttributesFromJson, storeAttributesToJson } from '../../domain/store-attributes.js';
import type { StoreAttributesRepository } from '../../ports/index.js';
import { WholeJsonBlob } from './whole-json-blob.js';

/**
 * `drivers/stores/attributes.json`: the chain's store attributes, in the drivers container because that is
 * what ingestion writes and trainers may only read (bicep `trainerReadContainers`). A store's own drivers live
 * under `<store>/drivers-<version>.json.gz`, so no store's blob can take this name. One blob, replaced by a
 * single upload call: a reader gets the old table or the new one.
 */
export const STORE_ATTRIBUTES_BLOB = 'stores/attributes.json';

export class BlobStoreAttributes extends WholeJsonBlob<StoreAttributeTable> implements StoreAttributesRepository {
  constructor(container: ContainerClient) {
    super(container, STORE_ATTRIBUTES_BLOB, 'store attributes', storeAttributesToJson, storeAttributesFromJson);
  }
}
