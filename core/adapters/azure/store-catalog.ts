import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { parseTotalsModel, type TotalsModel } from '../../../engine/index.js';
import type { StoreState } from '../../domain/model.js';
import { ConcurrencyConflict, type StoreCatalog, type Versioned } from '../../ports/index.js';
import { isStatus } from './clients.js';
import { checkedStoreState } from '../../domain/store-pointers.js';
import { decodeKey, encodeKey } from './keys.js';

const PARTITION = 'store';

export type Entity = Record<string, string | number | boolean | undefined>;

function str(e: Entity, k: string): string | undefined {
  const v = e[k];
  return typeof v === 'string' ? v : undefined;
}
function num(e: Entity, k: string): number | undefined {
  const v = e[k];
  return typeof v === 'number' ? v : undefined;
}

/**
 * Table Storage holds at most 64 KiB in a string property, UTF-16: 32 K characters. The totals model's
 * residuals are what grows; the oldest are dropped until it fits (the newest say most about how stores move now).
 */
export const MAX_TOTALS_CHARACTERS = 30_000;

export function totalsToProperty(totals: TotalsModel): string {
  let residuals = totals.residuals;
  let text = JSON.stringify({ ...totals, residuals });
  while (text.length > MAX_TOTALS_CHARACTERS && residuals.length > 0) {
    residuals = residuals.slice(Math.max(1, Math.ceil(residuals.length * ((text.length - MAX_TOTALS_CHARACTERS) / text.length))));
    text = JSON.stringify({ ...totals, residuals });
  }
  return text;
}

/** The stored totals model, checked: trainer pods write these rows, so anything malformed is dropped, never trusted. */
function totalsOfProperty(text: string | undefined): TotalsModel | undefined {
  if (text === undefined || text.length > MAX_TOTALS_CHARACTERS) return undefined;
  try {
    return parseTotalsModel(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Flat columns (not JSON) so the table reads well in Storage Explorer and the API can filter on them; the totals model is one JSON column. */
export function storeToEntity(s: StoreState): Entity & { partitionKey: string; rowKey: string } {
  const e: Entity & { partitionKey: string; rowKey: string } = { partitionKey: PARTITION, rowKey: encodeKey(s.store), store: s.store, stale: s.stale, updatedAt: s.updatedAt };
  const put = (k: string, v: string | number | boolean | null | undefined): void => {
    if (v !== undefined && v !== null) e[k] = v;
  };
  put('staleReason', s.staleReason);
  put('staleSince', s.staleSince);
  putPointers(e, s);
  if (s.current) {
    put('currentRunId', s.current.runId);
    put('generatedAt', s.current.generatedAt);
    put('modelVersion', s.current.modelVersion);
    put('forecastFirstDay', s.current.firstDay);
    put('horizon', s.current.horizon);
    put('forecastItems', s.current.items);
    put('trainedHistoryVersion', s.current.historyVersion);
    put('rmsse', s.current.accuracy.rmsse);
    put('smape', s.current.accuracy.smape);
    put('backtestWape', s.current.accuracy.wape);
    if (s.current.totals !== undefined) put('totals', totalsToProperty(s.current.totals));
  }
  put('previousRunId', s.previousRunId);
  put('championVersion', s.championVersion);
  if (s.lastRun) {
    put('lastRunId', s.lastRun.runId);
    put('lastRunStatus', s.lastRun.status);
    put('lastRunAt', s.lastRun.at);
    put('lastRunError', s.lastRun.error?.slice(0, 4000));
  }
  return e;
}

/** The history and drivers pointer columns, shared by `stores` rows and ingestion's own pointer rows. */
export function putPointers(e: Entity, p: Pick<StoreState, 'history' | 'drivers' | 'previousHistoryBlob'>): void {
  const put = (k: string, v: string | number | undefined): void => {
    if (v !== undefined) e[k] = v;
  };
  if (p.history) {
    put('historyBlob', p.history.blob);
    put('historyVersion', p.history.version);
    put('historyFirstDay', p.history.firstDay);
    put('historyLastDay', p.history.lastDay);
    put('historyItems', p.history.items);
    put('historyObservations', p.history.observations);
    put('historyUpdatedAt', p.history.updatedAt);
  }
  put('previousHistoryBlob', p.previousHistoryBlob);
  if (p.drivers) {
    put('driversBlob', p.drivers.blob);
    put('driversVersion', p.drivers.version);
    put('driversFirstDay', p.drivers.firstDay);
    put('driversLastDay', p.drivers.lastDay);
    put('driversColumns', p.drivers.columns.join(','));
    put('driversUpdatedAt', p.drivers.updatedAt);
  }
}

/** The pointer columns as written (unchecked: callers check them against the store they mean). */
export function pointersOf(e: Entity): Pick<StoreState, 'history' | 'drivers' | 'previousHistoryBlob'> {
  const out: Pick<StoreState, 'history' | 'drivers' | 'previousHistoryBlob'> = {};
  const historyBlob = str(e, 'historyBlob');
  if (historyBlob !== undefined) {
    out.history = {
      blob: historyBlob,
      version: str(e, 'historyVersion') ?? '',
      firstDay: str(e, 'historyFirstDay') ?? '',
      lastDay: str(e, 'historyLastDay') ?? '',
      items: num(e, 'historyItems') ?? 0,
      observations: num(e, 'historyObservations') ?? 0,
      updatedAt: str(e, 'historyUpdatedAt') ?? '',
    };
  }
  const driversBlob = str(e, 'driversBlob');
  if (driversBlob !== undefined) {
    const columns = str(e, 'driversColumns') ?? '';
    out.drivers = {
      blob: driversBlob,
      version: str(e, 'driversVersion') ?? '',
      firstDay: str(e, 'driversFirstDay') ?? '',
      lastDay: str(e, 'driversLastDay') ?? '',
      columns: columns === '' ? [] : columns.split(','),
      updatedAt: str(e, 'driversUpdatedAt') ?? '',
    };
  }
  const previousHistoryBlob = str(e, 'previousHistoryBlob');
  if (previousHistoryBlob !== undefined) out.previousHistoryBlob = previousHistoryBlob;
  return out;
}

/** The store a row is about: its key (the `store` column is a copy a writer could make disagree). */
export function storeOfEntity(e: Entity): string {
  return typeof e.rowKey === 'string' ? decodeKey(e.rowKey) : (str(e, 'store') ?? '');
}

/**
 * A `stores` row as the app sees it. Trainers may write these rows, so the store is taken from the key and
 * pointers that are not that store's own blobs are dropped (`checkedStoreState`): the API and trainers never
 * read through them, and ingestion uses its own record (`TableStorePointers`), which puts them back.
 */
export function entityToStore(e: Entity): StoreState {
  return checkedStoreState(storeOfEntity(e), rawEntityToStore(e)).state;
}

/** The row as written, unchecked (for ingestion's adoption of legacy pointers, which checks them itself). */
export function rawEntityToStore(e: Entity): StoreState {
  const s: StoreState = { store: str(e, 'store') ?? '', stale: e.stale === true, updatedAt: str(e, 'updatedAt') ?? '' };
  const staleReason = str(e, 'staleReason');
  if (staleReason !== undefined) s.staleReason = staleReason;
  const staleSince = str(e, 'staleSince');
  if (staleSince !== undefined) s.staleSince = staleSince;
  Object.assign(s, pointersOf(e));
  const runId = str(e, 'currentRunId');
  if (runId !== undefined) {
    s.current = {
      runId,
      generatedAt: str(e, 'generatedAt') ?? '',
      modelVersion: str(e, 'modelVersion') ?? '',
      firstDay: str(e, 'forecastFirstDay') ?? '',
      horizon: num(e, 'horizon') ?? 0,
      items: num(e, 'forecastItems') ?? 0,
      historyVersion: str(e, 'trainedHistoryVersion') ?? '',
      accuracy: { rmsse: num(e, 'rmsse') ?? null, smape: num(e, 'smape') ?? null },
    };
    const wape = num(e, 'backtestWape');
    if (wape !== undefined) s.current.accuracy.wape = wape;
    const totals = totalsOfProperty(str(e, 'totals'));
    if (totals !== undefined) s.current.totals = totals;
  }
  const previousRunId = str(e, 'previousRunId');
  if (previousRunId !== undefined) s.previousRunId = previousRunId;
  const championVersion = str(e, 'championVersion');
  if (championVersion !== undefined) s.championVersion = championVersion;
  const lastRunId = str(e, 'lastRunId');
  if (lastRunId !== undefined) {
    s.lastRun = { runId: lastRunId, status: (str(e, 'lastRunStatus') ?? 'failed') as NonNullable<StoreState['lastRun']>['status'], at: str(e, 'lastRunAt') ?? '' };
    const error = str(e, 'lastRunError');
    if (error !== undefined) s.lastRun.error = error;
  }
  return s;
}

/** `stores` table: one partition, one row per store (thousands of rows list in one query). */
export class TableStoreCatalog implements StoreCatalog {
  constructor(private readonly table: TableClient) {}

  async get(store: string): Promise<Versioned<StoreState> | undefined> {
    try {
      const e: TableEntityResult<Entity> = await this.table.getEntity<Entity>(PARTITION, encodeKey(store));
      return { value: entityToStore(e), etag: e.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async getMany(stores: readonly string[]): Promise<Map<string, StoreState>> {
    const out = new Map<string, StoreState>();
    const unique = [...new Set(stores)];
    for (let i = 0; i < unique.length; i += 16) {
      const found = await Promise.all(unique.slice(i, i + 16).map((s) => this.get(s)));
      for (const f of found) if (f !== undefined) out.set(f.value.store, f.value);
    }
    return out;
  }

  async list(): Promise<StoreState[]> {
    const out: StoreState[] = [];
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` } })) out.push(entityToStore(e));
    return out;
  }

  async save(state: StoreState, etag: string | undefined): Promise<string> {
    const entity = storeToEntity(state);
    try {
      const response = etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag });
      return response.etag ?? '';
    } catch (error) {
      if (isStatus(error, 409, 412)) throw new ConcurrencyConflict(`store ${state.store}`);
      throw error;
    }
  }
}
