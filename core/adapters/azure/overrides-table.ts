import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { ConcurrencyConflict, NotFound, type OverrideAuditEntry, type OverrideRepository } from '../../ports/index.js';
import { OVERRIDE_ID_PATTERN as ID, type Override } from '../../domain/overrides.js';
import { isStatus } from './clients.js';
import { encodeKey } from './keys.js';

/**
 * `overrides` table, partition = the store: one row per live override (`o-<id>`) and one per audit entry
 * (`a-<entry id>`, time-sortable). A change writes both in one entity group transaction (same partition),
 * so an override never changes without its audit row. Audit rows are only ever created — this adapter has
 * no code path that replaces, merges or deletes one, and a create on an existing key fails (409) — so the
 * log is append-only. Deleting an override marks its `o-` row deleted (a conditional delete cannot join a
 * transaction, a conditional replace can) and appends a `delete` entry.
 */
const OVERRIDE = 'o-';
const AUDIT = 'a-';
/** The character after '-': the end of each prefix's key range. */
const END = (prefix: string): string => `${prefix.slice(0, -1)}.`;

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A driver column name as the drivers reader keeps one: short, no control characters. */
const validDriverName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 128 && !/\p{Cc}/u.test(v);

/** The override's own fields, its items as a JSON array (absent: store-wide). Read back untrusted: parseOverride checks each. */
type OverrideEntity = Omit<Override, 'items'> & {
  partitionKey: string;
  rowKey: string;
  items?: string;
  /** Set by a delete: the row stays (a conditional delete cannot join a transaction), out of every read. */
  deleted?: boolean;
};

/** The entry's own fields; before, after and the numbers as JSON, the items as a JSON array (absent: store-wide). */
type AuditEntity = Omit<OverrideAuditEntry, 'before' | 'after' | 'numbers' | 'items'> & {
  partitionKey: string;
  rowKey: string;
  before: string;
  after: string;
  numbers: string;
  items?: string;
};

function overrideEntity(o: Override): OverrideEntity {
  const { items, ...fields } = o;
  return { partitionKey: encodeKey(o.store), rowKey: `${OVERRIDE}${o.id}`, ...fields, ...(items === undefined ? {} : { items: JSON.stringify(items) }) };
}

function auditEntity(store: string, e: OverrideAuditEntry): AuditEntity {
  const { before, after, numbers, items, ...fields } = e;
  return {
    partitionKey: encodeKey(store),
    rowKey: `${AUDIT}${e.id}`,
    ...fields,
    before: JSON.stringify(before),
    after: JSON.stringify(after),
    numbers: JSON.stringify(numbers),
    ...(items === undefined ? {} : { items: JSON.stringify(items) }),
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function parseJson(text: unknown): unknown {
  if (!isString(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function itemList(v: unknown): string[] | undefined | null {
  if (v === undefined) return undefined;
  return Array.isArray(v) && v.length > 0 && v.every((i) => isString(i) && i.length > 0 && i.length <= 200) ? (v as string[]) : null;
}

/** An override as read back (a row, or an audit entry's before/after); undefined when anything is off. */
export function parseOverride(v: unknown, store: string): Override | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const items = itemList(isString(r.items) ? parseJson(r.items) : r.items);
  if (!isString(r.id) || !ID.test(r.id) || r.store !== store || !isString(r.from) || !ISO_DAY.test(r.from) || !isString(r.to) || !ISO_DAY.test(r.to) || r.from > r.to) return undefined;
  if ((r.kind !== 'percent' && r.kind !== 'absolute' && r.kind !== 'promotion') || !finite(r.value) || (r.kind === 'percent' ? r.value < -100 : r.kind === 'absolute' ? r.value < 0 : false)) return undefined;
  // A promotion names the driver column the trainer sets: a column name as the drivers reader accepts one.
  const driver = r.kind === 'promotion' ? (validDriverName(r.driver) ? r.driver : null) : undefined;
  if (!isString(r.note) || !isString(r.by) || !isString(r.at) || Number.isNaN(Date.parse(r.at)) || !Number.isInteger(r.version) || (r.version as number) < 1 || items === null || driver === null) return undefined;
  return { id: r.id, store, from: r.from, to: r.to, ...(items === undefined ? {} : { items }), kind: r.kind, value: r.value, ...(driver === undefined ? {} : { driver }), note: r.note, by: r.by, at: r.at, version: r.version as number };
}

function numberList(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every(finite) ? (v) : undefined;
}

function parseAudit(e: AuditEntity, store: string): OverrideAuditEntry | undefined {
  const before = parseJson(e.before);
  const after = parseJson(e.after);
  const beforeOverride = before === null ? null : parseOverride(before, store);
  const afterOverride = after === null ? null : parseOverride(after, store);
  const numbers = parseJson(e.numbers) as Record<string, unknown> | undefined;
  const items = e.items === undefined ? undefined : itemList(parseJson(e.items));
  if (!isString(e.id) || !ID.test(e.id) || !isString(e.override) || !ID.test(e.override) || (e.action !== 'create' && e.action !== 'edit' && e.action !== 'delete')) return undefined;
  if (!isString(e.at) || Number.isNaN(Date.parse(e.at)) || !isString(e.by) || !isString(e.note) || !isString(e.from) || !ISO_DAY.test(e.from) || !isString(e.to) || !ISO_DAY.test(e.to) || items === null) return undefined;
  if (beforeOverride === undefined || afterOverride === undefined || (beforeOverride === null && afterOverride === null)) return undefined;
  if (typeof numbers !== 'object' || numbers === null) return undefined;
  const nBefore = numberList(numbers.before);
  const nAfter = numberList(numbers.after);
  const nModel = numbers.model === undefined ? undefined : numberList(numbers.model);
  if (nBefore === undefined || nAfter === undefined || (numbers.model !== undefined && nModel === undefined)) return undefined;
  const firstDate = isString(numbers.firstDate) && ISO_DAY.test(numbers.firstDate) ? numbers.firstDate : undefined;
  const runId = isString(numbers.runId) ? numbers.runId : undefined;
  return {
    id: e.id,
    override: e.override,
    action: e.action,
    at: e.at,
    by: e.by,
    note: e.note,
    before: beforeOverride,
    after: afterOverride,
    numbers: { before: nBefore, after: nAfter, ...(nModel === undefined ? {} : { model: nModel }), ...(firstDate === undefined ? {} : { firstDate }), ...(runId === undefined ? {} : { runId }) },
    from: e.from,
    to: e.to,
    ...(items === undefined ? {} : { items }),
  };
}

export class TableOverrideRepository implements OverrideRepository {
  constructor(private readonly table: TableClient) {}

  async inForce(store: string): Promise<Override[]> {
    const pk = encodeKey(store);
    const out: Override[] = [];
    for await (const e of this.table.listEntities<OverrideEntity>({ queryOptions: { filter: odata`PartitionKey eq ${pk} and RowKey ge ${OVERRIDE} and RowKey lt ${END(OVERRIDE)}` } })) {
      const o = e.deleted === true ? undefined : parseOverride(e, store);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  async get(store: string, id: string): Promise<Override | undefined> {
    return (await this.read(store, id))?.override;
  }

  private async read(store: string, id: string): Promise<{ override: Override; etag: string } | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      const e = await this.table.getEntity<OverrideEntity>(encodeKey(store), `${OVERRIDE}${id}`);
      const override = e.deleted === true ? undefined : parseOverride(e, store);
      return override === undefined || override.id !== id ? undefined : { override, etag: e.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async history(store: string): Promise<OverrideAuditEntry[]> {
    const pk = encodeKey(store);
    const out: OverrideAuditEntry[] = [];
    for await (const e of this.table.listEntities<AuditEntity>({ queryOptions: { filter: odata`PartitionKey eq ${pk} and RowKey ge ${AUDIT} and RowKey lt ${END(AUDIT)}` } })) {
      const entry = parseAudit(e, store);
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  async create(override: Override, entry: OverrideAuditEntry): Promise<void> {
    await this.submit(override.store, override.id, [['create', overrideEntity(override)], ['create', auditEntity(override.store, entry)]]);
  }

  async edit(override: Override, expectedVersion: number, entry: OverrideAuditEntry): Promise<void> {
    const current = await this.expect(override.store, override.id, expectedVersion);
    await this.submit(override.store, override.id, [['update', overrideEntity(override), 'Replace', { etag: current.etag }], ['create', auditEntity(override.store, entry)]]);
  }

  async remove(store: string, id: string, expectedVersion: number, entry: OverrideAuditEntry): Promise<void> {
    const current = await this.expect(store, id, expectedVersion);
    const tombstone: OverrideEntity = { ...overrideEntity(current.override), version: current.override.version + 1, deleted: true };
    await this.submit(store, id, [['update', tombstone, 'Replace', { etag: current.etag }], ['create', auditEntity(store, entry)]]);
  }

  private async expect(store: string, id: string, version: number): Promise<{ override: Override; etag: string }> {
    const current = await this.read(store, id);
    if (current === undefined) throw new NotFound(`override ${id} of store ${store}`);
    if (current.override.version !== version) throw new ConcurrencyConflict(`override ${id} of store ${store}`);
    return current;
  }

  private async submit(store: string, id: string, actions: TransactionAction[]): Promise<void> {
    try {
      await this.table.submitTransaction(actions);
    } catch (error) {
      // 409: the key exists (an id or an audit key taken); 412: changed since read; 404: deleted since read.
      if (isStatus(error, 404)) throw new NotFound(`override ${id} of store ${store}`);
      if (isStatus(error, 409, 412)) throw new ConcurrencyConflict(`override ${id} of store ${store}`);
      throw error;
    }
  }
}
