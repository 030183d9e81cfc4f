import { gunzipSync, gzipSync } from 'node:zlib';
import type { ContainerClient } from '@azure/storage-blob';
import { ConcurrencyConflict, NotFound } from '../../ports/index.js';
import { isStatus } from './clients.js';

/** Writes a blob that must not exist yet: versions are immutable, so a name is never reused. */
export async function putNew(container: ContainerClient, name: string, data: Buffer, contentType: string): Promise<void> {
  try {
    await container.getBlockBlobClient(name).uploadData(data, { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: contentType } });
  } catch (error) {
    if (isStatus(error, 409, 412)) throw new ConcurrencyConflict(`blob ${container.containerName}/${name}`);
    throw error;
  }
}

export async function getBlob(container: ContainerClient, name: string): Promise<Buffer> {
  try {
    return await container.getBlobClient(name).downloadToBuffer();
  } catch (error) {
    if (isStatus(error, 404)) throw new NotFound(`blob ${container.containerName}/${name}`);
    throw error;
  }
}

export async function deleteBlob(container: ContainerClient, name: string): Promise<void> {
  await container.getBlobClient(name).deleteIfExists();
}

export function gzipJson(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value));
}

export function gunzipJson(data: Buffer): unknown {
  return JSON.parse((data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('utf8')) as unknown;
}
