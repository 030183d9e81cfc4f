import type { IngestionRecord } from '../domain/model.js';

/** An upload to ingest: re-openable, because rejected rows are copied out in a second pass. */
export interface UploadSource {
  name: string;
  open(): AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
}

/** What was done with each upload, keyed by content hash: makes re-delivery a no-op. */
export interface IngestionLedger {
  get(key: string): Promise<IngestionRecord | undefined>;
  put(record: IngestionRecord): Promise<void>;
}

/** Where rejected rows go (`line,reason,row` CSV), next to the upload's name. */
export interface RejectedRowsSink {
  write(uploadName: string, csv: string): Promise<string>;
}
