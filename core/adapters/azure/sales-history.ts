import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { formatIsoDay, parseIsoDay, type SeriesHistory } from '../../../engine/index.js';
import { newVersion } from '../../domain/ids.js';
import { blobShapeProblem, InvalidStorePointer, storeBlobName } from '../../domain/store-pointers.js';
import type { SalesHistoryRepository } from '../../ports/index.js';
import { deleteBlob, getBlob, gunzipJson, gzipJson, putNew } from './blobs.js';

export const HISTORY_SCHEMA = 'foreact.history/v1';

const historySchema = z.object({
  schema: z.literal(HISTORY_SCHEMA),
  store: z.string(),
  series: z.array(z.object({ item: z.string(), startDay: z.string(), values: z.array(z.number().nullable()) })),
});

/**
 * `sales/<store>/history-<version>.json.gz`: gzip JSON, one dense vector per item (null = no observation).
 * About 10× smaller than the CSV and parsed without a CSV pass; each version is written once and never
 * changed, so a reader holding an old pointer always gets a whole history.
 */
export class BlobSalesHistory implements SalesHistoryRepository {
  constructor(private readonly container: ContainerClient) {}

  async write(store: string, series: readonly SeriesHistory[]): Promise<{ blob: string; version: string }> {
    const version = newVersion(new Date());
    const blob = storeBlobName('history', store, version);
    const body = {
      schema: HISTORY_SCHEMA,
      store,
      series: series.map((s) => ({ item: s.item, startDay: formatIsoDay(s.startDay), values: Array.from(s.values, (v) => (v === v ? v : null)) })),
    };
    await putNew(this.container, blob, gzipJson(body), 'application/gzip');
    return { blob, version };
  }

  async read(blob: string): Promise<SeriesHistory[]> {
    checkShape(blob);
    const parsed = historySchema.safeParse(gunzipJson(await getBlob(this.container, blob)));
    if (!parsed.success) throw new Error(`sales history ${blob} is not a ${HISTORY_SCHEMA} document: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    // The folder names the store; a document of another store under it is not this store's history.
    if (storeBlobName('history', parsed.data.store, 'v').split('/')[0] !== blob.split('/')[0]) throw new Error(`sales history ${blob} holds store "${parsed.data.store.slice(0, 60)}", not the store its folder names`);
    return parsed.data.series.map((s) => {
      const startDay = parseIsoDay(s.startDay);
      if (startDay === undefined) throw new Error(`sales history ${blob}: item ${s.item} has start day "${s.startDay}"`);
      return { store: parsed.data.store, item: s.item, startDay, values: Float64Array.from(s.values, (v) => (v === null ? Number.NaN : v)) };
    });
  }

  async delete(blob: string): Promise<void> {
    checkShape(blob);
    await deleteBlob(this.container, blob);
  }
}

/** The last line of defence under the domain's per-store check: never a path outside `<store>/history-…`. */
function checkShape(blob: string): void {
  const problem = blobShapeProblem('history', blob);
  if (problem !== undefined) throw new InvalidStorePointer(`sales history: ${problem}; refusing to read or delete it`);
}
