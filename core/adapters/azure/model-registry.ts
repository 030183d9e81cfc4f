import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { parseModelArtifact, type ModelArtifact } from '../../../engine/index.js';
import type { ChampionDecision, ModelVersion } from '../../domain/model.js';
import { ConcurrencyConflict, type ModelRegistry } from '../../ports/index.js';
import { isStatus } from './clients.js';
import { deleteBlob, getBlob, gunzipJson, gzipJson, putNew } from './blobs.js';
import { encodeKey } from './keys.js';

type Entity = Record<string, string | number | boolean | undefined> & { partitionKey: string; rowKey: string; etag?: string };

/** A registry row with the etag it was read at, so the champion flip can be conditional. */
type ReadModel = ModelVersion & { etag?: string };

function toEntity(m: ModelVersion): Entity {
  const e: Entity = {
    partitionKey: encodeKey(m.store),
    rowKey: m.version,
    store: m.store,
    version: m.version,
    runId: m.runId,
    createdAt: m.createdAt,
    artifactBlob: m.artifactBlob,
    families: JSON.stringify(m.families),
    windowFrom: m.window.from,
    windowTo: m.window.to,
    horizon: m.window.horizon,
    folds: m.window.folds,
    items: m.items,
    champion: m.champion,
  };
  if (m.accuracy.rmsse !== null) e.rmsse = m.accuracy.rmsse;
  if (m.accuracy.smape !== null) e.smape = m.accuracy.smape;
  if (typeof m.accuracy.wape === 'number') e.backtestWape = m.accuracy.wape;
  if (m.decision) Object.assign(e, decisionColumns(m.decision));
  return e;
}

function decisionColumns(d: ChampionDecision): Record<string, string | boolean> {
  return { decision: JSON.stringify(d), promoted: d.promoted, decisionReason: d.reason.slice(0, 4000) };
}

function fromEntity(e: Entity): ReadModel {
  const s = (k: string): string => (typeof e[k] === 'string' ? e[k] : '');
  const n = (k: string): number | null => (typeof e[k] === 'number' ? e[k] : null);
  const m: ReadModel = {
    store: s('store'),
    version: s('version'),
    runId: s('runId'),
    createdAt: s('createdAt'),
    artifactBlob: s('artifactBlob'),
    families: JSON.parse(s('families') || '{}') as Record<string, number>,
    accuracy: { rmsse: n('rmsse'), smape: n('smape') },
    window: { from: s('windowFrom'), to: s('windowTo'), horizon: n('horizon') ?? 0, folds: n('folds') ?? 0 },
    items: n('items') ?? 0,
    champion: e.champion === true,
  };
  const wape = n('backtestWape');
  if (wape !== null) m.accuracy.wape = wape;
  if (s('decision')) m.decision = JSON.parse(s('decision')) as ChampionDecision;
  if (e.etag) m.etag = e.etag;
  return m;
}

/**
 * `models` table (partition = store, row = version, sortable by time) plus artifacts in
 * `models/<store>/<version>.json.gz`. The champion flag lives on the rows; flipping it is one
 * transaction inside the store's partition, conditional on the previous champion's etag.
 */
export class AzureModelRegistry implements ModelRegistry {
  constructor(
    private readonly table: TableClient,
    private readonly container: ContainerClient,
  ) {}

  async saveArtifacts(store: string, version: string, artifacts: readonly ModelArtifact[]): Promise<string> {
    const blob = `${encodeKey(store)}/${version}.json.gz`;
    await putNew(this.container, blob, gzipJson(artifacts), 'application/gzip');
    return blob;
  }

  async loadArtifacts(blob: string): Promise<ModelArtifact[]> {
    const json = gunzipJson(await getBlob(this.container, blob));
    if (!Array.isArray(json)) throw new Error(`model artifacts ${blob} are not a JSON array`);
    return json.map((a) => parseModelArtifact(a));
  }

  async deleteArtifacts(blob: string): Promise<void> {
    await deleteBlob(this.container, blob);
  }

  async register(model: ModelVersion): Promise<void> {
    try {
      await this.table.createEntity(toEntity(model));
    } catch (error) {
      if (isStatus(error, 409)) throw new ConcurrencyConflict(`model ${model.store}/${model.version}`);
      throw error;
    }
  }

  async get(store: string, version: string): Promise<ModelVersion | undefined> {
    try {
      return fromEntity(await this.table.getEntity<Entity>(encodeKey(store), version));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async list(store: string): Promise<ModelVersion[]> {
    const out: ModelVersion[] = [];
    const pk = encodeKey(store);
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } })) out.push(fromEntity(e));
    return out.sort((a, b) => (a.version < b.version ? 1 : -1));
  }

  async champion(store: string): Promise<ModelVersion | undefined> {
    const pk = encodeKey(store);
    let best: ReadModel | undefined;
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${pk} and champion eq true` } })) {
      const m = fromEntity(e);
      if (best === undefined || m.version > best.version) best = m;
    }
    return best;
  }

  async decide(model: ModelVersion, decision: ChampionDecision, previous: ModelVersion | undefined): Promise<void> {
    const pk = encodeKey(model.store);
    const update: Entity = { partitionKey: pk, rowKey: model.version, champion: decision.promoted, ...decisionColumns(decision) };
    const actions: TransactionAction[] = [['update', update, 'Merge']];
    if (decision.promoted && previous !== undefined && previous.version !== model.version) {
      const etag = (previous as ReadModel).etag;
      actions.push(['update', { partitionKey: pk, rowKey: previous.version, champion: false }, 'Merge', etag ? { etag } : {}]);
    }
    try {
      await this.table.submitTransaction(actions);
    } catch (error) {
      if (isStatus(error, 409, 412)) throw new ConcurrencyConflict(`champion of store ${model.store}`);
      throw error;
    }
  }
}
