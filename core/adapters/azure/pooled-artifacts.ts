import { odata, type TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { parsePooledArtifact, type PooledArtifact } from '../../../engine/index.js';
import { assertRunId } from '../../domain/ids.js';
import type { PooledArtifactRepository, PooledVersion } from '../../ports/index.js';
import { isStatus } from './clients.js';
import { deleteBlob, getBlob } from './blobs.js';

/**
 * Pooled artifacts in the `models` container as `pooled/<runId>.json` (a store's artifacts are
 * `<store>/<version>.json.gz`: a store called "pooled" cannot meet these names, its blobs end in `.json.gz`
 * and start with `v`), and their registry in the `models` table, partition `~pooled` (an encoded store key
 * never holds `~` followed by anything but two hex digits): one row per version, and the row `latest` —
 * the pointer. Trainers write both (they hold the models container and table already).
 */
export const POOLED_PARTITION = '~pooled';
export const POOLED_LATEST_ROW = 'latest';

export function pooledBlobName(version: string): string {
  // The version names a blob: only a run id's narrow alphabet (no "/", never starting with ".").
  assertRunId(version);
  return `pooled/${version}.json`;
}

type Entity = { partitionKey: string; rowKey: string } & Record<string, string | number | undefined>;

export class AzurePooledArtifacts implements PooledArtifactRepository {
  constructor(
    private readonly table: TableClient,
    private readonly container: ContainerClient,
  ) {}

  async write(version: string, artifact: PooledArtifact): Promise<string> {
    const blob = pooledBlobName(version);
    // Overwritten by a retried job of the same run: no pointer names the version before its record exists.
    await this.container.getBlockBlobClient(blob).uploadData(Buffer.from(JSON.stringify(artifact)), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    return blob;
  }

  async read(version: string): Promise<PooledArtifact> {
    const blob = pooledBlobName(version);
    const text = (await getBlob(this.container, blob)).toString('utf8');
    try {
      return parsePooledArtifact(JSON.parse(text) as unknown);
    } catch (error) {
      throw new Error(`pooled artifact ${blob}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  async record(entry: PooledVersion): Promise<void> {
    assertRunId(entry.version);
    await this.table.upsertEntity({ partitionKey: POOLED_PARTITION, rowKey: entry.version, ...entry } satisfies Entity, 'Replace');
  }

  async get(version: string): Promise<PooledVersion | undefined> {
    assertRunId(version);
    try {
      return fromEntity(await this.table.getEntity<Entity>(POOLED_PARTITION, version));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async setLatest(version: string): Promise<void> {
    assertRunId(version);
    await this.table.upsertEntity({ partitionKey: POOLED_PARTITION, rowKey: POOLED_LATEST_ROW, version } satisfies Entity, 'Replace');
  }

  async list(): Promise<PooledVersion[]> {
    const out: PooledVersion[] = [];
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter: odata`PartitionKey eq ${POOLED_PARTITION} and RowKey ne ${POOLED_LATEST_ROW}` } })) out.push(fromEntity(e));
    return out;
  }

  async delete(version: string): Promise<void> {
    const blob = pooledBlobName(version);
    try {
      await this.table.deleteEntity(POOLED_PARTITION, version);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    await deleteBlob(this.container, blob);
  }

  async latest(): Promise<string | undefined> {
    try {
      const e = await this.table.getEntity<Entity>(POOLED_PARTITION, POOLED_LATEST_ROW);
      return typeof e.version === 'string' ? e.version : undefined;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }
}

function fromEntity(e: Entity): PooledVersion {
  const s = (k: string): string => (typeof e[k] === 'string' ? e[k] : '');
  const n = (k: string): number => (typeof e[k] === 'number' ? e[k] : 0);
  return { version: s('version'), blob: s('blob'), createdAt: s('createdAt'), durationMs: n('durationMs'), stores: n('stores'), series: n('series'), rows: n('rows'), groups: n('groups'), lastDay: s('lastDay') };
}
