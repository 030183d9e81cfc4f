import { LOGISTICS_COLUMNS, readStoreAttributes, type RowError, type StoreAttributeColumn, type StoreAttributeTable, type StoreAttributeValue } from '../../engine/index.js';
import type { Clock, StoragePorts, UploadSource } from '../ports/index.js';
import { labelProblem } from './drivers-ingestion.js';
import { idProblem } from './ids.js';
import { buffers, duplicateResult, hashWhileReading, ingestRules, recordWholeUpload, rejectedReport, type IngestResult, type IngestRules } from './ingestion.js';

/** Uploads under this prefix of `uploads/` are store attributes files (`store,<attribute>…`). */
export const STORE_ATTRIBUTES_UPLOAD_PREFIX = 'stores/';

export function isStoreAttributesUpload(name: string): boolean {
  return name.startsWith(STORE_ATTRIBUTES_UPLOAD_PREFIX);
}

export const STORE_ATTRIBUTES_SCHEMA = 'foreact.store-attributes/v1';

/** The stored form: the engine's table without its line numbers, stores as an object of value rows. */
export interface StoreAttributesJson {
  schema: typeof STORE_ATTRIBUTES_SCHEMA;
  columns: StoreAttributeColumn[];
  stores: Record<string, StoreAttributeValue[]>;
}

export function storeAttributesToJson(table: StoreAttributeTable): StoreAttributesJson {
  const stores: Record<string, StoreAttributeValue[]> = {};
  for (const [store, row] of [...table.stores].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) stores[store] = row.values;
  return { schema: STORE_ATTRIBUTES_SCHEMA, columns: table.columns.map((c) => ({ name: c.name, kind: c.kind })), stores };
}

const KINDS: ReadonlySet<string> = new Set(['numeric', 'date', 'text']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The stored table back, checked as strictly as an upload is read: the blob is one a deployment, a script or
 * an attacker with storage rights may have written, and its values go to every store's training. Throws an
 * Error naming the first bad field.
 */
export function storeAttributesFromJson(json: unknown): StoreAttributeTable {
  const fail = (field: string, problem: string): never => {
    throw new Error(`invalid store attributes: ${field} ${problem}`);
  };
  if (!isRecord(json)) return fail('(document)', 'is not a JSON object');
  if (json.schema !== STORE_ATTRIBUTES_SCHEMA) fail('schema', `must be "${STORE_ATTRIBUTES_SCHEMA}"`);
  if (!Array.isArray(json.columns) || json.columns.length === 0) fail('columns', 'must be a non-empty array');
  const columns = (json.columns as unknown[]).map((c, i): StoreAttributeColumn => {
    if (!isRecord(c) || typeof c.name !== 'string' || typeof c.kind !== 'string') return fail(`columns[${i}]`, 'must be { name, kind }');
    const problem = labelProblem('column name', c.name);
    if (problem !== undefined) fail(`columns[${i}].name`, problem);
    if (!KINDS.has(c.kind)) fail(`columns[${i}].kind`, 'must be numeric, date or text');
    return { name: c.name, kind: c.kind as StoreAttributeColumn['kind'] };
  });
  if (new Set(columns.map((c) => c.name.toLowerCase())).size !== columns.length) fail('columns', 'name a column twice');
  if (!isRecord(json.stores)) return fail('stores', 'must be an object');
  const stores: StoreAttributeTable['stores'] = new Map();
  for (const [store, values] of Object.entries(json.stores)) {
    const field = `stores[${JSON.stringify(store.slice(0, 60))}]`;
    const refused = idProblem('store', store);
    if (refused !== undefined) fail(field, refused);
    if (!Array.isArray(values) || values.length !== columns.length) fail(field, `must be an array of ${columns.length} values`);
    (values as unknown[]).forEach((value, c) => {
      if (value === null) return;
      const column = columns[c]!;
      const ok = column.kind === 'numeric' ? typeof value === 'number' && Number.isFinite(value) : column.kind === 'date' ? Number.isInteger(value) : typeof value === 'string' && labelProblem(column.name, value) === undefined;
      if (!ok) fail(`${field}[${c}]`, `is not a valid ${column.kind} value for ${column.name}`);
    });
    stores.set(store, { line: 0, values: values as StoreAttributeValue[] });
  }
  return { columns, stores };
}

export interface StoreAttributesIngestOptions {
  clock: Clock;
  rules?: Partial<IngestRules>;
}

/**
 * Ingests one store attributes file (`store,<attribute>…`, one row per store). Like drivers it is applied
 * whole or not at all, every bad line named in the rejected-rows report; an accepted file replaces the stored
 * table (the file is the chain's list of stores, so a store it no longer names loses its attributes). Store ids
 * must be ones the API can address, and text values and column names are in the label alphabet (they may reach
 * a dashboard or a spreadsheet). The content hash makes a re-delivery a no-op, as for sales.
 */
export async function ingestStoreAttributesUpload(deps: Pick<StoragePorts, 'attributes' | 'ingestions' | 'rejected'>, source: UploadSource, options: StoreAttributesIngestOptions): Promise<IngestResult> {
  const receivedAt = options.clock.now();
  const rules = ingestRules(options.rules);
  const reading = hashWhileReading(source);
  const parsed = await readStoreAttributes(buffers(reading.source), { ...rules, checkLabels: true, storeIdProblem: (store) => idProblem('store', store) });
  const key = await reading.key();
  const seen = await deps.ingestions.get(key);
  if (seen !== undefined) return duplicateResult(source.name, key, seen);
  const logistics = parsed.stopped === undefined ? logisticsErrors(parsed.table) : [];
  const errors: RowError[] = [...parsed.errors, ...logistics].sort((a, b) => a.line - b.line).slice(0, rules.maxErrors);
  const total = parsed.errorCount + logistics.length;
  let rejectedBlob: string | undefined;
  let changedStores: string[] = [];
  if (errors.length > 0) rejectedBlob = await deps.rejected.write(source.name, await rejectedReport(source, errors, total, rules));
  else {
    await deps.attributes.write(parsed.table);
    changedStores = [...parsed.table.stores.keys()].sort();
  }
  return recordWholeUpload(deps.ingestions, { key, name: source.name, receivedAt, completedAt: options.clock.now() }, { rows: parsed.rows, errors, errorCount: total, empty: 'no store rows', rejectedBlob, changedStores, unchangedStores: 0 });
}

/** A store's logistics from the store file: a truck's capacity and its receiving limit, in pallets; null when not given. */
export interface StoreLogistics {
  truckPallets: number | null;
  receivingLimitPallets: number | null;
}

const [TRUCK_PALLETS, RECEIVING_LIMIT] = LOGISTICS_COLUMNS as readonly [string, string];

/**
 * Rows whose logistics cells are not positive numbers: a truck of 0 pallets or a limit of "big" cannot be
 * booked against, so the file is refused like any other bad row (empty cells are fine: not given).
 */
export function logisticsErrors(table: StoreAttributeTable): RowError[] {
  const errors: RowError[] = [];
  table.columns.forEach((column, c) => {
    if (!LOGISTICS_COLUMNS.includes(column.name.toLowerCase())) return;
    for (const row of table.stores.values()) {
      const value = row.values[c];
      if (value === null || value === undefined) continue;
      if (column.kind !== 'numeric' || typeof value !== 'number' || !(value > 0)) errors.push({ line: row.line, reason: `${column.name} "${String(typeof value === 'number' && column.kind === 'date' ? 'a date' : value).slice(0, 40)}" must be a number of pallets above 0 (or empty)` });
    }
  });
  return errors;
}

/** Each store's logistics from a stored table (stores without a row, or with empty cells, have none). */
export function storeLogistics(table: StoreAttributeTable | undefined): Map<string, StoreLogistics> {
  const out = new Map<string, StoreLogistics>();
  if (table === undefined) return out;
  const index = (name: string): number => table.columns.findIndex((c) => c.kind === 'numeric' && c.name.toLowerCase() === name);
  const truck = index(TRUCK_PALLETS);
  const limit = index(RECEIVING_LIMIT);
  if (truck < 0 && limit < 0) return out;
  const positive = (v: StoreAttributeValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  for (const [store, row] of table.stores) out.set(store, { truckPallets: truck < 0 ? null : positive(row.values[truck]), receivingLimitPallets: limit < 0 ? null : positive(row.values[limit]) });
  return out;
}
