import { createHash } from 'node:crypto';
import { decodeMaybeGzip, formatIsoDay, readSalesHistory, seriesByStore, type RowError, type SeriesHistory } from '../../engine/index.js';
import type { Clock, StoragePorts, UploadSource } from '../ports/index.js';
import { countObservations, historyBounds, mergeHistory } from './history-merge.js';
import type { IngestionRecord, StoreState } from './model.js';
import { realisedDays } from './realised.js';
import { emptyStore, updateStore } from './stores.js';

export interface IngestOptions {
  clock: Clock;
  /** Stores merged at the same time. */
  concurrency?: number;
}

export interface IngestResult {
  upload: string;
  key: string;
  /** True when this exact content was ingested before: nothing was changed. */
  duplicate: boolean;
  status: IngestionRecord['status'];
  rows: number;
  accepted: number;
  rejected: RowError[];
  rejectedCount: number;
  rejectedBlob?: string;
  changedStores: string[];
  unchangedStores: number;
  reason?: string;
}

function asBuffer(chunk: Uint8Array | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export async function* buffers(source: UploadSource): AsyncGenerator<Buffer> {
  for await (const chunk of source.open()) yield asBuffer(chunk);
}

export async function contentHash(source: UploadSource): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of buffers(source)) hash.update(chunk);
  return hash.digest('hex');
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `line,reason,row`: the original text of each rejected line, so a planner can fix and resend it. */
export async function rejectedReport(source: UploadSource, errors: readonly RowError[]): Promise<string> {
  const wanted = new Map<number, string>();
  for (const e of errors) wanted.set(e.line, '');
  let line = 0;
  let pending = '';
  const take = (text: string): void => {
    line++;
    if (wanted.has(line)) wanted.set(line, text.endsWith('\r') ? text.slice(0, -1) : text);
  };
  for await (const text of decodeMaybeGzip(buffers(source))) {
    const parts = (pending + text).split('\n');
    pending = parts.pop() ?? '';
    for (const p of parts) take(p);
  }
  if (pending.length > 0) take(pending);
  const out = ['line,reason,row'];
  for (const e of errors) out.push(`${e.line},${csvField(e.reason)},${csvField((wanted.get(e.line) ?? '').slice(0, 1000))}`);
  return `${out.join('\n')}\n`;
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Merges one store's part of an upload. The new history is written as a new immutable version and the
 * store's pointer is switched by a conditional write, so a crash at any point leaves either the old
 * history or the new one — never part of the upload. A lost race with another writer is retried on the
 * other writer's result.
 */
async function applyToStore(deps: Pick<StoragePorts, 'stores' | 'history' | 'forecasts' | 'realised'>, store: string, incoming: readonly SeriesHistory[], upload: string, now: Date): Promise<boolean> {
  let written: string | undefined;
  let changed = false;
  let superseded: string | undefined;
  let seen: { history: readonly SeriesHistory[]; current: StoreState['current'] } | undefined;
  await updateStore(deps.stores, store, async (current): Promise<StoreState | undefined> => {
    if (written !== undefined) await deps.history.delete(written);
    written = undefined;
    changed = false;
    const existing = current?.history ? await deps.history.read(current.history.blob) : [];
    const merged = mergeHistory(existing, incoming);
    seen = { history: merged.series, current: current?.current };
    if (merged.added + merged.corrected === 0) return undefined;
    const ref = await deps.history.write(store, merged.series);
    written = ref.blob;
    changed = true;
    const bounds = historyBounds(merged.series)!;
    const base = current ?? emptyStore(store, now);
    superseded = base.previousHistoryBlob;
    const what = `${merged.added} new and ${merged.corrected} corrected day(s) from upload "${upload}"`;
    const next: StoreState = {
      ...base,
      history: {
        blob: ref.blob,
        version: ref.version,
        firstDay: formatIsoDay(bounds.firstDay),
        lastDay: formatIsoDay(bounds.lastDay),
        items: merged.series.length,
        observations: countObservations(merged.series),
        updatedAt: now.toISOString(),
      },
      stale: true,
      staleReason: base.current ? `${what} since the forecast of ${base.current.generatedAt}` : `no forecast yet (${what})`,
      staleSince: base.stale && base.staleSince !== undefined ? base.staleSince : now.toISOString(),
      updatedAt: now.toISOString(),
    };
    if (base.history) next.previousHistoryBlob = base.history.blob;
    return next;
  });
  // Two versions back is no longer anyone's pointer: the store row names the current one and the previous
  // one (kept for a trainer that resolved the pointer just before the switch).
  if (changed && superseded !== undefined) await deps.history.delete(superseded).catch(() => undefined);
  // Forecast against actual for the uploaded days the current forecast covered. Recorded whether or not the
  // history changed, so a re-delivery after a crash here still records them (upserts by store and day).
  if (seen?.current !== undefined) {
    const rows = await deps.forecasts.readRun(store, seen.current.runId);
    await deps.realised.record(realisedDays(store, seen.current.runId, rows, incoming, seen.history));
  }
  return changed;
}

/**
 * Ingests one upload of the `date,store,item,sales` contract: every good row is merged into its store's
 * history, every bad row is reported (line and reason) in a rejected-rows blob, the stores whose history
 * changed are flagged stale. The content hash is the idempotency key: the same bytes delivered again, under
 * any name, change nothing. A partially applied upload (crash between stores) completes on re-delivery,
 * because merging is idempotent per store and the ledger entry is written last.
 */
export async function ingestUpload(deps: StoragePorts, source: UploadSource, options: IngestOptions): Promise<IngestResult> {
  const receivedAt = options.clock.now();
  const key = await contentHash(source);
  const seen = await deps.ingestions.get(key);
  if (seen !== undefined) {
    return {
      upload: source.name,
      key,
      duplicate: true,
      status: seen.status,
      rows: seen.rows,
      accepted: seen.accepted,
      rejected: [],
      rejectedCount: seen.rejected,
      ...(seen.rejectedBlob ? { rejectedBlob: seen.rejectedBlob } : {}),
      changedStores: [],
      unchangedStores: seen.changedStores.length + seen.unchangedStores,
      ...(seen.reason ? { reason: seen.reason } : {}),
    };
  }
  const parsed = await readSalesHistory(buffers(source));
  const accepted = countObservations(parsed.series);
  let rejectedBlob: string | undefined;
  if (parsed.errors.length > 0) rejectedBlob = await deps.rejected.write(source.name, await rejectedReport(source, parsed.errors));

  const byStore = seriesByStore(parsed.series);
  const stores = [...byStore.keys()];
  const changed = await mapLimit(stores, options.concurrency ?? 4, (store) => applyToStore(deps, store, byStore.get(store)!, source.name, receivedAt));
  const changedStores = stores.filter((_, i) => changed[i]);
  const status = accepted === 0 ? 'rejected' : 'applied';
  const reason = accepted === 0 ? (parsed.errors[0]?.reason ?? 'no usable rows') : undefined;
  const record: IngestionRecord = {
    key,
    upload: source.name,
    status,
    receivedAt: receivedAt.toISOString(),
    completedAt: options.clock.now().toISOString(),
    rows: accepted + parsed.errors.length,
    accepted,
    rejected: parsed.errors.length,
    changedStores,
    unchangedStores: stores.length - changedStores.length,
    ...(rejectedBlob ? { rejectedBlob } : {}),
    ...(reason ? { reason } : {}),
  };
  await deps.ingestions.put(record);
  return {
    upload: source.name,
    key,
    duplicate: false,
    status,
    rows: record.rows,
    accepted,
    rejected: parsed.errors,
    rejectedCount: parsed.errors.length,
    ...(rejectedBlob ? { rejectedBlob } : {}),
    changedStores,
    unchangedStores: record.unchangedStores,
    ...(reason ? { reason } : {}),
  };
}
