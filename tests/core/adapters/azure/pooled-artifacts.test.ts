import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledBlobName, POOLED_LATEST_ROW, POOLED_PARTITION } from '../../../../core/adapters/azure/pooled-artifacts.js';
import { cleanupPooledArtifacts } from '../../../../core/domain/pooled-step.js';
import { loadPooledArtifact } from '../../../../core/domain/pooled-inputs.js';
import type { PooledVersion } from '../../../../core/ports/index.js';
import { trainPooled, type PooledArtifact } from '../../../../engine/index.js';
import { sampleStore } from '../../../support/sales.js';
import { startTestStorage, type TestStorage } from '../../../support/storage.js';

describe('pooled artifacts in the models container and table (Azurite)', () => {
  let t: TestStorage;
  let artifact: PooledArtifact;
  const entry = (version: string, createdAt: string): PooledVersion => ({ version, blob: pooledBlobName(version), createdAt, durationMs: 1, stores: 2, series: 4, rows: 10, groups: 1, lastDay: artifact.lastDay });

  beforeAll(async () => {
    t = await startTestStorage();
    artifact = trainPooled(['a', 'b'].map((store, i) => ({ store, series: sampleStore(store, 2, 300, 3 + i) })), { horizon: 7, folds: 1 });
  }, 60_000);
  afterAll(() => t?.stop());

  it('reads a version back validated; the latest pointer is followed only when it names a run id', async () => {
    await t.storage.pooled.write('morning-2026-12-01', artifact);
    await t.storage.pooled.record(entry('morning-2026-12-01', '2026-12-01T05:01:00.000Z'));
    await t.storage.pooled.setLatest('morning-2026-12-01');
    const loaded = await loadPooledArtifact(t.storage, 'latest');
    expect(loaded.pooled?.version).toBe('morning-2026-12-01');
    expect(loaded.pooled?.artifact).toEqual(artifact);

    const table = t.storage.clients.table('models');
    for (const tampered of ['../x', 'pooled/../../sales/a', '.hidden', '']) {
      await table.upsertEntity({ partitionKey: POOLED_PARTITION, rowKey: POOLED_LATEST_ROW, version: tampered }, 'Replace');
      const refused = await loadPooledArtifact(t.storage, 'latest');
      expect(refused.pooled, tampered).toBeUndefined();
      expect(refused.pooledProblem, tampered).toMatch(/not a run id: refused/);
    }
    // The adapter refuses it too, whoever asks.
    await expect(t.storage.pooled.read('../x')).rejects.toThrow(/run id "..\/x" is invalid/);
    await t.storage.pooled.setLatest('morning-2026-12-01');
    expect((await loadPooledArtifact(t.storage, 'none')).pooled).toBeUndefined();
  });

  it('an artifact that is not the engine’s is refused, naming the field; the store trains without it', async () => {
    const blob = t.storage.clients.container('models').getBlockBlobClient(pooledBlobName('morning-2026-12-01'));
    const good = await blob.downloadToBuffer();
    await blob.uploadData(Buffer.from(JSON.stringify({ ...artifact, horizon: 'seven' })));
    const loaded = await loadPooledArtifact(t.storage, { version: 'morning-2026-12-01' });
    expect(loaded.pooled).toBeUndefined();
    expect(loaded.pooledProblem).toMatch(/pooled artifact morning-2026-12-01 unusable: pooled artifact pooled\/morning-2026-12-01\.json: .*horizon/);
    await blob.uploadData(good);
  });

  it('retention deletes old versions (record and blob), never the latest', async () => {
    await t.storage.pooled.write('morning-2026-10-01', artifact);
    await t.storage.pooled.record(entry('morning-2026-10-01', '2026-10-01T05:01:00.000Z'));
    await t.storage.pooled.write('morning-2026-09-01', artifact);
    await t.storage.pooled.record(entry('morning-2026-09-01', '2026-09-01T05:01:00.000Z'));
    await t.storage.pooled.setLatest('morning-2026-09-01');
    const deleted = await cleanupPooledArtifacts(t.storage, new Date('2026-12-02T05:00:00.000Z'), 14);
    expect(deleted).toBe(1);
    expect((await t.storage.pooled.list()).map((v) => v.version).sort()).toEqual(['morning-2026-09-01', 'morning-2026-12-01']);
    expect(await t.storage.clients.container('models').getBlobClient(pooledBlobName('morning-2026-10-01')).exists()).toBe(false);
    expect((await t.storage.pooled.read('morning-2026-09-01')).lastDay).toBe(artifact.lastDay);
  });
});
