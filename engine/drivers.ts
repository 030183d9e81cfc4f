import { csvFields, DEFAULT_MAX_SERIES, DEFAULT_MAX_STORES, DEFAULT_MAX_VALUE, DistinctCounter, ErrorList, NUMBER_PATTERN, numberProblem, truncate, readLines, type ByteSource, type ReadLimits } from './csv.js';
import { formatIsoDay, parseIsoDay, type EpochDay } from './dates.js';
import type { RowError } from './history.js';

/**
 * Drivers: what a planner knows in advance (promotions, prices, events, holidays, closures), as CSV with a
 * `date` column, optional `store` and `item` columns (absent or empty = every store / item) and any number of
 * driver columns. A column whose values are numbers is a numeric driver; any other column is categorical
 * (an event or holiday name, empty = none). `open` is reserved: 0 = nothing sells that day.
 */
export type DriverKind = 'numeric' | 'categorical';

/**
 * How a driver's changes count: 'log' for a price (a ratio: 10 % off is 10 % off at any price), 'linear'
 * otherwise. A price is also never a day's event or promotion to show a planner.
 */
export type DriverScale = 'log' | 'linear';

export interface DriverColumn {
  name: string;
  kind: DriverKind;
  /** Decided once, from the column's name, when the column is read (`driverColumn`). */
  scale: DriverScale;
}

const PRICE_NAME = /price|prix|preis|prezzo|precio/i;

/** A column as the reader classifies it: the one place a price is told apart by its name. */
export function driverColumn(name: string, kind: DriverKind): DriverColumn {
  return { name, kind, scale: PRICE_NAME.test(name) ? 'log' : 'linear' };
}

export const OPEN_COLUMN = 'open';

/**
 * The drivers of one scope, dense by day: `store`/`item` are '' when the rows apply to every store / item.
 * Index i of every array is day `firstDay + i`; the arrays run from the scope's first row's day to its last's.
 */
export interface DriverScope {
  store: string;
  item: string;
  firstDay: EpochDay;
  /** The line of the row that gave each day, for naming conflicts; 0 = no row for that day. */
  lines: Int32Array;
  /**
   * column name → value per day: a number, or for a categorical column a code into the table's `labels` of
   * that column (-1 = an empty cell: no event that day); NaN = not given.
   */
  values: Map<string, Float64Array>;
}

export interface DriverTable {
  /** Where each column came from (a file name), for error messages. */
  sources: Map<string, string>;
  columns: DriverColumn[];
  /** Categorical column name → its labels (what the codes in the scopes' values stand for). */
  labels: Map<string, string[]>;
  scopes: Map<string, DriverScope>;
}

export interface ReadDriversResult {
  table: DriverTable;
  /** Row errors in line order: the first `maxErrors` found (all by default). */
  errors: RowError[];
  /** Every row error, listed or not. */
  errorCount: number;
  rows: number;
  /** Set when the file could not be read to its end (a reading limit or a cap): nothing of it applies. */
  stopped?: RowError;
}

const BOOLEAN_VALUES = new Map([['true', 1], ['false', 0], ['yes', 1], ['no', 0], ['y', 1], ['n', 0]]);
/** A column is numeric when nearly all its non-empty cells are numbers; the rest are then bad rows. */
const NUMERIC_SHARE = 0.9;

function scopeKey(store: string, item: string): string {
  return `${store}\u0000${item}`;
}

export function emptyDriverTable(): DriverTable {
  return { sources: new Map(), columns: [], labels: new Map(), scopes: new Map() };
}

/** One distinct cell text of a column, shared by every row that has it (so rows keep no strings of their own). */
interface Cell {
  text: string;
  count: number;
  /** Set once the column's kind is known: a number, a label code (-1 = empty cell), or NaN (a bad cell). */
  value: number;
  /** Why the cell is refused in a numeric column. */
  problem?: string | undefined;
}

/** A scope while its file is read: each column holds, per day, the id of the cell's text (0 = no row). */
interface Building {
  store: string;
  item: string;
  start: EpochDay;
  lines: Int32Array;
  cells: Int32Array[];
  firstRowDay: EpochDay;
  lastRowDay: EpochDay;
}

function grow(b: Building, day: EpochDay): void {
  const length = b.lines.length;
  const from = Math.min(b.start, day);
  const to = Math.max(b.start + length - 1, day);
  const size = Math.max(to - from + 1, 2 * length);
  // Toward the side the new day is on, with room for more days in that direction.
  const start = day < b.start ? to - size + 1 : from;
  const lines = new Int32Array(size);
  lines.set(b.lines, b.start - start);
  b.lines = lines;
  b.cells = b.cells.map((old) => {
    const cells = new Int32Array(size);
    cells.set(old, b.start - start);
    return cells;
  });
  b.start = start;
}

/**
 * Reads one drivers file (plain or gzip, by magic bytes) from byte chunks, streaming: each row goes straight
 * into its scope's day arrays, and a cell's text is kept once per distinct value of its column, never per row.
 * A column's kind (numeric or text) is decided at the end, from all its cells. Every bad row is reported with
 * its line number: bad dates, bad numbers in a numeric column (not finite, or above `maxValue`, naming the
 * column), `open` other than 0/1, wrong field count and duplicate date/store/item keys. Past `maxSeries`
 * distinct scopes or `maxStores` stores, or a reading limit, the read stops (`stopped`: nothing of the file
 * should be applied). The table is only meaningful when there are no errors. `source` names the file.
 */
export async function readDrivers(input: ByteSource, source = 'drivers', limits: ReadLimits = {}): Promise<ReadDriversResult> {
  // Only the first `maxErrors` are kept (the rest counted): a file of bad rows cannot grow the list without bound.
  const errors = new ErrorList(limits.maxErrors);
  const maxValue = limits.maxValue ?? DEFAULT_MAX_VALUE;
  const distinct = new DistinctCounter(limits.maxSeries ?? DEFAULT_MAX_SERIES, limits.maxStores ?? DEFAULT_MAX_STORES, 'scopes');
  let header: string[] | undefined;
  let dateIndex = -1;
  let storeIndex = -1;
  let itemIndex = -1;
  let driverIndexes: number[] = [];
  /** Per column: text → cell id (1-based), and the cells by id. */
  let ids: Map<string, number>[] = [];
  let cellsById: Cell[][] = [];
  const building = new Map<string, Building>();
  let last: Building | undefined;
  let rows = 0;
  let headerBroken = false;

  const onLine = (raw: string, lineNumber: number): void => {
    if (headerBroken || raw.trim().length === 0) return;
    const parsed = csvFields(raw);
    if ('problem' in parsed) {
      errors.push({ line: lineNumber, reason: parsed.problem });
      // An unreadable header cannot be trusted to name the columns; an open quote there is reported alone.
      if (header === undefined && parsed.unreadable) headerBroken = true;
      return;
    }
    const fields = parsed.fields;
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
      ids = driverIndexes.map(() => new Map<string, number>());
      cellsById = driverIndexes.map(() => [{ text: '', count: 0, value: Number.NaN }]);
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
    rows++;
    const store = storeIndex >= 0 ? fields[storeIndex]!.trim() : '';
    const item = itemIndex >= 0 ? fields[itemIndex]!.trim() : '';
    let target = last;
    if (target === undefined || target.store !== store || target.item !== item) {
      const key = scopeKey(store, item);
      target = building.get(key);
      if (target === undefined) {
        distinct.add(store, item, lineNumber);
        target = { store, item, start: day, lines: new Int32Array(16), cells: driverIndexes.map(() => new Int32Array(16)), firstRowDay: day, lastRowDay: day };
        building.set(key, target);
      }
      last = target;
    }
    if (day < target.start || day >= target.start + target.lines.length) grow(target, day);
    const i = day - target.start;
    const first = target.lines[i]!;
    if (first !== 0) {
      errors.push({ line: lineNumber, reason: `duplicate row for ${describeKey(day, store, item)} (first seen on line ${first})` });
      return;
    }
    target.lines[i] = lineNumber;
    if (day < target.firstRowDay) target.firstRowDay = day;
    if (day > target.lastRowDay) target.lastRowDay = day;
    for (let c = 0; c < driverIndexes.length; c++) {
      const text = fields[driverIndexes[c]!]!.trim();
      const known = ids[c]!;
      let id = known.get(text);
      if (id === undefined) {
        id = cellsById[c]!.length;
        known.set(text, id);
        cellsById[c]!.push({ text, count: 0, value: Number.NaN });
      }
      cellsById[c]![id]!.count++;
      target.cells[c]![i] = id;
    }
  };

  const stopped = await readLines(input, limits, onLine);

  const table = emptyDriverTable();
  const result = (rowCount: number): ReadDriversResult => ({ table, errors: errors.errors.sort((a, b) => a.line - b.line), errorCount: errors.count, rows: rowCount });
  if (stopped !== undefined) return { table, errors: [...errors.errors.filter((e) => e.line < stopped.line), stopped], errorCount: errors.count + 1, rows: 0, stopped };
  if (header === undefined) {
    errors.push({ line: 1, reason: 'the file is empty: expected a header line "date[,store][,item],<driver>..."' });
    return result(0);
  }
  if (headerBroken) return result(0);
  if (rows === 0 && errors.count === 0) errors.push({ line: 2, reason: 'the file has a header but no data rows' });

  driverIndexes.forEach((index, c) => {
    const name = header![index]!;
    const cells = cellsById[c]!;
    const reserved = name.toLowerCase() === OPEN_COLUMN;
    let filled = 0;
    let numeric = 0;
    let boolean = 0;
    let flagsOnly = true;
    for (let id = 1; id < cells.length; id++) {
      const cell = cells[id]!;
      if (cell.text.length === 0) continue;
      filled += cell.count;
      const isWord = BOOLEAN_VALUES.has(cell.text.toLowerCase());
      if (NUMBER_PATTERN.test(cell.text)) numeric += cell.count;
      else if (isWord) boolean += cell.count;
      if (!isWord && cell.text !== '0' && cell.text !== '1') flagsOnly = false;
    }
    // A yes/no flag written as words is a promotion flag, not an event named "false" on every other day.
    const isBoolean = !reserved && filled > 0 && boolean > 0 && boolean + numeric === filled && flagsOnly;
    const isNumeric = reserved || isBoolean || (filled > 0 && numeric >= NUMERIC_SHARE * filled);
    const column = reserved ? OPEN_COLUMN : name;
    table.columns.push(driverColumn(column, isNumeric ? 'numeric' : 'categorical'));
    table.sources.set(column, source);
    const labels: string[] = [];
    if (!isNumeric) table.labels.set(column, labels);
    for (let id = 1; id < cells.length; id++) {
      const cell = cells[id]!;
      if (!isNumeric) cell.value = cell.text.length === 0 ? -1 : labels.push(cell.text) - 1;
      else if (cell.text.length === 0) cell.value = Number.NaN;
      else if (isBoolean) cell.value = BOOLEAN_VALUES.get(cell.text.toLowerCase()) ?? Number(cell.text);
      else if (!NUMBER_PATTERN.test(cell.text)) cell.problem = `${name} "${truncate(cell.text)}" is not a number (the column is numeric)`;
      else {
        const value = Number(cell.text);
        cell.problem = reserved && value !== 0 && value !== 1 ? `open must be 0 or 1, got "${truncate(cell.text)}"` : numberProblem(name, cell.text, value, maxValue);
        if (cell.problem === undefined) cell.value = value;
      }
    }
  });

  for (const [key, b] of building) {
    // Trimmed to the days with rows: growth left room on either side.
    const offset = b.firstRowDay - b.start;
    const length = b.lastRowDay - b.firstRowDay + 1;
    const lines = b.lines.slice(offset, offset + length);
    const scope: DriverScope = { store: b.store, item: b.item, firstDay: b.firstRowDay, lines, values: new Map() };
    table.columns.forEach((column, c) => {
      const cells = cellsById[c]!;
      const idsByDay = b.cells[c]!;
      let values: Float64Array | undefined;
      for (let i = 0; i < length; i++) {
        const id = idsByDay[offset + i]!;
        if (id === 0) continue;
        const cell = cells[id]!;
        if (cell.problem !== undefined) errors.push({ line: lines[i]!, reason: cell.problem });
        if (cell.value !== cell.value) continue;
        values ??= new Float64Array(length).fill(Number.NaN);
        values[i] = cell.value;
      }
      if (values !== undefined) scope.values.set(column.name, values);
    });
    b.cells = [];
    table.scopes.set(key, scope);
  }
  return result(rows);
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
  if (tables.length === 1) return { table: tables[0]!.table, errors: [] };
  const merged = emptyDriverTable();
  const errors: MergeError[] = [];
  const codes = new Map<string, Map<string, number>>();
  const labelCode = (column: string, label: string): number => {
    let byLabel = codes.get(column);
    if (byLabel === undefined) codes.set(column, (byLabel = new Map<string, number>()));
    let code = byLabel.get(label);
    if (code === undefined) {
      let labels = merged.labels.get(column);
      if (labels === undefined) merged.labels.set(column, (labels = []));
      code = labels.push(label) - 1;
      byLabel.set(label, code);
    }
    return code;
  };
  for (const { table, source } of tables) {
    for (const column of table.columns) {
      const existing = merged.columns.find((c) => c.name === column.name);
      if (existing === undefined) {
        merged.columns.push(column);
        merged.sources.set(column.name, source);
        if (column.kind === 'categorical') merged.labels.set(column.name, []);
      } else if (existing.kind !== column.kind) {
        errors.push({ source, line: 1, reason: `column ${column.name} is ${column.kind === 'numeric' ? 'numeric' : 'text'} here but ${existing.kind === 'numeric' ? 'numeric' : 'text'} in ${merged.sources.get(column.name)}` });
      }
    }
    for (const [key, scope] of table.scopes) {
      const before = merged.scopes.get(key);
      const firstDay = Math.min(before?.firstDay ?? Infinity, scope.firstDay);
      const lastDay = Math.max(before === undefined ? -Infinity : before.firstDay + before.lines.length - 1, scope.firstDay + scope.lines.length - 1);
      const length = lastDay - firstDay + 1;
      const widen = (values: Int32Array | Float64Array, from: EpochDay, fill: number): Float64Array | Int32Array => {
        const out = values instanceof Int32Array ? new Int32Array(length) : new Float64Array(length).fill(fill);
        out.set(values, from - firstDay);
        return out;
      };
      const target: DriverScope =
        before === undefined ? { store: scope.store, item: scope.item, firstDay, lines: new Int32Array(length), values: new Map() }
        : { ...before, firstDay, lines: widen(before.lines, before.firstDay, 0) as Int32Array, values: new Map([...before.values].map(([name, v]) => [name, widen(v, before.firstDay, Number.NaN) as Float64Array])) };
      merged.scopes.set(key, target);
      const shift = scope.firstDay - firstDay;
      for (const [name, values] of scope.values) {
        const kind = table.columns.find((c) => c.name === name)?.kind;
        const labels = table.labels.get(name);
        let into = target.values.get(name);
        const otherSource = merged.sources.get(name);
        for (let i = 0; i < values.length; i++) {
          const v = values[i]!;
          if (v !== v) continue;
          if (into !== undefined && into[shift + i] === into[shift + i]) {
            errors.push({ source, line: scope.lines[i] ?? 0, reason: `column ${name} for ${describeKey(scope.firstDay + i, scope.store, scope.item)} is also given by ${otherSource} (line ${target.lines[shift + i] || '?'})` });
            continue;
          }
          if (into === undefined) target.values.set(name, (into = new Float64Array(length).fill(Number.NaN)));
          into[shift + i] = kind === 'categorical' && v >= 0 && labels !== undefined ? labelCode(name, labels[v]!) : v;
        }
      }
      for (let i = 0; i < scope.lines.length; i++) if (scope.lines[i] !== 0 && target.lines[shift + i] === 0) target.lines[shift + i] = scope.lines[i]!;
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

/** The table's scopes by store ('' = every store), built once per table: a chain has thousands of stores. */
const scopesByStore = new WeakMap<DriverTable, Map<string, DriverScope[]>>();

function storeIndex(table: DriverTable): Map<string, DriverScope[]> {
  let index = scopesByStore.get(table);
  if (index === undefined) {
    index = new Map();
    for (const scope of table.scopes.values()) {
      const list = index.get(scope.store);
      if (list === undefined) index.set(scope.store, [scope]);
      else list.push(scope);
    }
    scopesByStore.set(table, index);
  }
  return index;
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
  const index = storeIndex(table);
  // Rows for the item in every store come first so that the store's own rows for the item override them.
  for (const scope of [...(index.get('') ?? []), ...(store === '' ? [] : (index.get(store) ?? []))]) {
    if (scope.item === '') continue;
    if (wanted !== undefined && !wanted.has(scope.item)) continue;
    const list = itemLevel.get(scope.item);
    if (list === undefined) itemLevel.set(scope.item, [scope]);
    else list.push(scope);
  }
  const scopes = [...storeLevel, ...[...itemLevel.values()].flat()];
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const scope of scopes) {
    if (scope.lines.length === 0) continue;
    firstDay = Math.min(firstDay, scope.firstDay);
    lastDay = Math.max(lastDay, scope.firstDay + scope.lines.length - 1);
  }
  if (!Number.isFinite(firstDay)) return undefined;
  const length = lastDay - firstDay + 1;
  const columns = table.columns;
  const labels: string[][] = columns.map(() => []);
  const codes = columns.map(() => new Map<number, number>());
  // The store's own codes, in the order its days first use them (as a planner reads its calendar).
  const encode = (c: number, code: number): number => {
    if (code < 0) return -1;
    let own = codes[c]!.get(code);
    if (own === undefined) {
      own = labels[c]!.length;
      labels[c]!.push(table.labels.get(columns[c]!.name)![code]!);
      codes[c]!.set(code, own);
    }
    return own;
  };
  const fill = (target: Float64Array, scope: DriverScope, c: number): void => {
    const values = scope.values.get(columns[c]!.name);
    if (values === undefined) return;
    const categorical = columns[c]!.kind === 'categorical';
    const shift = scope.firstDay - firstDay;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) continue;
      target[shift + i] = categorical ? encode(c, v) : v;
    }
  };
  const storeValues = columns.map((_, c) => {
    const values = new Float64Array(length).fill(Number.NaN);
    for (const scope of storeLevel) fill(values, scope, c);
    return values;
  });
  const itemValues = new Map<string, (Float64Array | undefined)[]>();
  for (const [item, list] of itemLevel) {
    itemValues.set(
      item,
      columns.map((column, c) => {
        let values: Float64Array | undefined;
        for (const scope of list) {
          if (!scope.values.has(column.name)) continue;
          values ??= new Float64Array(length).fill(Number.NaN);
          fill(values, scope, c);
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

/** `StoreDrivers` as plain JSON (for storage): ISO first day, `null` for "not given". */
export interface StoreDriversJson {
  schema: 'foreact.drivers/v1';
  store: string;
  firstDay: string;
  /** `scale` is absent in JSON written before columns were classified when read: it is derived from the name then. */
  columns: (Omit<DriverColumn, 'scale'> & { scale?: DriverScale })[];
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
  const columns = j.columns.map((c) => (c.scale === 'log' || c.scale === 'linear' ? { name: c.name, kind: c.kind, scale: c.scale } : driverColumn(c.name, c.kind)));
  return { store: j.store, firstDay, lastDay: firstDay + length - 1, columns, labels: j.labels, storeValues: j.storeValues.map(fromJsonValues), items };
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
