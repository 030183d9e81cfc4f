import { decodeMaybeGzip, splitQuoted, truncate, unreadableLine, type ByteSource } from './csv.js';
import { formatIsoDay, parseIsoDay, type EpochDay } from './dates.js';
import type { RowError } from './history.js';

/**
 * Drivers: what a planner knows in advance (promotions, prices, events, holidays, closures), as CSV with a
 * `date` column, optional `store` and `item` columns (absent or empty = every store / item) and any number of
 * driver columns. A column whose values are numbers is a numeric driver; any other column is categorical
 * (an event or holiday name, empty = none). `open` is reserved: 0 = nothing sells that day.
 */
export type DriverKind = 'numeric' | 'categorical';

export interface DriverColumn {
  name: string;
  kind: DriverKind;
}

export const OPEN_COLUMN = 'open';

/** The drivers of one scope: `store`/`item` are '' when the rows apply to every store / item. */
export interface DriverScope {
  store: string;
  item: string;
  /** column name → day → value (a number, or a label for categorical columns; '' = none). */
  values: Map<string, Map<EpochDay, number | string>>;
  /** day → line of the row that gave it, for naming conflicts. */
  lines: Map<EpochDay, number>;
}

export interface DriverTable {
  /** Where each column came from (a file name), for error messages. */
  sources: Map<string, string>;
  columns: DriverColumn[];
  scopes: Map<string, DriverScope>;
}

export interface ReadDriversResult {
  table: DriverTable;
  errors: RowError[];
  rows: number;
}

const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN_VALUES = new Map([['true', 1], ['false', 0], ['yes', 1], ['no', 0], ['y', 1], ['n', 0]]);
/** A column is numeric when nearly all its non-empty cells are numbers; the rest are then bad rows. */
const NUMERIC_SHARE = 0.9;

function scopeKey(store: string, item: string): string {
  return `${store}\u0000${item}`;
}

/**
 * Reads one drivers file (plain or gzip, by magic bytes) from byte chunks. Every bad row is reported with
 * its line number: bad dates, bad numbers in a numeric column, `open` other than 0/1, wrong field count and
 * duplicate date/store/item keys. `source` names the file in messages.
 */
export async function readDrivers(input: ByteSource, source = 'drivers'): Promise<ReadDriversResult> {
  const errors: RowError[] = [];
  let header: string[] | undefined;
  let dateIndex = -1;
  let storeIndex = -1;
  let itemIndex = -1;
  let driverIndexes: number[] = [];
  const days: number[] = [];
  const stores: string[] = [];
  const items: string[] = [];
  const lines: number[] = [];
  let cells: string[][] = [];
  let lineNumber = 0;
  let pending = '';
  let headerBroken = false;

  const onLine = (rawLine: string): void => {
    lineNumber++;
    let raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (lineNumber === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (raw.trim().length === 0 || headerBroken) return;
    // As for sales: an id read through U+FFFD or NULs could silently become another store's or item's.
    const unreadable = unreadableLine(raw);
    if (unreadable !== undefined) {
      errors.push({ line: lineNumber, reason: unreadable });
      if (header === undefined) headerBroken = true;
      return;
    }
    const fields = raw.includes('"') ? splitQuoted(raw) : raw.split(',');
    if (fields === undefined) {
      errors.push({ line: lineNumber, reason: 'unbalanced quotes' });
      return;
    }
    if (header === undefined) {
      header = fields.map((f) => f.trim());
      const lower = header.map((h) => h.toLowerCase());
      dateIndex = lower.indexOf('date');
      storeIndex = lower.indexOf('store');
      itemIndex = lower.indexOf('item');
      driverIndexes = lower.map((_, i) => i).filter((i) => i !== dateIndex && i !== storeIndex && i !== itemIndex);
      const seen = new Set<string>();
      const duplicated = lower.filter((h) => (seen.has(h) ? true : (seen.add(h), false)));
      const problem =
        dateIndex < 0 ? `header has no "date" column: expected "date[,store][,item],<driver>...", got "${fields.join(',')}"`
        : driverIndexes.length === 0 ? 'header has no driver column besides date/store/item'
        : duplicated.length > 0 ? `header names column(s) ${[...new Set(duplicated)].join(', ')} twice`
        : header.some((h) => h.length === 0) ? 'header has an empty column name'
        : undefined;
      if (problem !== undefined) {
        errors.push({ line: lineNumber, reason: problem });
        headerBroken = true;
      }
      cells = driverIndexes.map(() => []);
      return;
    }
    if (fields.length !== header.length) {
      errors.push({ line: lineNumber, reason: `expected ${header.length} fields, found ${fields.length}` });
      return;
    }
    const dateText = fields[dateIndex]!.trim();
    const day = parseIsoDay(dateText);
    if (day === undefined) {
      errors.push({ line: lineNumber, reason: `date "${truncate(dateText)}" is not an ISO date (YYYY-MM-DD)` });
      return;
    }
    days.push(day);
    stores.push(storeIndex >= 0 ? fields[storeIndex]!.trim() : '');
    items.push(itemIndex >= 0 ? fields[itemIndex]!.trim() : '');
    lines.push(lineNumber);
    driverIndexes.forEach((column, c) => cells[c]!.push(fields[column]!.trim()));
  };

  for await (const text of decodeMaybeGzip(input)) {
    const chunk = pending + text;
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      onLine(chunk.slice(start, newline));
      start = newline + 1;
    }
    pending = chunk.slice(start);
  }
  if (pending.length > 0) onLine(pending);

  const table: DriverTable = { sources: new Map(), columns: [], scopes: new Map() };
  if (header === undefined) {
    errors.push({ line: 1, reason: 'the file is empty: expected a header line "date[,store][,item],<driver>..."' });
    return { table, errors, rows: 0 };
  }
  if (headerBroken) return { table, errors, rows: 0 };
  if (days.length === 0 && errors.length === 0) errors.push({ line: 2, reason: 'the file has a header but no data rows' });

  const names = driverIndexes.map((i) => header![i]!);
  const badRows = new Set<number>();
  const parsed: (number | string)[][] = names.map((name, c) => {
    const column = cells[c]!;
    const reserved = name.toLowerCase() === OPEN_COLUMN;
    let filled = 0;
    let numeric = 0;
    let boolean = 0;
    for (const cell of column) {
      if (cell.length === 0) continue;
      filled++;
      if (NUMBER_PATTERN.test(cell)) numeric++;
      else if (BOOLEAN_VALUES.has(cell.toLowerCase())) boolean++;
    }
    // A yes/no flag written as words is a promotion flag, not an event named "false" on every other day.
    const isBoolean = !reserved && filled > 0 && boolean > 0 && boolean + numeric === filled && column.every((cell) => cell.length === 0 || BOOLEAN_VALUES.has(cell.toLowerCase()) || cell === '0' || cell === '1');
    const isNumeric = reserved || isBoolean || (filled > 0 && numeric >= NUMERIC_SHARE * filled);
    table.columns.push({ name: reserved ? OPEN_COLUMN : name, kind: isNumeric ? 'numeric' : 'categorical' });
    table.sources.set(reserved ? OPEN_COLUMN : name, source);
    return column.map((cell, r): number | string => {
      if (!isNumeric) return cell;
      if (cell.length === 0) return Number.NaN;
      if (isBoolean) return BOOLEAN_VALUES.get(cell.toLowerCase()) ?? Number(cell);
      if (!NUMBER_PATTERN.test(cell)) {
        errors.push({ line: lines[r]!, reason: `${name} "${truncate(cell)}" is not a number (the column is numeric)` });
        badRows.add(r);
        return Number.NaN;
      }
      const value = Number(cell);
      if (reserved && value !== 0 && value !== 1) {
        errors.push({ line: lines[r]!, reason: `open must be 0 or 1, got "${truncate(cell)}"` });
        badRows.add(r);
      }
      return value;
    });
  });

  for (let r = 0; r < days.length; r++) {
    if (badRows.has(r)) continue;
    const key = scopeKey(stores[r]!, items[r]!);
    let scope = table.scopes.get(key);
    if (scope === undefined) table.scopes.set(key, (scope = { store: stores[r]!, item: items[r]!, values: new Map(), lines: new Map() }));
    const day = days[r]!;
    const first = scope.lines.get(day);
    if (first !== undefined) {
      errors.push({ line: lines[r]!, reason: `duplicate row for ${describeKey(day, scope.store, scope.item)} (first seen on line ${first})` });
      continue;
    }
    scope.lines.set(day, lines[r]!);
    table.columns.forEach((column, c) => {
      const value = parsed[c]![r]!;
      if (typeof value === 'number' && value !== value) return;
      let byDay = scope.values.get(column.name);
      if (byDay === undefined) scope.values.set(column.name, (byDay = new Map<EpochDay, number | string>()));
      byDay.set(day, value);
    });
  }
  errors.sort((a, b) => a.line - b.line);
  return { table, errors, rows: days.length };
}

function describeKey(day: EpochDay, store: string, item: string): string {
  return `${formatIsoDay(day)}, ${store === '' ? 'every store' : `store ${store}`}, ${item === '' ? 'every item' : `item ${item}`}`;
}

export interface MergeError {
  /** The file whose row clashes, and its line. */
  source: string;
  line: number;
  reason: string;
}

/**
 * Joins several drivers files on date/store/item. The same column for the same key in two files is an error
 * naming both, as is a column that is numeric in one file and text in another.
 */
export function mergeDriverTables(tables: readonly { table: DriverTable; source: string }[]): { table: DriverTable; errors: MergeError[] } {
  const merged: DriverTable = { sources: new Map(), columns: [], scopes: new Map() };
  const errors: MergeError[] = [];
  for (const { table, source } of tables) {
    for (const column of table.columns) {
      const existing = merged.columns.find((c) => c.name === column.name);
      if (existing === undefined) {
        merged.columns.push(column);
        merged.sources.set(column.name, source);
      } else if (existing.kind !== column.kind) {
        errors.push({ source, line: 1, reason: `column ${column.name} is ${column.kind === 'numeric' ? 'numeric' : 'text'} here but ${existing.kind === 'numeric' ? 'numeric' : 'text'} in ${merged.sources.get(column.name)}` });
      }
    }
    for (const [key, scope] of table.scopes) {
      let target = merged.scopes.get(key);
      if (target === undefined) merged.scopes.set(key, (target = { store: scope.store, item: scope.item, values: new Map(), lines: new Map() }));
      for (const [name, byDay] of scope.values) {
        const into = target.values.get(name);
        if (into === undefined) {
          target.values.set(name, new Map(byDay));
          continue;
        }
        const otherSource = merged.sources.get(name);
        for (const [day, value] of byDay) {
          if (into.has(day)) {
            errors.push({ source, line: scope.lines.get(day) ?? 0, reason: `column ${name} for ${describeKey(day, scope.store, scope.item)} is also given by ${otherSource} (line ${target.lines.get(day) ?? '?'})` });
            continue;
          }
          into.set(day, value);
        }
      }
      for (const [day, line] of scope.lines) if (!target.lines.has(day)) target.lines.set(day, line);
    }
  }
  return { table: merged, errors };
}

/**
 * One store's drivers as dense day arrays (history and future). Numeric values are numbers; categorical
 * values are codes into `labels[c]` (-1 = none). NaN = not given. `items` holds item-level values that
 * override the store's for that item.
 */
export interface StoreDrivers {
  store: string;
  firstDay: EpochDay;
  lastDay: EpochDay;
  columns: DriverColumn[];
  labels: string[][];
  storeValues: Float64Array[];
  items: Map<string, (Float64Array | undefined)[]>;
}

/**
 * Selects a store's drivers from a table: rows for every store, for the store, for every item and for its
 * items, the more specific winning. `items` limits item-level rows to the store's items (others are ignored:
 * a calendar may list items the sales do not have yet). Undefined when nothing applies to the store.
 */
export function driversForStore(table: DriverTable, store: string, items?: readonly string[]): StoreDrivers | undefined {
  const wanted = items === undefined ? undefined : new Set(items);
  const storeLevel = [table.scopes.get(scopeKey('', '')), table.scopes.get(scopeKey(store, ''))].filter((s): s is DriverScope => s !== undefined);
  const itemLevel = new Map<string, DriverScope[]>();
  for (const scope of table.scopes.values()) {
    if (scope.item === '' || (scope.store !== '' && scope.store !== store)) continue;
    if (wanted !== undefined && !wanted.has(scope.item)) continue;
    const list = itemLevel.get(scope.item) ?? [];
    // Store-specific item rows come last so they override rows for the item in every store.
    if (scope.store === '') list.unshift(scope);
    else list.push(scope);
    itemLevel.set(scope.item, list);
  }
  const scopes = [...storeLevel, ...[...itemLevel.values()].flat()];
  if (scopes.length === 0) return undefined;
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const scope of scopes) {
    for (const day of scope.lines.keys()) {
      if (day < firstDay) firstDay = day;
      if (day > lastDay) lastDay = day;
    }
  }
  if (!Number.isFinite(firstDay)) return undefined;
  const length = lastDay - firstDay + 1;
  const columns = table.columns;
  const labels: string[][] = columns.map(() => []);
  const codes = columns.map(() => new Map<string, number>());
  const encode = (c: number, value: number | string): number => {
    if (typeof value === 'number') return value;
    if (value === '') return -1;
    let code = codes[c]!.get(value);
    if (code === undefined) {
      code = labels[c]!.length;
      labels[c]!.push(value);
      codes[c]!.set(value, code);
    }
    return code;
  };
  const fill = (target: Float64Array, byDay: Map<EpochDay, number | string>, c: number): void => {
    for (const [day, value] of byDay) target[day - firstDay] = encode(c, value);
  };
  const storeValues = columns.map((column, c) => {
    const values = new Float64Array(length).fill(Number.NaN);
    for (const scope of storeLevel) {
      const byDay = scope.values.get(column.name);
      if (byDay !== undefined) fill(values, byDay, c);
    }
    return values;
  });
  const itemValues = new Map<string, (Float64Array | undefined)[]>();
  for (const [item, list] of itemLevel) {
    itemValues.set(
      item,
      columns.map((column, c) => {
        let values: Float64Array | undefined;
        for (const scope of list) {
          const byDay = scope.values.get(column.name);
          if (byDay === undefined) continue;
          values ??= new Float64Array(length).fill(Number.NaN);
          fill(values, byDay, c);
        }
        return values;
      }),
    );
  }
  return { store, firstDay, lastDay, columns, labels, storeValues, items: itemValues };
}

/** The value of column `c` for `item` on `day` (item-level first, then store-level); NaN when not given. */
export function driverValue(drivers: StoreDrivers, c: number, item: string | undefined, day: EpochDay): number {
  if (day < drivers.firstDay || day > drivers.lastDay) return Number.NaN;
  const i = day - drivers.firstDay;
  if (item !== undefined) {
    const own = drivers.items.get(item)?.[c];
    if (own !== undefined) {
      const v = own[i]!;
      if (v === v) return v;
    }
  }
  return drivers.storeValues[c]![i]!;
}

/** Column index of `open`, or -1. */
export function openColumn(drivers: StoreDrivers): number {
  return drivers.columns.findIndex((c) => c.name === OPEN_COLUMN);
}

/** Days the whole store is known to be closed (`open = 0` at store level). */
export function storeClosedDays(drivers: StoreDrivers): Set<EpochDay> {
  const c = openColumn(drivers);
  const closed = new Set<EpochDay>();
  if (c < 0) return closed;
  drivers.storeValues[c]!.forEach((v, i) => {
    if (v === 0) closed.add(drivers.firstDay + i);
  });
  return closed;
}

export interface CoverageWarning {
  store: string;
  /** ISO dates in the range that some driver column the store uses does not reach. */
  missingDays: string[];
}

/**
 * Days in [fromDay, toDay] past the end of a driver column that the store's history uses: the forecast for
 * those days gets no effect from that driver. A column ends on the last day it gives a value for the store or
 * any of its items; files that list only special days (closures, events) are sparse by design, so gaps inside
 * a column are not counted.
 */
export function driverCoverage(drivers: StoreDrivers, fromDay: EpochDay, toDay: EpochDay): CoverageWarning | undefined {
  let coveredTo = Infinity;
  drivers.columns.forEach((_, c) => {
    let first = Infinity;
    let last = -Infinity;
    const scan = (values: Float64Array | undefined): void => {
      if (values === undefined) return;
      for (let i = 0; i < values.length; i++) {
        if (values[i] !== values[i]) continue;
        first = Math.min(first, drivers.firstDay + i);
        last = Math.max(last, drivers.firstDay + i);
      }
    };
    scan(drivers.storeValues[c]);
    for (const columns of drivers.items.values()) scan(columns[c]);
    if (first < fromDay) coveredTo = Math.min(coveredTo, last);
  });
  const missing: string[] = [];
  for (let day = Math.max(fromDay, coveredTo + 1); day <= toDay; day++) missing.push(formatIsoDay(day));
  return missing.length > 0 ? { store: drivers.store, missingDays: missing } : undefined;
}

export interface DriverMarker {
  date: string;
  kind: 'closed' | 'promotion' | 'event';
  label: string;
  /** For promotions (and item-level events): the items concerned. */
  items?: string[];
}

const PRICE_NAME = /price|prix|preis|prezzo|precio/i;

/**
 * What a planner should see on each day of [fromDay, toDay]: closures, promotions (numeric item-level
 * drivers above their usual value, with the items) and events (text drivers, and store-wide numeric flags
 * such as a benefit day). Prices are not markers.
 */
export function driverMarkers(drivers: StoreDrivers, fromDay: EpochDay, toDay: EpochDay): DriverMarker[] {
  const markers: DriverMarker[] = [];
  const open = openColumn(drivers);
  const baseline = drivers.columns.map((column, c) => (column.kind === 'numeric' ? usualValue(drivers, c) : Number.NaN));
  for (let day = fromDay; day <= toDay; day++) {
    const date = formatIsoDay(day);
    const i = day - drivers.firstDay;
    if (i < 0 || day > drivers.lastDay) continue;
    if (open >= 0 && drivers.storeValues[open]![i] === 0) markers.push({ date, kind: 'closed', label: 'closed' });
    drivers.columns.forEach((column, c) => {
      if (c === open || PRICE_NAME.test(column.name)) return;
      const storeValue = drivers.storeValues[c]![i]!;
      if (column.kind === 'categorical') {
        if (storeValue >= 0) markers.push({ date, kind: 'event', label: drivers.labels[c]![storeValue]! });
        const byLabel = new Map<number, string[]>();
        for (const [item, columns] of drivers.items) {
          const v = columns[c]?.[i];
          if (v !== undefined && v >= 0 && v !== storeValue) byLabel.set(v, [...(byLabel.get(v) ?? []), item]);
        }
        for (const [code, items] of byLabel) markers.push({ date, kind: 'event', label: drivers.labels[c]![code]!, items });
        return;
      }
      if (storeValue > baseline[c]!) markers.push({ date, kind: 'event', label: column.name });
      const promoted: string[] = [];
      for (const [item, columns] of drivers.items) {
        const v = columns[c]?.[i];
        if (v !== undefined && v > baseline[c]! && !(storeValue > baseline[c]!)) promoted.push(item);
      }
      if (promoted.length > 0) markers.push({ date, kind: 'promotion', label: column.name, items: promoted.sort() });
    });
  }
  return markers;
}

/** The most frequent value of a numeric column (usually 0: no promotion). */
function usualValue(drivers: StoreDrivers, c: number): number {
  const counts = new Map<number, number>();
  const count = (values: Float64Array | undefined): void => {
    if (values === undefined) return;
    for (const v of values) if (v === v) counts.set(v, (counts.get(v) ?? 0) + 1);
  };
  count(drivers.storeValues[c]);
  for (const columns of drivers.items.values()) count(columns[c]);
  let best = 0;
  let bestCount = -1;
  for (const [value, n] of counts) if (n > bestCount || (n === bestCount && value < best)) [best, bestCount] = [value, n];
  return best;
}

/** `StoreDrivers` as plain JSON (for storage): ISO first day, `null` for "not given". */
export interface StoreDriversJson {
  schema: 'foreact.drivers/v1';
  store: string;
  firstDay: string;
  columns: DriverColumn[];
  labels: string[][];
  storeValues: (number | null)[][];
  items: Record<string, ((number | null)[] | null)[]>;
}

const toJsonValues = (values: Float64Array): (number | null)[] => Array.from(values, (v) => (v === v ? v : null));
const fromJsonValues = (values: readonly (number | null)[]): Float64Array => Float64Array.from(values, (v) => (v === null ? Number.NaN : v));

export function storeDriversToJson(drivers: StoreDrivers): StoreDriversJson {
  const items: StoreDriversJson['items'] = {};
  for (const [item, columns] of drivers.items) items[item] = columns.map((values) => (values === undefined ? null : toJsonValues(values)));
  return {
    schema: 'foreact.drivers/v1',
    store: drivers.store,
    firstDay: formatIsoDay(drivers.firstDay),
    columns: drivers.columns,
    labels: drivers.labels,
    storeValues: drivers.storeValues.map(toJsonValues),
    items,
  };
}

/** Reads what `storeDriversToJson` wrote; throws naming the first problem. */
export function storeDriversFromJson(json: unknown): StoreDrivers {
  const j = json as Partial<StoreDriversJson> | null;
  const firstDay = typeof j?.firstDay === 'string' ? parseIsoDay(j.firstDay) : undefined;
  if (j === null || j.schema !== 'foreact.drivers/v1' || firstDay === undefined || typeof j.store !== 'string' || !Array.isArray(j.columns) || !Array.isArray(j.storeValues) || !Array.isArray(j.labels) || typeof j.items !== 'object') {
    throw new Error('invalid store drivers: expected the JSON written by storeDriversToJson (schema foreact.drivers/v1)');
  }
  const length = j.storeValues[0]?.length ?? 0;
  if (j.storeValues.length !== j.columns.length || j.storeValues.some((v) => v.length !== length)) throw new Error('invalid store drivers: one value array of the same length per column expected');
  const items = new Map<string, (Float64Array | undefined)[]>();
  for (const [item, columns] of Object.entries(j.items ?? {})) items.set(item, columns.map((values) => (values === null ? undefined : fromJsonValues(values))));
  return { store: j.store, firstDay, lastDay: firstDay + length - 1, columns: j.columns, labels: j.labels, storeValues: j.storeValues.map(fromJsonValues), items };
}

/** The days [fromDay, toDay] of a store's drivers (e.g. to keep a bounded history beside the future). */
export function sliceStoreDrivers(drivers: StoreDrivers, fromDay: EpochDay, toDay: EpochDay): StoreDrivers {
  const length = Math.max(0, toDay - fromDay + 1);
  const cut = (values: Float64Array): Float64Array => {
    const out = new Float64Array(length).fill(Number.NaN);
    for (let i = 0; i < length; i++) {
      const source = fromDay + i - drivers.firstDay;
      if (source >= 0 && source < values.length) out[i] = values[source]!;
    }
    return out;
  };
  const items = new Map<string, (Float64Array | undefined)[]>();
  for (const [item, columns] of drivers.items) items.set(item, columns.map((values) => (values === undefined ? undefined : cut(values))));
  return { ...drivers, firstDay: fromDay, lastDay: fromDay + length - 1, storeValues: drivers.storeValues.map(cut), items };
}

/**
 * A store's drivers updated by a newer upload: every value the update gives replaces the stored one (a new
 * promotion calendar for next month), everything else is kept. Columns are matched by name; a column that
 * changed kind (numbers ↔ text) takes the update's.
 */
export function overlayStoreDrivers(base: StoreDrivers, update: StoreDrivers): StoreDrivers {
  const firstDay = Math.min(base.firstDay, update.firstDay);
  const lastDay = Math.max(base.lastDay, update.lastDay);
  const length = lastDay - firstDay + 1;
  const columns: DriverColumn[] = base.columns.filter((c) => !update.columns.some((u) => u.name === c.name && u.kind !== c.kind));
  for (const column of update.columns) if (!columns.some((c) => c.name === column.name)) columns.push(column);
  // The stored labels keep their codes, so overlaying an upload that changes nothing gives back the same drivers.
  const labels = columns.map((column) => [...(base.labels[base.columns.findIndex((c) => c.name === column.name && c.kind === column.kind)] ?? [])]);
  const codes = labels.map((list) => new Map(list.map((label, code) => [label, code])));
  const labelCode = (c: number, label: string): number => {
    let code = codes[c]!.get(label);
    if (code === undefined) {
      code = labels[c]!.length;
      labels[c]!.push(label);
      codes[c]!.set(label, code);
    }
    return code;
  };
  const copyInto = (target: Float64Array, source: Float64Array | undefined, from: StoreDrivers, sourceColumn: number, c: number): void => {
    if (source === undefined) return;
    const categorical = columns[c]!.kind === 'categorical';
    for (let i = 0; i < source.length; i++) {
      const v = source[i]!;
      if (v !== v) continue;
      target[from.firstDay + i - firstDay] = categorical && v >= 0 ? labelCode(c, from.labels[sourceColumn]![v]!) : v;
    }
  };
  const layer = (pick: (from: StoreDrivers, sourceColumn: number) => Float64Array | undefined, c: number): Float64Array | undefined => {
    let out: Float64Array | undefined;
    for (const from of [base, update]) {
      const sourceColumn = from.columns.findIndex((col) => col.name === columns[c]!.name && col.kind === columns[c]!.kind);
      if (sourceColumn < 0) continue;
      const source = pick(from, sourceColumn);
      if (source === undefined) continue;
      out ??= new Float64Array(length).fill(Number.NaN);
      copyInto(out, source, from, sourceColumn, c);
    }
    return out;
  };
  const storeValues = columns.map((_, c) => layer((from, sc) => from.storeValues[sc], c) ?? new Float64Array(length).fill(Number.NaN));
  const items = new Map<string, (Float64Array | undefined)[]>();
  for (const item of new Set([...base.items.keys(), ...update.items.keys()])) items.set(item, columns.map((_, c) => layer((from, sc) => from.items.get(item)?.[sc], c)));
  return { store: update.store, firstDay, lastDay, columns, labels, storeValues, items };
}
