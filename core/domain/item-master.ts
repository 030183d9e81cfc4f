import { csvFields, ErrorList, InputLimitError, NUMBER_PATTERN, numberProblem, readLines, truncate, type ByteSource, type ReadLimits, type RowError } from '../../engine/index.js';
import type { Clock, StoragePorts, UploadSource } from '../ports/index.js';
import { idProblem } from './ids.js';
import { buffers, duplicateResult, hashWhileReading, ingestRules, recordWholeUpload, rejectedReport, type IngestResult, type IngestRules } from './ingestion.js';

/**
 * The item master: how each item is packed (units per case, cases per pallet, optionally weight and volume
 * per unit), what turns a forecast in units into cases, pallets and trucks. One table for the chain, replaced
 * whole by each accepted upload under `uploads/items/`.
 */
export const ITEM_MASTER_UPLOAD_PREFIX = 'items/';

export function isItemMasterUpload(name: string): boolean {
  return name.startsWith(ITEM_MASTER_UPLOAD_PREFIX);
}

export const ITEM_MASTER_SCHEMA = 'foreact.item-master/v1';

export interface PackSizes {
  unitsPerCase: number;
  casesPerPallet: number;
  weightPerUnit?: number;
  volumePerUnit?: number;
}

/** item id → its pack sizes. Items not in it have none: they are counted in units, never as 0 pallets. */
export type ItemMaster = ReadonlyMap<string, PackSizes>;

export const ITEM_MASTER_COLUMNS = ['item', 'units_per_case', 'cases_per_pallet', 'weight_per_unit', 'volume_per_unit'] as const;
const REQUIRED_COLUMNS = ITEM_MASTER_COLUMNS.slice(0, 3);
const FIELD_OF = { units_per_case: 'unitsPerCase', cases_per_pallet: 'casesPerPallet', weight_per_unit: 'weightPerUnit', volume_per_unit: 'volumePerUnit' } as const;
type SizeColumn = keyof typeof FIELD_OF;

/** Why a pack size is refused, or undefined: a size is a positive finite number (0 cases per pallet would divide by zero). */
function sizeProblem(column: string, text: string, maxValue: number): string | undefined {
  if (!NUMBER_PATTERN.test(text)) return `${column} "${truncate(text)}" is not a number`;
  const value = Number(text);
  return numberProblem(column, text, value, maxValue) ?? (value > 0 ? undefined : `${column} ${truncate(text)} must be above 0`);
}

export interface ReadItemMasterResult {
  items: Map<string, PackSizes>;
  /** Row errors in line order: the first `maxErrors` found. */
  errors: RowError[];
  errorCount: number;
  rows: number;
}

/**
 * Reads an item master CSV (plain or gzip), streaming. The header names `item`, `units_per_case`,
 * `cases_per_pallet` and optionally `weight_per_unit`, `volume_per_unit`, in any order; any other column is
 * refused (a misspelt column would otherwise be lost silently). Every bad row is named with its line: an item id
 * the API could not address, a second row for an item, a wrong number of fields, a size that is empty, not a
 * number, not above 0 or not finite. Past `maxSeries` items or a reading limit the read stops, and nothing of
 * the file applies.
 */
export async function readItemMaster(input: ByteSource, limits: ReadLimits = {}): Promise<ReadItemMasterResult> {
  const errors = new ErrorList(limits.maxErrors);
  const maxValue = limits.maxValue ?? 1e9;
  const maxItems = limits.maxSeries ?? 500_000;
  const items = new Map<string, PackSizes>();
  const firstLine = new Map<string, number>();
  let header: { item: number; sizes: [SizeColumn, number][]; width: number } | undefined;
  let headerBroken = false;
  let rows = 0;
  const stopped = await readLines(input, limits, (raw, line) => {
    if (headerBroken || raw.trim().length === 0) return;
    const parsed = csvFields(raw);
    if ('problem' in parsed) {
      errors.push({ line, reason: parsed.problem });
      if (header === undefined) headerBroken = true;
      return;
    }
    const fields = parsed.fields.map((f) => f.trim());
    if (header === undefined) {
      const names = fields.map((f) => f.toLowerCase());
      const unknown = names.filter((n) => !(ITEM_MASTER_COLUMNS as readonly string[]).includes(n));
      const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
      const twice = names.filter((n, i) => names.indexOf(n) !== i);
      const problem =
        missing.length > 0 ? `header lacks ${missing.join(', ')}: expected "${REQUIRED_COLUMNS.join(',')}[,weight_per_unit,volume_per_unit]", got "${truncate(fields.join(','))}"`
        : unknown.length > 0 ? `header has unknown column(s) ${unknown.map((u) => `"${truncate(u)}"`).join(', ')} (known: ${ITEM_MASTER_COLUMNS.join(', ')})`
        : twice.length > 0 ? `header names column(s) ${[...new Set(twice)].join(', ')} twice`
        : undefined;
      if (problem !== undefined) {
        errors.push({ line, reason: problem });
        headerBroken = true;
        return;
      }
      header = { item: names.indexOf('item'), sizes: names.flatMap((n, i): [SizeColumn, number][] => (n === 'item' ? [] : [[n as SizeColumn, i]])), width: names.length };
      return;
    }
    rows++;
    if (fields.length !== header.width) {
      errors.push({ line, reason: `expected ${header.width} fields, found ${fields.length}` });
      return;
    }
    const item = fields[header.item]!;
    const refused = item.length === 0 ? 'item is empty' : idProblem('item', item);
    if (refused !== undefined) {
      errors.push({ line, reason: refused });
      return;
    }
    const first = firstLine.get(item);
    if (first !== undefined) {
      errors.push({ line, reason: `duplicate row for item ${item} (first seen on line ${first})` });
      return;
    }
    if (firstLine.size >= maxItems) throw new InputLimitError(line, `the file names more than ${maxItems} items (the cap per file): nothing applied`);
    firstLine.set(item, line);
    const sizes: Partial<Record<keyof PackSizes, number>> = {};
    const problems: string[] = [];
    for (const [column, index] of header.sizes) {
      const text = fields[index]!;
      const required = (REQUIRED_COLUMNS as readonly string[]).includes(column);
      if (text.length === 0) {
        if (required) problems.push(`${column} is empty (every item in the master needs its pack sizes)`);
        continue;
      }
      const problem = sizeProblem(column, text, maxValue);
      if (problem !== undefined) problems.push(problem);
      else sizes[FIELD_OF[column]] = Number(text);
    }
    if (problems.length > 0) errors.push({ line, reason: problems.join('; ') });
    else items.set(item, sizes as PackSizes);
  });
  if (stopped !== undefined) return { items: new Map(), errors: [...errors.errors.filter((e) => e.line < stopped.line), stopped], errorCount: errors.count + 1, rows: 0 };
  if (header === undefined && !headerBroken) errors.push({ line: 1, reason: `the file is empty: expected a header line "${REQUIRED_COLUMNS.join(',')}"` });
  else if (header !== undefined && rows === 0) errors.push({ line: 2, reason: 'the file has a header but no item rows' });
  return { items, errors: errors.errors.sort((a, b) => a.line - b.line), errorCount: errors.count, rows };
}

/** The stored form (`items/master.json`). */
export interface ItemMasterJson {
  schema: typeof ITEM_MASTER_SCHEMA;
  items: Record<string, PackSizes>;
}

export function itemMasterToJson(master: ItemMaster): ItemMasterJson {
  const items: Record<string, PackSizes> = {};
  for (const [item, sizes] of [...master].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) items[item] = { ...sizes };
  return { schema: ITEM_MASTER_SCHEMA, items };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The stored master back, checked as an upload is: anyone with write rights on the container may have written
 * the blob, and a pack size of 0 or a negative one would turn a forecast into nonsense pallets. Throws an Error
 * naming the first bad field.
 */
export function itemMasterFromJson(json: unknown): Map<string, PackSizes> {
  const fail = (field: string, problem: string): never => {
    throw new Error(`invalid item master: ${field} ${problem}`);
  };
  if (!isRecord(json)) return fail('(document)', 'is not a JSON object');
  if (json.schema !== ITEM_MASTER_SCHEMA) fail('schema', `must be "${ITEM_MASTER_SCHEMA}"`);
  if (!isRecord(json.items)) return fail('items', 'must be an object');
  const items = new Map<string, PackSizes>();
  for (const [item, value] of Object.entries(json.items)) {
    const field = `items[${JSON.stringify(item.slice(0, 60))}]`;
    const refused = idProblem('item', item);
    if (refused !== undefined) fail(field, refused);
    if (!isRecord(value)) return fail(field, 'must be an object');
    const size = (name: keyof PackSizes, required: boolean): number | undefined => {
      const v = value[name];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) fail(`${field}.${name}`, 'must be a positive finite number');
      return v as number;
    };
    const extra = Object.keys(value).filter((k) => !(Object.values(FIELD_OF) as string[]).includes(k));
    if (extra.length > 0) fail(field, `has unknown field(s) ${extra.slice(0, 5).join(', ')}`);
    const weight = size('weightPerUnit', false);
    const volume = size('volumePerUnit', false);
    items.set(item, { unitsPerCase: size('unitsPerCase', true)!, casesPerPallet: size('casesPerPallet', true)!, ...(weight === undefined ? {} : { weightPerUnit: weight }), ...(volume === undefined ? {} : { volumePerUnit: volume }) });
  }
  return items;
}

export interface ItemMasterIngestOptions {
  clock: Clock;
  rules?: Partial<IngestRules>;
}

/**
 * Ingests one item master file. Like drivers and store attributes it is applied whole or not at all, every
 * bad line named in the rejected-rows report; an accepted file replaces the stored master (the file is the
 * chain's list of items, so an item it no longer names has no pack sizes). The content hash makes a
 * re-delivery a no-op.
 */
export async function ingestItemMasterUpload(deps: Pick<StoragePorts, 'items' | 'ingestions' | 'rejected'>, source: UploadSource, options: ItemMasterIngestOptions): Promise<IngestResult> {
  if (deps.items === undefined) throw new Error('item master upload: this deployment has no item master store');
  const receivedAt = options.clock.now();
  const rules = ingestRules(options.rules);
  const reading = hashWhileReading(source);
  const parsed = await readItemMaster(buffers(reading.source), rules);
  const key = await reading.key();
  const seen = await deps.ingestions.get(key);
  if (seen !== undefined) return duplicateResult(source.name, key, seen);
  const errors = parsed.errors.slice(0, rules.maxErrors);
  let rejectedBlob: string | undefined;
  if (errors.length > 0) rejectedBlob = await deps.rejected.write(source.name, await rejectedReport(source, errors, parsed.errorCount, rules));
  else if (parsed.rows > 0) await deps.items.write(parsed.items);
  return recordWholeUpload(deps.ingestions, { key, name: source.name, receivedAt, completedAt: options.clock.now() }, { rows: parsed.rows, errors, errorCount: parsed.errorCount, empty: 'no item rows', rejectedBlob, changedStores: [], unchangedStores: 0 });
}

/** Units of an item in `unit`: the factor a forecast in units is multiplied by; undefined without pack sizes. */
export function unitFactor(sizes: PackSizes | undefined, unit: 'units' | 'cases' | 'pallets'): number | undefined {
  if (unit === 'units') return 1;
  if (sizes === undefined) return undefined;
  return unit === 'cases' ? 1 / sizes.unitsPerCase : 1 / (sizes.unitsPerCase * sizes.casesPerPallet);
}
