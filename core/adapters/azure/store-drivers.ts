import type { ContainerClient } from '@azure/storage-blob';
import { storeDriversFromJson, storeDriversToJson, type StoreDrivers } from '../../../engine/index.js';
import { newVersion } from '../../domain/ids.js';
import { blobShapeProblem, InvalidStorePointer, storeBlobName } from '../../domain/store-pointers.js';
import type { StoreDriversRepository } from '../../ports/index.js';
import { deleteBlob, getBlob, gunzipJson, gzipJson, putNew } from './blobs.js';

/**
 * `drivers/<store>/drivers-<version>.json.gz`: the engine's JSON of one store's drivers, gzip. Written once
 * per version, so a trainer holding an old pointer always reads a whole set.
 */
export class BlobStoreDrivers implements StoreDriversRepository {
  constructor(private readonly container: ContainerClient) {}

  async write(store: string, drivers: StoreDrivers): Promise<{ blob: string; version: string }> {
    const version = newVersion(new Date());
    const blob = storeBlobName('drivers', store, version);
    await putNew(this.container, blob, gzipJson(storeDriversToJson(drivers)), 'application/gzip');
    return { blob, version };
  }

  async read(blob: string): Promise<StoreDrivers> {
    checkShape(blob);
    try {
      return storeDriversFromJson(gunzipJson(await getBlob(this.container, blob)));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('invalid store drivers')) throw new Error(`store drivers ${blob}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  async delete(blob: string): Promise<void> {
    checkShape(blob);
    await deleteBlob(this.container, blob);
  }
}

/** The last line of defence under the domain's per-store check: never a path outside `<store>/drivers-…`. */
function checkShape(blob: string): void {
  const problem = blobShapeProblem('drivers', blob);
  if (problem !== undefined) throw new InvalidStorePointer(`store drivers: ${problem}; refusing to read or delete it`);
}
