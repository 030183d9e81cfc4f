import { csvFields, DEFAULT_MAX_STORES, DEFAULT_MAX_VALUE, ErrorList, InputLimitError, NUMBER_PATTERN, numberProblem, truncate, readLines, type ByteSource, type ReadLimits } from './csv.js';
import { parseIsoDay, type EpochDay } from './dates.js';
import type { RowError } from './history.js';

/**
 * Store attributes: what planners know about each store (size, type, assortment, region, opening date, since
 * when a competitor is there), as CSV with a `store` column and any attribute columns, one row per store.
 * They are meant for pooling across stores and for starting a new store from similar ones (issue 19); today
 * they are read, validated and reported, and no model uses them.
 */
export type StoreAttributeKind = 'numeric' | 'date' | 'text';

export interface StoreAttributeColumn {
  name: string;
  kind: StoreAttributeKind;
}

/**
 * One value per column, in the table's column order: a number (numeric), an epoch day (date), a string
 * (text), or null when the cell was empty (unknown). Plain data, so it travels to training threads as is.
 */
export type StoreAttributeValue = number | string | null;

/** One store's attributes, as training receives them. */
export interface StoreAttributeValues {
  columns: StoreAttributeColumn[];
  values: StoreAttributeValue[];
}

export interface StoreAttributeTable {
  columns: StoreAttributeColumn[];
  /** store id → its values (aligned with `columns`) and the line its row was on. */
  stores: Map<string, { line: number; values: StoreAttributeValue[] }>;
}

export interface ReadStoreAttributesOptions extends ReadLimits {
  /**
   * Why a store id is refused, or undefined. Default: the rule of the sales reader the id must match
   * (`readSalesHistory`: any non-empty id), so every store a sales file can name can have attributes. The app
   * passes its stricter id alphabet (core/domain/ids.ts `idProblem`).
   */
  storeIdProblem?: (store: string) => string | undefined;
  /**
   * Whether text values and column names must be in `ATTRIBUTE_LABEL_PATTERN` (default true: what may reach a
   * dashboard or a spreadsheet export). The batch CLI passes false, as its drivers reader checks no labels:
   * its attributes are never written out, and real store files carry values such as "Jan,Apr,Jul,Oct".
   */
  checkLabels?: boolean;
}

export interface ReadStoreAttributesResult {
  table: StoreAttributeTable;
  /** Row errors in line order: the first `maxErrors` found (all by default). */
  errors: RowError[];
  errorCount: number;
  rows: number;
  /** Set when the file could not be read to its end (a reading limit): nothing of it applies. */
  stopped?: RowError;
}

/**
 * The alphabet of text attribute values and of column names: the same as driver labels
 * (core/domain/drivers-ingestion.ts `LABEL_PATTERN`; tests/engine/store-attributes.test.ts keeps them equal —
 * the engine may not import the app). Letters and digits of any script, then also spaces and
 * ' ( ) + - . & / : % ! _; starting with a letter or digit, no value can start a spreadsheet formula.
 */
export const ATTRIBUTE_LABEL_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}\p{M} '’()+\-.&/:%!_]{0,99}$/u;

export const STORE_COLUMN = 'store';

/** Looks like a date: a column of these is a date column, and one that is not a real day is a bad row. */
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

function labelProblem(what: string, label: string): string | undefined {
  if (ATTRIBUTE_LABEL_PATTERN.test(label)) return undefined;
  return `${what} "${truncate(label)}" is invalid: use up to 100 letters, digits, spaces and ' ( ) + - . & / : % ! _, starting with a letter or digit`;
}

/**
 * Reads a store attributes file (plain or gzip, by magic bytes), streaming. Each attribute column is
 * classified once, from all its non-empty cells: numeric when every one is a number (each then finite and
 * within `maxValue`), date when every one is shaped YYYY-MM-DD (each then a real day), else text (each value
 * in the label alphabet unless `checkLabels` is false). Every bad row is reported with its line, naming the column: a missing `store`
 * column, duplicate or empty column names, an empty or refused store id, a second row for a store, a wrong
 * number of fields, bytes that are not UTF-8, NULs, a CR inside a line. Past `maxStores` rows or a reading
 * limit the read stops (`stopped`). Empty cells are unknown values. The table is only meaningful without errors.
 */
export async function readStoreAttributes(input: ByteSource, options: ReadStoreAttributesOptions = {}): Promise<ReadStoreAttributesResult> {
  const errors = new ErrorList(options.maxErrors);
  const maxValue = options.maxValue ?? DEFAULT_MAX_VALUE;
  const maxStores = options.maxStores ?? DEFAULT_MAX_STORES;
  const idProblem = options.storeIdProblem ?? ((): undefined => undefined);
  const checkLabels = options.checkLabels ?? true;
  let header: string[] | undefined;
  let storeIndex = -1;
  let attributeIndexes: number[] = [];
  let headerBroken = false;
  /** Rows as read: store, line and the trimmed text of each attribute cell. */
  const rows: { store: string; line: number; cells: string[] }[] = [];
  const firstLine = new Map<string, number>();

  const onLine = (raw: string, lineNumber: number): void => {
    if (headerBroken || raw.trim().length === 0) return;
    const parsed = csvFields(raw);
    if ('problem' in parsed) {
      errors.push({ line: lineNumber, reason: parsed.problem });
      if (header === undefined) headerBroken = true;
      return;
    }
    const fields = parsed.fields;
    if (header === undefined) {
      header = fields.map((f) => f.trim());
      const lower = header.map((h) => h.toLowerCase());
      storeIndex = lower.indexOf(STORE_COLUMN);
      attributeIndexes = lower.map((_, i) => i).filter((i) => i !== storeIndex);
      const seen = new Set<string>();
      const duplicated = lower.filter((h) => (seen.has(h) ? true : (seen.add(h), false)));
      const badName = checkLabels ? attributeIndexes.map((i) => header![i]!).find((name) => name.length > 0 && labelProblem('column name', name) !== undefined) : undefined;
      const problem =
        storeIndex < 0 ? `header has no "store" column: expected "store,<attribute>...", got "${truncate(fields.join(','))}"`
        : duplicated.length > 0 ? `header names column(s) ${[...new Set(duplicated)].map((d) => truncate(d)).join(', ')} twice`
        : header.some((h) => h.length === 0) ? 'header has an empty column name'
        : attributeIndexes.length === 0 ? 'header has no attribute column besides store'
        : badName !== undefined ? labelProblem('column name', badName)
        : undefined;
      if (problem !== undefined) {
        errors.push({ line: lineNumber, reason: problem });
        headerBroken = true;
      }
      return;
    }
    if (fields.length !== header.length) {
      errors.push({ line: lineNumber, reason: `expected ${header.length} fields, found ${fields.length}` });
      return;
    }
    const store = fields[storeIndex]!.trim();
    if (store.length === 0) {
      errors.push({ line: lineNumber, reason: 'store is empty' });
      return;
    }
    const refused = idProblem(store);
    if (refused !== undefined) {
      errors.push({ line: lineNumber, reason: refused });
      return;
    }
    const first = firstLine.get(store);
    if (first !== undefined) {
      errors.push({ line: lineNumber, reason: `duplicate row for store ${truncate(store)} (first seen on line ${first})` });
      return;
    }
    // A store's row holds a few cells; the cap bounds what the file can make the reader keep.
    if (firstLine.size >= maxStores) throw new InputLimitError(lineNumber, `the file names more than ${maxStores} stores (the cap per file): split it, or raise the cap; nothing applied`);
    firstLine.set(store, lineNumber);
    rows.push({ store, line: lineNumber, cells: attributeIndexes.map((i) => fields[i]!.trim()) });
  };

  const stopped = await readLines(input, options, onLine);

  const table: StoreAttributeTable = { columns: [], stores: new Map() };
  const result = (count: number): ReadStoreAttributesResult => ({ table, errors: errors.errors.sort((a, b) => a.line - b.line), errorCount: errors.count, rows: count });
  if (stopped !== undefined) return { table, errors: [...errors.errors.filter((e) => e.line < stopped.line), stopped], errorCount: errors.count + 1, rows: 0, stopped };
  if (header === undefined) {
    errors.push({ line: 1, reason: 'the file is empty: expected a header line "store,<attribute>..."' });
    return result(0);
  }
  if (headerBroken) return result(0);
  if (rows.length === 0 && errors.count === 0) errors.push({ line: 2, reason: 'the file has a header but no data rows' });

  table.columns = attributeIndexes.map((index, c) => {
    const texts = rows.map((r) => r.cells[c]!).filter((t) => t.length > 0);
    const kind: StoreAttributeKind =
      texts.length > 0 && texts.every((t) => NUMBER_PATTERN.test(t)) ? 'numeric'
      : texts.length > 0 && texts.every((t) => DATE_SHAPE.test(t)) ? 'date'
      : 'text';
    return { name: header![index]!, kind };
  });
  for (const row of rows) {
    const values = table.columns.map((column, c): StoreAttributeValue => {
      const text = row.cells[c]!;
      if (text.length === 0) return null;
      let problem: string | undefined;
      let value: StoreAttributeValue = null;
      if (column.kind === 'numeric') {
        value = Number(text);
        problem = numberProblem(column.name, text, value, maxValue);
      } else if (column.kind === 'date') {
        const day: EpochDay | undefined = parseIsoDay(text);
        if (day === undefined) problem = `${column.name} "${truncate(text)}" is not a real day (the column holds ISO dates, YYYY-MM-DD)`;
        else value = day;
      } else {
        problem = checkLabels ? labelProblem(column.name, text) : undefined;
        value = text;
      }
      if (problem !== undefined) errors.push({ line: row.line, reason: problem });
      return problem === undefined ? value : null;
    });
    table.stores.set(row.store, { line: row.line, values });
  }
  return result(rows.length);
}

/**
 * Columns of the store file that are logistics (a truck's capacity, the store's receiving limit, in pallets):
 * they say how goods reach the store, not how much it sells, so they are never features (matched case-insensitively).
 */
export const LOGISTICS_COLUMNS: readonly string[] = ['truck_pallets', 'receiving_limit_pallets'];

/** One store's attributes for training (logistics columns left out), or undefined when the file has no row for it or nothing else. */
export function attributesForStore(table: StoreAttributeTable, store: string): StoreAttributeValues | undefined {
  const row = table.stores.get(store);
  if (row === undefined) return undefined;
  const kept = table.columns.flatMap((c, i) => (LOGISTICS_COLUMNS.includes(c.name.toLowerCase()) ? [] : [i]));
  if (kept.length === table.columns.length) return { columns: table.columns, values: row.values };
  return kept.length === 0 ? undefined : { columns: kept.map((i) => table.columns[i]!), values: kept.map((i) => row.values[i]!) };
}

/**
 * "3 columns (size: numeric, type: text, opened: date) for 10 of 10 stores": what was read, and how many of
 * the stores in the sales have a row (stores only in the attributes file are not counted, nor errors).
 */
export function describeStoreAttributes(table: StoreAttributeTable, salesStores: readonly string[]): string {
  const covered = salesStores.filter((s) => table.stores.has(s)).length;
  const columns = table.columns.map((c) => `${c.name}: ${c.kind}`).join(', ');
  return `${table.columns.length} column${table.columns.length === 1 ? '' : 's'} (${columns}) for ${covered} of ${salesStores.length} store${salesStores.length === 1 ? '' : 's'}`;
}
