import type { ContainerClient } from '@azure/storage-blob';
import { NotFound } from '../../ports/index.js';
import { getBlob, gunzipJson } from './blobs.js';

/**
 * One JSON document in one blob, replaced by a single upload call so a reader gets the old document or the
 * new one. `decode` validates what is read (anyone with write rights may have written the blob); its error is
 * rethrown naming `what` and the blob.
 */
export class WholeJsonBlob<T> {
  constructor(
    private readonly container: ContainerClient,
    private readonly blob: string,
    private readonly what: string,
    private readonly encode: (value: T) => unknown,
    private readonly decode: (json: unknown) => T,
  ) {}

  async write(value: T): Promise<void> {
    const body = Buffer.from(JSON.stringify(this.encode(value)));
    await this.container.getBlockBlobClient(this.blob).uploadData(body, { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  /** The stored document, validated; undefined when none was ever written. */
  async read(): Promise<T | undefined> {
    let data: Buffer;
    try {
      data = await getBlob(this.container, this.blob);
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
    try {
      return this.decode(gunzipJson(data));
    } catch (error) {
      throw new Error(`${this.what} ${this.blob}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
