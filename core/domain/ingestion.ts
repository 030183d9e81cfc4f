import { createHash } from 'node:crypto';
import { decodeMaybeGzip, ErrorList, formatIsoDay, InputLimitError, parseIsoDay, SalesCsvParser, seriesByStore, type RowError, type SeriesHistory } from '../../engine/index.js';
import type { Clock, IngestedPointers, Metrics, StoragePorts, UploadSource } from '../ports/index.js';
import { countObservations, DenseHistoryBuilder, historyBounds, mergeHistory, trimSeries } from './history-merge.js';
import { csvField } from './csv-field.js';
import { mapLimit } from './map-limit.js';
import { idProblem, quoteForReport } from './ids.js';
import type { IngestionRecord, StoreState } from './model.js';
import { REALISED_WINDOW_DAYS, realisedDays, realisedSummary } from './realised.js';
import { checkedStorePointer, mirrorPointers, storePointerProblem, updatePointers } from './store-pointers.js';

/** What an upload may hold (`config.ingest`): the plausible dates and the reading limits. */
export interface IngestRules {
  /** No day before 1 January of this year (FOREACT_INGEST_FIRST_YEAR). */
  firstYear: number;
  /** Drivers may plan this many days past today (FOREACT_INGEST_DRIVERS_AHEAD_DAYS); sales end tomorrow. */
  driversAheadDays: number;
  /** Bytes once decompressed (FOREACT_INGEST_MAX_BYTES): a gzip bomb stops here. */
  maxBytes: number;
  /** Characters in one line. */
  maxLineChars: number;
  /** Rejected lines listed in the report and the result (the rest are counted). */
  maxErrors: number;
  /** The largest sales or numeric driver value (FOREACT_INGEST_MAX_VALUE); Infinity (`1e400`) is always refused. */
  maxValue: number;
  /** Distinct (store, item) series or driver scopes in one upload (FOREACT_INGEST_MAX_SERIES): the reader stops past it. */
  maxSeries: number;
  /** Distinct stores in one upload (FOREACT_INGEST_MAX_STORES): the reader stops past it. */
  maxStores: number;
}

export const DEFAULT_INGEST_RULES: IngestRules = { firstYear: 2000, driversAheadDays: 400, maxBytes: 2 * 1024 ** 3, maxLineChars: 64 * 1024, maxErrors: 1000, maxValue: 1e9, maxSeries: 500_000, maxStores: 10_000 };

export interface IngestOptions {
  clock: Clock;
  /** Stores merged at the same time. */
  concurrency?: number;
  rules?: Partial<IngestRules>;
  /** Where `foreact.store.realised_wape` goes (the accuracy alert's signal); absent → not emitted. */
  metrics?: Metrics;
}

/** The accuracy alert's signal (bicep/alerts/accuracy.kql, docs/operations.md). */
export const REALISED_WAPE_METRIC = 'foreact.store.realised_wape';

export function ingestRules(rules: Partial<IngestRules> | undefined): IngestRules {
  return { ...DEFAULT_INGEST_RULES, ...rules };
}

/** The days an upload may carry: from the first year on, to `aheadDays` after today (UTC). */
export function dateWindow(rules: IngestRules, now: Date, aheadDays: number): { firstDay: number; lastDay: number; check(day: number): string | undefined } {
  const firstDay = parseIsoDay(`${String(rules.firstYear).padStart(4, '0')}-01-01`)!;
  const lastDay = Math.floor(now.getTime() / 86_400_000) + aheadDays;
  return {
    firstDay,
    lastDay,
    check: (day) =>
      day < firstDay ? `date ${formatIsoDay(day)} is before ${formatIsoDay(firstDay)} (FOREACT_INGEST_FIRST_YEAR)`
      : day > lastDay ? `date ${formatIsoDay(day)} is after ${formatIsoDay(lastDay)} (${aheadDays === 1 ? 'tomorrow: sales cannot be in the future' : `${aheadDays} days ahead, FOREACT_INGEST_DRIVERS_AHEAD_DAYS`})`
      : undefined,
  };
}

export interface ParsedUpload {
  series: SeriesHistory[];
  /** The first `maxErrors` rejected lines, in line order. */
  errors: RowError[];
  errorCount: number;
  rows: number;
  /** Set when the file could not be read to its end (a cap, UTF-16): nothing of it is applied. */
  stopped?: RowError;
}

/**
 * Reads a sales upload in one streaming pass: every row is checked against the contract, the id alphabet
 * and the date window, and good rows go straight into dense histories. Memory follows the histories, not
 * the file: the text is never held whole, and only the first `maxErrors` errors are kept.
 */
export async function parseSalesUpload(source: UploadSource, rules: IngestRules, now: Date): Promise<ParsedUpload> {
  const builder = new DenseHistoryBuilder();
  const errors = new ErrorList(rules.maxErrors);
  const window = dateWindow(rules, now, 1);
  const parser = new SalesCsvParser(
    {
      row: (day, store, item, sales, line) => {
        const problem = idProblem('store', store) ?? idProblem('item', item) ?? window.check(day) ?? builder.add(day, store, item, sales, line);
        if (problem !== undefined) errors.push({ line, reason: problem });
      },
      error: (error) => errors.push(error),
    },
    rules,
  );
  try {
    for await (const text of decodeMaybeGzip(buffers(source), rules)) parser.push(text);
    // The last line (no line break after it) may cross a cap too.
    parser.end();
  } catch (error) {
    if (!(error instanceof InputLimitError)) throw error;
    const stopped = { line: error.line, reason: error.reason };
    const listed = errors.errors.filter((e) => e.line < stopped.line);
    return { series: [], errors: [...listed, stopped].slice(-rules.maxErrors), errorCount: errors.count + 1, rows: 0, stopped };
  }
  if (parser.headerSeen && builder.rowCount === 0 && errors.count === 0) errors.push({ line: 2, reason: 'the file has a header but no data rows' });
  return { series: builder.build(), errors: errors.errors, errorCount: errors.count, rows: builder.rowCount };
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

/**
 * The upload's content hash (its idempotency key), computed while the parser reads it: a new upload is
 * downloaded once, not once for the hash and again for the parse. The price is a duplicate is parsed
 * before it is recognised — rare next to new uploads, and parsing writes nothing. A parser that stopped
 * early (a cap) did not see every byte: the key then comes from a read of its own.
 */
export function hashWhileReading(source: UploadSource): { source: UploadSource; key(): Promise<string> } {
  let finished: Buffer | undefined;
  const tapped: UploadSource = {
    name: source.name,
    open: () =>
      (async function* () {
        finished = undefined;
        const hash = createHash('sha256');
        for await (const chunk of buffers(source)) {
          hash.update(chunk);
          yield chunk;
        }
        finished = hash.digest();
      })(),
  };
  return { source: tapped, key: async () => (finished !== undefined ? finished.toString('hex') : contentHash(source)) };
}

/** Characters of a rejected line echoed in the report: enough to find and fix it, not a copy of the file. */
export const REPORT_ROW_CHARS = 200;

/**
 * `line,reason,row`: each rejected line with (the start of) its text, so a planner can fix and resend it.
 * Streams the upload once more, keeping only the listed lines' first characters, control characters
 * shown as `?`. `total` above the listed count adds a last line counting the rest.
 */
export async function rejectedReport(source: UploadSource, errors: readonly RowError[], total = errors.length, limits: Partial<IngestRules> = {}): Promise<string> {
  const wanted = new Map<number, string>();
  for (const e of errors) wanted.set(e.line, '');
  let line = 1;
  let text = '';
  const keep = (chunk: string): void => {
    if (wanted.has(line) && text.length < REPORT_ROW_CHARS + 1) text += chunk.slice(0, REPORT_ROW_CHARS + 1 - text.length);
  };
  try {
    for await (const chunk of decodeMaybeGzip(buffers(source), { maxBytes: limits.maxBytes, maxLineChars: limits.maxLineChars })) {
      let start = 0;
      for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
        keep(chunk.slice(start, newline));
        if (wanted.has(line)) wanted.set(line, text);
        text = '';
        line++;
        start = newline + 1;
      }
      keep(chunk.slice(start));
    }
  } catch (error) {
    // The line the reader stopped at is in the errors; what was read of it is echoed.
    if (!(error instanceof InputLimitError)) throw error;
  }
  if (wanted.has(line) && text.length > 0) wanted.set(line, text);
  const echo = (raw: string): string => quoteForReport(raw.endsWith('\r') ? raw.slice(0, -1) : raw, REPORT_ROW_CHARS);
  const out = ['line,reason,row'];
  for (const e of errors) out.push(`${e.line},${csvField(quoteForReport(e.reason, 500))},${csvField(echo(wanted.get(e.line) ?? ''))}`);
  if (total > errors.length) out.push(`,${csvField(`${total - errors.length} more rejected line(s) not listed (the report lists the first ${errors.length})`)},`);
  return `${out.join('\n')}\n`;
}

/**
 * Merges one store's part of an upload. The new history is written as a new immutable version and
 * ingestion's pointer (`StorePointerRepository`, which trainers cannot write) is switched by a conditional
 * write, so a crash at any point leaves either the old history or the new one — never part of the upload. A
 * lost race with another upload is retried on the other's result. The store's row then mirrors the pointer
 * and is flagged stale; a crash between the two writes is finished by re-delivery (the merge then changes
 * nothing, and the mirror catches up).
 */
async function applyToStore(deps: Pick<StoragePorts, 'stores' | 'pointers' | 'history' | 'forecasts' | 'realised' | 'overrides'>, store: string, incoming: readonly SeriesHistory[], upload: string, now: Date, metrics: Metrics | undefined): Promise<boolean> {
  let written: string | undefined;
  let superseded: string | undefined;
  let merged: readonly SeriesHistory[] = [];
  // Set when this delivery switched the pointer; otherwise the mirror catches up with an earlier one.
  let what = `history from an earlier delivery of upload "${upload}"`;
  const pointers = await updatePointers(deps.pointers, store, async (current) => {
    if (written !== undefined) await deps.history.delete(written);
    written = undefined;
    superseded = undefined;
    const existing = current?.history ? await deps.history.read(checkedStorePointer('history', store, current.history.blob, current.history.version)) : [];
    const result = mergeHistory(existing, incoming);
    merged = result.series;
    if (result.added + result.corrected === 0) return undefined;
    const ref = await deps.history.write(store, result.series);
    written = ref.blob;
    superseded = current?.previousHistoryBlob;
    what = `${result.added} new and ${result.corrected} corrected day(s) from upload "${upload}"`;
    const bounds = historyBounds(result.series)!;
    const next: IngestedPointers = {
      ...(current ?? { store }),
      history: {
        blob: ref.blob,
        version: ref.version,
        firstDay: formatIsoDay(bounds.firstDay),
        lastDay: formatIsoDay(bounds.lastDay),
        items: result.series.length,
        observations: countObservations(result.series),
        updatedAt: now.toISOString(),
      },
    };
    delete next.previousHistoryBlob;
    if (current?.history) next.previousHistoryBlob = current.history.blob;
    return next;
  });
  const changed = written !== undefined;
  const state = pointers === undefined ? undefined : await mirrorPointers(deps.stores, pointers, now, (base, moved) => (moved.history ? (base.current ? `${what} since the forecast of ${base.current.generatedAt}` : `no forecast yet (${what})`) : undefined));
  // Two versions back is no longer anyone's pointer: ingestion's record names the current one and the
  // previous one (kept for a trainer that resolved the pointer just before the switch).
  if (changed && superseded !== undefined && superseded !== pointers?.history?.blob && superseded !== pointers?.previousHistoryBlob) await deleteHistoryBlob(deps.history, store, superseded);
  // Forecast against actual for the uploaded days the current forecast covered. Recorded whether or not the
  // history changed, so a re-delivery after a crash here still records them (upserts by store and day).
  const current = state?.current;
  if (current !== undefined && coversUploadedDay(current, incoming)) {
    const rows = await deps.forecasts.readRun(store, current.runId);
    // The overrides in force now (a deleted one no longer counts): forecast value added compares with them.
    const overrides = deps.overrides === undefined ? [] : await deps.overrides.inForce(store);
    const days = realisedDays(store, current.runId, rows, incoming, merged, { overrides, rho: current.totals?.rho ?? 0 });
    await deps.realised.record(days);
    if (metrics !== undefined && days.length > 0) await emitRealisedWape(deps.realised, metrics, store, current.accuracy.wape);
  }
  return changed;
}

/** Best effort: a blob left behind costs storage, never correctness. A pointer that is not the store's own is never deleted. */
async function deleteHistoryBlob(history: StoragePorts['history'], store: string, blob: string): Promise<void> {
  if (storePointerProblem('history', store, blob) !== undefined) return;
  await history.delete(blob).catch(() => undefined);
}

/**
 * The store's realised WAPE over its last days with actuals, with the backtest WAPE of the model whose
 * forecast is current, for the accuracy alert to compare. Nothing is emitted when the model has no backtest
 * WAPE (registered before it was kept, or a backtest without sales): the alert could not judge the store,
 * and the ledger read is saved. Best effort: a failed read must not fail the upload (which would be
 * redelivered and merged again for a telemetry signal); the next upload emits again.
 */
async function emitRealisedWape(realised: StoragePorts['realised'], metrics: Metrics, store: string, backtestWape: number | null | undefined): Promise<void> {
  if (typeof backtestWape !== 'number' || !Number.isFinite(backtestWape)) return;
  const summary = await realised.recent(store, REALISED_WINDOW_DAYS).then(realisedSummary).catch(() => null);
  if (summary === null || summary.wape === null) return;
  metrics.gauge(REALISED_WAPE_METRIC, summary.wape, { store, backtest_wape: Math.round(backtestWape * 10_000) / 10_000 });
}

/**
 * Records a whole-or-nothing upload (drivers, store attributes): rejected when any line is bad (every bad line
 * is in `rejectedBlob`) or when it holds no rows (`empty` says what it lacked), and answers as the sales path does.
 */
export async function recordWholeUpload(
  ingestions: StoragePorts['ingestions'],
  upload: { key: string; name: string; receivedAt: Date; completedAt: Date },
  outcome: { rows: number; errors: readonly RowError[]; errorCount: number; empty: string; rejectedBlob: string | undefined; changedStores: string[]; unchangedStores: number },
): Promise<IngestResult> {
  const { rows, errors, errorCount: total, rejectedBlob, changedStores, unchangedStores } = outcome;
  const status: IngestionRecord['status'] = errors.length > 0 || rows === 0 ? 'rejected' : 'applied';
  const reason = errors.length > 0 ? `${total} bad line(s), first line ${errors[0]!.line}: ${errors[0]!.reason}; nothing applied` : rows === 0 ? outcome.empty : undefined;
  const record: IngestionRecord = {
    key: upload.key,
    upload: upload.name,
    status,
    receivedAt: upload.receivedAt.toISOString(),
    completedAt: upload.completedAt.toISOString(),
    rows,
    accepted: status === 'applied' ? rows - errors.length : 0,
    rejected: total,
    changedStores,
    unchangedStores,
    ...(rejectedBlob ? { rejectedBlob } : {}),
    ...(reason ? { reason } : {}),
  };
  await ingestions.put(record);
  return { upload: upload.name, key: upload.key, duplicate: false, status, rows, accepted: record.accepted, rejected: [...errors], rejectedCount: total, ...(rejectedBlob ? { rejectedBlob } : {}), changedStores, unchangedStores, ...(reason ? { reason } : {}) };
}

/** The answer for content ingested before (same hash): what was done then; nothing changes now. */
export function duplicateResult(upload: string, key: string, seen: IngestionRecord): IngestResult {
  return {
    upload,
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

/** Whether the upload has a day the current forecast covered (a backfill has none: no run to read). */
function coversUploadedDay(current: NonNullable<StoreState['current']>, incoming: readonly SeriesHistory[]): boolean {
  const first = parseIsoDay(current.firstDay);
  if (first === undefined) return false;
  const end = first + current.horizon;
  return incoming.some((s) => {
    for (let i = Math.max(0, first - s.startDay); i < s.values.length && s.startDay + i < end; i++) if (s.values[i] === s.values[i]) return true;
    return false;
  });
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
  const rules = ingestRules(options.rules);
  const reading = hashWhileReading(source);
  const parsed = await parseSalesUpload(reading.source, rules, receivedAt);
  const key = await reading.key();
  const seen = await deps.ingestions.get(key);
  if (seen !== undefined) return duplicateResult(source.name, key, seen);
  const accepted = countObservations(parsed.series);
  let rejectedBlob: string | undefined;
  if (parsed.errorCount > 0) rejectedBlob = await deps.rejected.write(source.name, await rejectedReport(source, parsed.errors, parsed.errorCount, rules));

  const byStore = seriesByStore(parsed.series);
  const stores = [...byStore.keys()];
  const changed = await mapLimit(stores, options.concurrency ?? 4, (store) => applyToStore(deps, store, byStore.get(store)!, source.name, receivedAt, options.metrics));
  const changedStores = stores.filter((_, i) => changed[i]);
  const status = accepted === 0 ? 'rejected' : 'applied';
  const reason = parsed.stopped !== undefined ? `line ${parsed.stopped.line}: ${parsed.stopped.reason}` : accepted === 0 ? (parsed.errors[0]?.reason ?? 'no usable rows') : undefined;
  const record: IngestionRecord = {
    key,
    upload: source.name,
    status,
    receivedAt: receivedAt.toISOString(),
    completedAt: options.clock.now().toISOString(),
    rows: accepted + parsed.errorCount,
    accepted,
    rejected: parsed.errorCount,
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
    rejectedCount: parsed.errorCount,
    ...(rejectedBlob ? { rejectedBlob } : {}),
    changedStores,
    unchangedStores: record.unchangedStores,
    ...(reason ? { reason } : {}),
  };
}

export interface DeleteHistoryResult {
  store: string;
  /** Observations removed (0: nothing in the range, nothing written). */
  removed: number;
  /** The new history version, when one was written. */
  version?: string;
}

/**
 * An admin's correction: removes a store's observations from `fromDay` to `toDay` (epoch days, inclusive),
 * e.g. a mistyped year that moved the store's forecast origin. Like an upload, it writes a new immutable
 * history version and switches the pointer with a conditional write (a crash leaves the old history or the
 * new one), and marks the store stale. A range holding nothing changes nothing.
 */
export async function deleteHistoryRange(deps: Pick<StoragePorts, 'stores' | 'pointers' | 'history'>, store: string, fromDay: number, toDay: number, now: Date): Promise<DeleteHistoryResult> {
  if (toDay < fromDay) throw new RangeError(`the range ends (${formatIsoDay(toDay)}) before it starts (${formatIsoDay(fromDay)})`);
  const existing = await deps.pointers.get(store);
  if (existing?.value.history === undefined) throw new RangeError(`store "${quoteForReport(store)}" has no sales history`);
  let written: { blob: string; version: string } | undefined;
  let removed = 0;
  let superseded: string | undefined;
  const pointers = await updatePointers(deps.pointers, store, async (current): Promise<IngestedPointers | undefined> => {
    if (written !== undefined) await deps.history.delete(written.blob);
    written = undefined;
    removed = 0;
    if (current?.history === undefined) return undefined;
    const series: SeriesHistory[] = [];
    for (const s of await deps.history.read(checkedStorePointer('history', store, current.history.blob, current.history.version))) {
      const values = Float64Array.from(s.values);
      for (let day = Math.max(fromDay, s.startDay); day <= Math.min(toDay, s.startDay + values.length - 1); day++) {
        const i = day - s.startDay;
        if (values[i] === values[i]) removed++;
        values[i] = Number.NaN;
      }
      if (values.some((v) => v === v)) series.push(trimSeries({ ...s, values }));
    }
    if (removed === 0) return undefined;
    superseded = current.previousHistoryBlob;
    const next: IngestedPointers = { ...current, previousHistoryBlob: current.history.blob };
    delete next.history;
    const bounds = historyBounds(series);
    if (bounds === undefined) return next;
    const ref = await deps.history.write(store, series);
    written = ref;
    next.history = { blob: ref.blob, version: ref.version, firstDay: formatIsoDay(bounds.firstDay), lastDay: formatIsoDay(bounds.lastDay), items: series.length, observations: countObservations(series), updatedAt: now.toISOString() };
    return next;
  });
  if (removed > 0 && pointers !== undefined) {
    const what = `an admin deleted ${removed} observation(s) from ${formatIsoDay(fromDay)} to ${formatIsoDay(toDay)}`;
    await mirrorPointers(deps.stores, pointers, now, (base) => (base.current ? `${what} since the forecast of ${base.current.generatedAt}` : `no forecast yet (${what})`));
    if (superseded !== undefined && superseded !== pointers.history?.blob && superseded !== pointers.previousHistoryBlob) await deleteHistoryBlob(deps.history, store, superseded);
  }
  const result: DeleteHistoryResult = { store, removed };
  const version: string | undefined = (written as { version: string } | undefined)?.version;
  if (version !== undefined) result.version = version;
  return result;
}
