import { odata, type TableClient } from '@azure/data-tables';
import type { RunRecord } from '../../domain/model.js';
import type { RunRepository } from '../../ports/index.js';
import { isStatus } from './clients.js';
import { encodeKey } from './keys.js';

/** Row key of a run's summary record: "|" never occurs in an encoded store id. */
const SUMMARY_ROW = '|summary';

type Entity = Record<string, string | number | boolean | undefined> & { partitionKey: string; rowKey: string };

function rowKey(store: string | undefined): string {
  return store === undefined ? SUMMARY_ROW : encodeKey(store);
}

function toEntity(r: RunRecord): Entity {
  const e: Entity = {
    partitionKey: r.runId,
    rowKey: rowKey(r.store),
    runId: r.runId,
    trigger: r.trigger,
    status: r.status,
    stage: r.stage,
    progress: r.progress,
    stages: JSON.stringify(r.stages),
    createdAt: r.createdAt,
  };
  const put = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) e[k] = v;
  };
  put('store', r.store);
  put('startedAt', r.startedAt);
  put('finishedAt', r.finishedAt);
  put('durationMs', r.durationMs);
  put('error', r.error?.slice(0, 8000));
  put('modelVersion', r.modelVersion);
  put('items', r.items);
  if (r.champion) {
    e.championPromoted = r.champion.promoted;
    e.championReason = r.champion.reason.slice(0, 4000);
  }
  if (r.details) e.details = JSON.stringify(r.details);
  return e;
}

function fromEntity(e: Entity): RunRecord {
  const s = (k: string): string | undefined => (typeof e[k] === 'string' ? e[k] : undefined);
  const n = (k: string): number | undefined => (typeof e[k] === 'number' ? e[k] : undefined);
  const r: RunRecord = {
    runId: s('runId') ?? e.partitionKey,
    trigger: (s('trigger') ?? 'manual') as RunRecord['trigger'],
    status: (s('status') ?? 'queued') as RunRecord['status'],
    stage: (s('stage') ?? 'queued') as RunRecord['stage'],
    progress: n('progress') ?? 0,
    stages: JSON.parse(s('stages') ?? '[]') as RunRecord['stages'],
    createdAt: s('createdAt') ?? '',
  };
  const optional: [keyof RunRecord, string | number | undefined][] = [
    ['store', s('store')],
    ['startedAt', s('startedAt')],
    ['finishedAt', s('finishedAt')],
    ['durationMs', n('durationMs')],
    ['error', s('error')],
    ['modelVersion', s('modelVersion')],
    ['items', n('items')],
  ];
  for (const [k, v] of optional) if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
  if (typeof e.championPromoted === 'boolean') r.champion = { promoted: e.championPromoted, reason: s('championReason') ?? '' };
  const details = s('details');
  if (details !== undefined) r.details = JSON.parse(details) as Record<string, unknown>;
  return r;
}

/**
 * `runs` table: partition = run id (so "run by id" is one partition query, whether the run covers one
 * store or the whole morning), row = store, plus a summary row for multi-store runs.
 */
export class TableRunRepository implements RunRepository {
  constructor(private readonly table: TableClient) {}

  async get(runId: string, store: string | undefined): Promise<RunRecord | undefined> {
    try {
      return fromEntity(await this.table.getEntity<Entity>(runId, rowKey(store)));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async listRun(runId: string): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${runId}` } })) out.push(fromEntity(e));
    return out;
  }

  async put(record: RunRecord): Promise<void> {
    await this.table.upsertEntity(toEntity(record), 'Replace');
  }

  async listCreatedBefore(iso: string, store?: string): Promise<RunRecord[]> {
    // A daily cleanup scans the table once; retention keeps it to stores × runs per day × retention days.
    const filter = store === undefined ? odata`createdAt lt ${iso}` : odata`createdAt lt ${iso} and store eq ${store}`;
    const out: RunRecord[] = [];
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter } })) out.push(fromEntity(e));
    return out;
  }

  async delete(runId: string, store: string | undefined): Promise<void> {
    try {
      await this.table.deleteEntity(runId, rowKey(store));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }
}
