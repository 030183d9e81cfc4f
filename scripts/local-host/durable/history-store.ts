import { randomUUID } from 'node:crypto';
import { TableClient, TableTransaction, type TableEntity } from '@azure/data-tables';

/**
 * The history store: what the Azure Storage provider keeps, in three Azure Tables (Azurite locally).
 * - `<hub>Instances`: one row per instance (status, input, output, custom status, parent link);
 * - `<hub>History`: the events of the current execution, one row each, in order;
 * - `<hub>Inbox`: messages for an instance not yet in its history (completions, events, due timers).
 * The tables are the record; a new host on the same storage carries on from them.
 */

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated' | 'Canceled' | 'Suspended';
export const TERMINAL: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [key: string]: unknown;
}

export interface InstanceRow {
  name: string;
  runtimeStatus: RuntimeStatus;
  executionId: string;
  input: string;
  output: string;
  customStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  parentInstanceId: string;
  parentTaskId: number;
  /** false from the moment a child is terminal until its parent has the completion in its inbox. */
  parentNotified?: boolean;
}

export interface InboxMessage {
  rowKey: string;
  dueAt: number;
  event: HistoryEvent;
}

interface InboxRow {
  dueAt: number;
}

const TABLE_BATCH = 100;
const enc = (s: string): string => encodeURIComponent(s);
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
export const now = (): string => new Date().toISOString();
export const json = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v));
export const parseJson = (s: string | undefined): unknown => (s === undefined || s === '' ? null : JSON.parse(s));
const partitionFilter = (instanceId: string): string => `PartitionKey eq '${enc(instanceId).replace(/'/g, "''")}'`;
const executionFilter = (instanceId: string, executionId: string): string => `${partitionFilter(instanceId)} and RowKey ge '${executionId}-' and RowKey lt '${executionId}.'`;

// Table string properties hold at most 32K UTF-16 characters (64 KiB); longer JSON (orchestration
// inputs, outputs, history payloads) is split across `name`, `name_1`, … with the count in `name_n`.
const CHUNK = 30_000;
export function big(name: string, value: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const n = Math.max(1, Math.ceil(value.length / CHUNK));
  for (let i = 0; i < n; i++) out[i === 0 ? name : `${name}_${i}`] = value.slice(i * CHUNK, (i + 1) * CHUNK);
  out[`${name}_n`] = n;
  return out;
}
export function readBig(entity: object, name: string): string {
  const e = entity as Record<string, unknown>;
  const n = typeof e[`${name}_n`] === 'number' ? (e[`${name}_n`] as number) : 1;
  let s = typeof e[name] === 'string' ? e[name] : '';
  for (let i = 1; i < n; i++) s += typeof e[`${name}_${i}`] === 'string' ? (e[`${name}_${i}`] as string) : '';
  return s;
}

export class HistoryStore {
  private readonly instances: TableClient;
  private readonly history: TableClient;
  private readonly inbox: TableClient;
  private inboxSeq = 0;
  /**
   * The history of each instance this host is running, as it wrote it. Replay reads it from here, as the
   * extension's extended sessions keep an orchestration's history in memory between episodes: querying the
   * history table on every episode costs O(rows in the table) on Azurite (it scans the whole collection
   * for any query), which made a 10,000-store morning run quadratic. The table stays the record: a new
   * host, or an episode whose write failed, reads it from there again.
   */
  private readonly historyCache = new Map<string, { executionId: string; events: HistoryEvent[] }>();

  constructor(connectionString: string, taskHub: string) {
    const tableOpts = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(connectionString, `${taskHub}Instances`, tableOpts);
    this.history = TableClient.fromConnectionString(connectionString, `${taskHub}History`, tableOpts);
    this.inbox = TableClient.fromConnectionString(connectionString, `${taskHub}Inbox`, tableOpts);
  }

  async createTables(): Promise<void> {
    await Promise.all([this.instances.createTable(), this.history.createTable(), this.inbox.createTable()]);
  }

  // ---- instance rows -------------------------------------------------------------------------------

  async *openInstances(): AsyncGenerator<{ instanceId: string; row: InstanceRow }> {
    const open = this.instances.listEntities<InstanceRow>({ queryOptions: { filter: "runtimeStatus eq 'Running' or runtimeStatus eq 'Pending'" } });
    for await (const row of open) yield { instanceId: decodeURIComponent(row.partitionKey ?? ''), row };
  }

  async *allInstances(): AsyncGenerator<{ instanceId: string; row: InstanceRow }> {
    for await (const row of this.instances.listEntities<InstanceRow>()) yield { instanceId: decodeURIComponent(row.partitionKey ?? ''), row };
  }

  async readInstance(instanceId: string): Promise<(InstanceRow & { etag: string }) | undefined> {
    try {
      const e = await this.instances.getEntity<InstanceRow>(enc(instanceId), '');
      return { ...e, etag: e.etag };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  /**
   * Writes a new instance row, replacing `existing` (a finished instance) under its ETag. Returns false
   * when another start with this id won the race (its row is there now).
   */
  async putNewInstance(instanceId: string, row: InstanceRow, existing?: { etag: string }): Promise<boolean> {
    const entity = { partitionKey: enc(instanceId), rowKey: '', ...row, ...big('input', row.input) };
    try {
      if (existing) await this.instances.updateEntity(entity, 'Replace', { etag: existing.etag });
      else await this.instances.createEntity(entity);
      return true;
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 409 || code === 412) return false;
      throw err;
    }
  }

  async updateInstance(instanceId: string, fields: Record<string, unknown>): Promise<void> {
    await this.instances.updateEntity({ partitionKey: enc(instanceId), rowKey: '', ...fields }, 'Merge');
  }

  async deleteInstanceRow(instanceId: string): Promise<void> {
    await this.instances.deleteEntity(enc(instanceId), '');
  }

  // ---- inbox ---------------------------------------------------------------------------------------

  async enqueue(instanceId: string, event: HistoryEvent, dueAt: number): Promise<void> {
    const entity: TableEntity<InboxRow> = {
      partitionKey: enc(instanceId),
      rowKey: `${pad(dueAt, 15)}-${pad(++this.inboxSeq, 10)}-${randomUUID()}`,
      ...big('data', JSON.stringify(event)),
      dueAt,
    };
    await this.inbox.createEntity(entity);
  }

  async readInbox(instanceId: string): Promise<InboxMessage[]> {
    const out: InboxMessage[] = [];
    for await (const m of this.inbox.listEntities<InboxRow>({ queryOptions: { filter: partitionFilter(instanceId) } })) {
      out.push({ rowKey: m.rowKey ?? '', dueAt: m.dueAt, event: JSON.parse(readBig(m, 'data')) as HistoryEvent });
    }
    return out;
  }

  async deleteInbox(instanceId: string, messages: readonly { rowKey: string }[]): Promise<void> {
    await this.deleteRows(this.inbox, instanceId, messages.map((m) => m.rowKey));
  }

  /** Messages that arrive for a finished instance (late events, completions of abandoned tasks) go. */
  async clearInbox(instanceId: string): Promise<void> {
    await this.deleteRows(this.inbox, instanceId, await this.rowKeys(this.inbox, partitionFilter(instanceId)));
  }

  // ---- history -------------------------------------------------------------------------------------

  async loadHistory(instanceId: string, executionId: string, remember = false): Promise<HistoryEvent[]> {
    const cached = this.historyCache.get(instanceId);
    if (cached?.executionId === executionId) return cached.events.slice();
    const events: HistoryEvent[] = [];
    for await (const e of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter: executionFilter(instanceId, executionId) } })) {
      events.push(JSON.parse(readBig(e, 'data')) as HistoryEvent);
    }
    if (remember) this.historyCache.set(instanceId, { executionId, events: events.slice() });
    return events;
  }

  async appendHistory(instanceId: string, executionId: string, start: number, events: HistoryEvent[]): Promise<void> {
    const cached = this.historyCache.get(instanceId);
    // Until the write is done the cache may be ahead of the table; a failed write leaves the table as the record.
    this.historyCache.delete(instanceId);
    for (let i = 0; i < events.length; i += TABLE_BATCH) {
      const tx = new TableTransaction();
      events.slice(i, i + TABLE_BATCH).forEach((e, j) => {
        tx.upsertEntity({ partitionKey: enc(instanceId), rowKey: `${executionId}-${pad(start + i + j, 8)}`, ...big('data', JSON.stringify(e)) }, 'Replace');
      });
      await this.history.submitTransaction(tx.actions);
    }
    if (start === 0) this.historyCache.set(instanceId, { executionId, events: events.slice() });
    else if (cached?.executionId === executionId && cached.events.length === start) {
      cached.events.push(...events);
      this.historyCache.set(instanceId, cached);
    }
  }

  /** The instance is done with this history in memory (finished, or a new execution begins). */
  forgetHistory(instanceId: string): void {
    this.historyCache.delete(instanceId);
  }

  /** The old execution's history is no longer needed for replay; dropped like the storage provider does. */
  async deleteExecutionHistory(instanceId: string, executionId: string): Promise<void> {
    await this.deleteRows(this.history, instanceId, await this.rowKeys(this.history, executionFilter(instanceId, executionId)));
  }

  /** History and inbox of an instance (its row stays). */
  async deleteInstanceData(instanceId: string): Promise<void> {
    this.historyCache.delete(instanceId);
    for (const table of [this.history, this.inbox]) {
      await this.deleteRows(table, instanceId, await this.rowKeys(table, partitionFilter(instanceId)));
    }
  }

  private async rowKeys(table: TableClient, filter: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const e of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) keys.push(e.rowKey as string);
    return keys;
  }

  private async deleteRows(table: TableClient, instanceId: string, rowKeys: readonly string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += TABLE_BATCH) {
      const tx = new TableTransaction();
      for (const rk of rowKeys.slice(i, i + TABLE_BATCH)) tx.deleteEntity(enc(instanceId), rk);
      await table.submitTransaction(tx.actions);
    }
  }
}
