import { driversForStore, formatIsoDay, parseIsoDay, overlayStoreDrivers, readDrivers, sliceStoreDrivers, storeDriversToJson, type DriverTable, type ReadDriversResult, type RowError, type StoreDrivers } from '../../engine/index.js';
import type { Clock, StoragePorts, UploadSource } from '../ports/index.js';
import { idProblem, quoteForReport } from './ids.js';
import { mapLimit } from './map-limit.js';
import { buffers, dateWindow, hashWhileReading, duplicateResult, ingestRules, recordWholeUpload, rejectedReport, type IngestResult, type IngestRules } from './ingestion.js';
import { checkedStorePointer, mirrorPointers, updatePointers } from './store-pointers.js';

/** Uploads under this prefix of `uploads/` are drivers files (one Event Grid subscription serves both). */
export const DRIVERS_UPLOAD_PREFIX = 'drivers/';

export function isDriversUpload(name: string): boolean {
  return name.startsWith(DRIVERS_UPLOAD_PREFIX);
}

export interface DriversIngestOptions {
  clock: Clock;
  concurrency?: number;
  rules?: Partial<IngestRules>;
}

/**
 * The alphabet of driver labels (event and holiday names) and column names an upload may carry: letters and
 * digits of any script, then also spaces and ' ( ) + - . & / : % ! _ — every name in the M5 and Italian
 * calendars passes ("Mother's day", "Eid al-Fitr", "Lunedi dell'Angelo (Pasquetta)", "NBAFinalsEnd+Father's
 * day"). Labels reach the dashboard and its CSV exports: without `=`, `@`, separators or control characters,
 * and starting with a letter or digit, no label can start a formula in any spreadsheet locale.
 */
export const LABEL_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}\p{M} '’()+\-.&/:%!_]{0,99}$/u;

export function labelProblem(what: string, label: string): string | undefined {
  if (LABEL_PATTERN.test(label)) return undefined;
  return `${what} "${quoteForReport(label)}" is invalid: use up to 100 letters, digits, spaces and ' ( ) + - . & / : % ! _, starting with a letter or digit`;
}

/**
 * The lines whose store or item id is not one the API can address, whose label (a text driver's value) is
 * outside the label alphabet, or whose day is outside the window (before the first year, or further ahead than
 * the planned future may run), one reason per line. A column name outside the alphabet is named on line 1.
 */
export function driverRowProblems(table: DriverTable, rules: IngestRules, now: Date): RowError[] {
  const window = dateWindow(rules, now, rules.driversAheadDays);
  const byLine = new Map<number, string>();
  for (const column of table.columns) {
    const problem = labelProblem('column name', column.name);
    if (problem !== undefined && !byLine.has(1)) byLine.set(1, problem);
  }
  const badLabels = new Map<string, Map<number, string>>();
  for (const [name, labels] of table.labels) {
    const bad = new Map<number, string>();
    labels.forEach((label, code) => {
      const problem = labelProblem(`${name} value`, label);
      if (problem !== undefined) bad.set(code, problem);
    });
    if (bad.size > 0) badLabels.set(name, bad);
  }
  for (const scope of table.scopes.values()) {
    const idReason = (scope.store !== '' ? idProblem('store', scope.store) : undefined) ?? (scope.item !== '' ? idProblem('item', scope.item) : undefined);
    const labelColumns = [...badLabels].map(([name, bad]) => [scope.values.get(name), bad] as const).filter(([values]) => values !== undefined);
    for (let i = 0; i < scope.lines.length; i++) {
      const line = scope.lines[i]!;
      if (line === 0 || byLine.has(line)) continue;
      let reason = idReason ?? window.check(scope.firstDay + i);
      for (const [values, bad] of labelColumns) reason ??= bad.get(values![i]!);
      if (reason !== undefined) byLine.set(line, reason);
    }
  }
  return [...byLine].map(([line, reason]) => ({ line, reason })).sort((a, b) => a.line - b.line);
}

/** Reads a drivers upload within the reading limits and the caps (value, series, stores). */
async function readDriversUpload(source: UploadSource, rules: IngestRules): Promise<ReadDriversResult> {
  return readDrivers(buffers(source), source.name, rules);
}

/** Whether the planned days (from `from` on) differ between two versions of a store's drivers. */
function futureChanged(before: StoreDrivers | undefined, after: StoreDrivers, today: number): boolean {
  const future = (d: StoreDrivers): string => JSON.stringify(storeDriversToJson(sliceStoreDrivers(d, today, Math.max(today, d.lastDay))));
  if (after.lastDay < today) return false;
  return before === undefined ? true : future(before) !== future(after);
}

/**
 * One store's part of a drivers upload, laid over what it had: a new immutable version, then ingestion's
 * pointer (out of trainers' reach) switched by a conditional write (a crash leaves the old drivers or the new
 * ones), then mirrored onto the store's row. A change to planned days makes the store's forecast stale: it
 * no longer reflects the plan.
 */
async function applyToStore(deps: Pick<StoragePorts, 'stores' | 'pointers' | 'drivers'>, store: string, incoming: StoreDrivers, upload: string, now: Date): Promise<boolean> {
  let written: string | undefined;
  let before: StoreDrivers | undefined;
  let after: StoreDrivers | undefined;
  const pointers = await updatePointers(deps.pointers, store, async (current) => {
    if (written !== undefined) await deps.drivers.delete(written);
    written = undefined;
    const existing = current?.drivers ? await deps.drivers.read(checkedStorePointer('drivers', store, current.drivers.blob, current.drivers.version)) : undefined;
    const merged = existing === undefined ? incoming : overlayStoreDrivers(existing, incoming);
    if (existing !== undefined && JSON.stringify(storeDriversToJson(existing)) === JSON.stringify(storeDriversToJson(merged))) return undefined;
    const ref = await deps.drivers.write(store, merged);
    written = ref.blob;
    before = existing;
    after = merged;
    return { ...(current ?? { store }), drivers: { blob: ref.blob, version: ref.version, firstDay: formatIsoDay(merged.firstDay), lastDay: formatIsoDay(merged.lastDay), columns: merged.columns.map((c) => c.name), updatedAt: now.toISOString() } };
  });
  const changed = written !== undefined;
  if (pointers !== undefined) {
    await mirrorPointers(deps.stores, pointers, now, (base, moved) => {
      if (!moved.drivers || base.current === undefined) return undefined;
      // The plan that matters is the one for the days the store's forecast covers. A mirror caught up after
      // a crash (nothing switched now) cannot tell: stale, to be safe.
      const planFrom = parseIsoDay(base.current.firstDay) ?? Math.floor(now.getTime() / 86_400_000);
      if (changed && after !== undefined && !futureChanged(before, after, planFrom)) return undefined;
      return `planned drivers changed by upload "${upload}" since the forecast of ${base.current.generatedAt}`;
    });
  }
  return changed;
}

/**
 * Ingests one drivers file (`date[,store][,item],<driver>…`). Unlike sales, a drivers file is applied whole
 * or not at all: a promotion calendar with a bad line would silently drop a promotion, so any bad line
 * rejects the file, with every bad line named in the rejected-rows report. Rows without a store apply to
 * every store the app knows; stores the sales do not have yet keep their drivers for when they arrive.
 * The content hash makes a re-delivery a no-op, as for sales.
 */
export async function ingestDriversUpload(deps: StoragePorts, source: UploadSource, options: DriversIngestOptions): Promise<IngestResult> {
  const receivedAt = options.clock.now();
  const rules = ingestRules(options.rules);
  const reading = hashWhileReading(source);
  const parsed = await readDriversUpload(reading.source, rules);
  const key = await reading.key();
  const seen = await deps.ingestions.get(key);
  if (seen !== undefined) return duplicateResult(source.name, key, seen);
  const parseLines = new Set(parsed.errors.map((e) => e.line));
  const problems = driverRowProblems(parsed.table, rules, receivedAt).filter((e) => !parseLines.has(e.line));
  const all = parsed.errors.concat(problems).sort((a, b) => a.line - b.line);
  const errors: RowError[] = all.slice(0, rules.maxErrors);
  // The reader lists at most maxErrors of its errors and counts the rest.
  const total = parsed.errorCount + problems.length;
  let changedStores: string[] = [];
  let unchanged = 0;
  let rejectedBlob: string | undefined;
  if (errors.length > 0) {
    rejectedBlob = await deps.rejected.write(source.name, await rejectedReport(source, errors, total, rules));
  } else {
    const named = [...parsed.table.scopes.values()].map((s) => s.store).filter((s) => s !== '');
    const everyStore = [...parsed.table.scopes.values()].some((s) => s.store === '');
    const known = everyStore ? (await deps.stores.list()).map((s) => s.store) : [];
    const stores = [...new Set([...named, ...known])].sort();
    const changed = await mapLimit(stores, options.concurrency ?? 4, async (store) => {
      const incoming = driversForStore(parsed.table, store);
      return incoming === undefined ? false : applyToStore(deps, store, incoming, source.name, receivedAt);
    });
    changedStores = stores.filter((_, i) => changed[i]);
    unchanged = stores.length - changedStores.length;
  }
  return recordWholeUpload(deps.ingestions, { key, name: source.name, receivedAt, completedAt: options.clock.now() }, { rows: parsed.rows, errors, errorCount: total, empty: 'no driver rows', rejectedBlob, changedStores, unchangedStores: unchanged });
}
