import type { ContainerClient } from '@azure/storage-blob';
import { storeDriversFromJson, storeDriversToJson, type StoreDrivers } from '../../../engine/index.js';
import { newVersion } from '../../domain/ids.js';
import type { StoreDriversRepository } from '../../ports/index.js';
import { deleteBlob, getBlob, gunzipJson, gzipJson, putNew } from './blobs.js';
import { encodeKey } from './keys.js';

/**
 * `drivers/<store>/drivers-<version>.json.gz`: the engine's JSON of one store's drivers, gzip. Written once
 * per version, so a trainer holding an old pointer always reads a whole set.
 */
export class BlobStoreDrivers implements StoreDriversRepository {
  constructor(private readonly container: ContainerClient) {}

  async write(store: string, drivers: StoreDrivers): Promise<{ blob: string; version: string }> {
    const version = newVersion(new Date());
    const blob = `${encodeKey(store)}/drivers-${version}.json.gz`;
    await putNew(this.container, blob, gzipJson(storeDriversToJson(drivers)), 'application/gzip');
    return { blob, version };
  }

  async read(blob: string): Promise<StoreDrivers> {
    try {
      return storeDriversFromJson(gunzipJson(await getBlob(this.container, blob)));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('invalid store drivers')) throw new Error(`store drivers ${blob}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  async delete(blob: string): Promise<void> {
    await deleteBlob(this.container, blob);
  }
}
