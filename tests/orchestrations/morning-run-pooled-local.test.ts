import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../support/local-host.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { POOLED_LATEST_ROW, POOLED_PARTITION } from '../../core/adapters/azure/pooled-artifacts.js';
import { LocalDispatcher } from '../../core/adapters/dispatch/local.js';
import type { AppConfig } from '../../core/config.js';
import { ingestStoreAttributesUpload } from '../../core/domain/store-attributes.js';
import { systemClock } from '../../core/ports/index.js';
import { parsePooledArtifact } from '../../engine/index.js';
import type { MorningSummary } from '../../orchestrations/morning-run.js';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId, morningRunId, refreshInstanceId, STORE_REFRESH_ORCHESTRATION } from '../../orchestrations/names.js';
import type { RefreshStatus } from '../../orchestrations/store-refresh.js';
import { openTestStorage, useTestRuntime, REPO, seedPromotions, seedStores, startAppHost, testConfig } from './helpers.js';
import { createRuntime, type Runtime } from '../../core/runtime.js';

const STORES = ['p1', 'p2', 'p3'];
const FAILING_POOLED_WORKER = resolve(REPO, 'tests/fixtures/faults/failing-pooled-worker.cjs');

/** Every custom status stage the instance shows, in order, until it completes. */
async function stagesUntilDone(host: LocalHost, instanceId: string, timeoutMs: number): Promise<{ stages: string[]; output: unknown }> {
  const stages: string[] = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await host.durable.getStatus(instanceId);
    const stage = (s?.customStatus as { stage?: string } | undefined)?.stage;
    if (stage !== undefined && stages.at(-1) !== stage) stages.push(stage);
    if (s && ['Completed', 'Failed', 'Terminated'].includes(String(s.runtimeStatus))) {
      expect(s.runtimeStatus).toBe('Completed');
      return { stages, output: s.output };
    }
    if (Date.now() > end) throw new Error(`${instanceId} did not finish; last ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function refresh(host: LocalHost, store: string, runId: string): Promise<RefreshStatus> {
  await host.durable.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: refreshInstanceId(store), input: { store, runId } });
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    const s = await host.durable.getStatus(refreshInstanceId(store));
    const custom = s?.customStatus as RefreshStatus | undefined;
    if (custom?.runId === runId && ['Completed', 'Failed'].includes(String(s?.runtimeStatus))) return custom;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`refresh ${runId} did not finish`);
}

describe('the morning run’s pooled step on the local host (worker threads, Azurite)', () => {
  let azurite: AzuriteInstance;
  let storage: AzureStorage;
  let host: LocalHost;
  let config: AppConfig;
  let runtime: Runtime;
  let dispatcher: LocalDispatcher;

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = await openTestStorage(azurite.connectionString);
    await seedStores(storage, STORES, { items: 3, days: 400 });
    // With drivers the learned family is a candidate in every store's backtest: it is what reads the pooled
    // models (a run whose stores have no drivers skips the step).
    await seedPromotions(storage);
    const attributes = 'store,type,size\np1,a,1200\np2,b,800\np3,a,950\n';
    const stored = await ingestStoreAttributesUpload(storage, { name: 'stores/chain.csv', open: () => [attributes] }, { clock: systemClock });
    expect(stored.status).toBe('applied');
    config = testConfig(azurite.connectionString, { FOREACT_DISPATCH: 'local', FOREACT_POLL_SECONDS: '0.2', FOREACT_MORNING_CONCURRENCY: '2', FOREACT_MORNING_BATCH_SIZE: '2' });
    runtime = createRuntime(config);
    dispatcher = new LocalDispatcher({ workers: 2, config });
    await useTestRuntime(runtime, { dispatcher });
    host = await startAppHost(azurite.connectionString);
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    await dispatcher?.close();
    await azurite?.stop();
  });

  it('pools before the stores: pooled/<runId>.json, its pointer, and every store trained on that version', async () => {
    const date = '2026-12-01';
    const runId = morningRunId(date);
    await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: morningInstanceId(date), input: { date } });
    const { stages, output } = await stagesUntilDone(host, morningInstanceId(date), 240_000);
    expect(stages.indexOf('pooling')).toBeGreaterThan(stages.indexOf('planning'));
    expect(stages.indexOf('pooling')).toBeLessThan(stages.indexOf('training'));

    const summary = output as MorningSummary;
    expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
    expect(summary.pooled).toMatchObject({ version: runId, stores: 3, series: 9 });
    expect(summary.pooled && 'rows' in summary.pooled ? summary.pooled.rows : 0).toBeGreaterThan(0);
    expect(summary.pooled && 'groups' in summary.pooled ? summary.pooled.groups : 0).toBeGreaterThanOrEqual(1);
    // The run record (what GET /runs/{id} and the morning alert read) keeps it too.
    expect((await storage.runs.get(runId, undefined))?.details?.pooled).toEqual(summary.pooled);

    const blob = await storage.clients.container('models').getBlobClient(`pooled/${runId}.json`).downloadToBuffer();
    const artifact = parsePooledArtifact(JSON.parse(blob.toString()) as unknown);
    expect(artifact.trainedOn.stores).toBe(3);
    expect(artifact.groups.flatMap((g) => g.stores).sort()).toEqual(STORES);
    const pointer = await storage.clients.table('models').getEntity<{ version: string }>(POOLED_PARTITION, POOLED_LATEST_ROW);
    expect(pointer.version).toBe(runId);

    for (const store of STORES) {
      const record = await storage.runs.get(runId, store);
      expect(record?.status, store).toBe('succeeded');
      // Only a store that read and validated this run's artifact records its version, and the engine's learned
      // family took its models from the pooled groups, not from a fit of the store's own items.
      expect(record?.details?.pooled, store).toBe(runId);
      expect(record?.details?.learned, store).toEqual(['pooled']);
      expect(record?.details?.attributes, store).toEqual(['type', 'size']);
      expect((await storage.stores.get(store))!.value.current?.runId, store).toBe(runId);
    }
  }, 300_000);

  it('a refresh trains on the latest pooled artifact the pointer names', async () => {
    const latest = await storage.pooled.latest();
    expect(latest).toBe(morningRunId('2026-12-01'));
    const status = await refresh(host, 'p2', 'refresh-p2-pooled-1');
    expect(status.stage).toBe('done');
    expect((await storage.runs.get('refresh-p2-pooled-1', 'p2'))?.details?.pooled).toBe(latest);
    expect((await storage.runs.get('refresh-p2-pooled-1', 'p2'))?.details?.learned).toEqual(['pooled']);
  }, 120_000);

  it('a check run does not pool: its store trains on the latest pooled artifact', async () => {
    const runId = 'check-20261201T060000000Z-abcdef.p1';
    await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: runId, input: { date: '2026-12-01', runId, stores: ['p1'] } });
    const { stages, output } = await stagesUntilDone(host, runId, 120_000);
    expect(stages).not.toContain('pooling');
    const summary = output as MorningSummary;
    expect(summary).toMatchObject({ succeeded: 1, failed: 0 });
    expect(summary.pooled).toBeUndefined();
    expect(await storage.clients.container('models').getBlobClient(`pooled/${runId}.json`).exists()).toBe(false);
    const record = await storage.runs.get(runId, 'p1');
    expect(record?.details?.pooled).toBe(morningRunId('2026-12-01'));
    expect(record?.details?.learned).toEqual(['pooled']);
  }, 120_000);

  it('a tampered pointer (../x) is refused: the refresh trains without a pooled artifact and says why', async () => {
    const table = storage.clients.table('models');
    const good = await storage.pooled.latest();
    await table.upsertEntity({ partitionKey: POOLED_PARTITION, rowKey: POOLED_LATEST_ROW, version: '../x' }, 'Replace');
    try {
      const status = await refresh(host, 'p3', 'refresh-p3-tampered-1');
      expect(status.stage).toBe('done');
      const record = await storage.runs.get('refresh-p3-tampered-1', 'p3');
      expect(record?.details?.pooled).toBeNull();
      expect(record?.details?.learned).toEqual(['store']);
      expect(record?.details?.notes).toEqual(expect.arrayContaining([expect.stringMatching(/without the pooled artifact: the latest pooled pointer names "\.\.\/x", which is not a run id: refused/)]));
    } finally {
      await table.upsertEntity({ partitionKey: POOLED_PARTITION, rowKey: POOLED_LATEST_ROW, version: good! }, 'Replace');
    }
  }, 120_000);

  it('a failed pooled step leaves the run publishing: stores train alone, the summary says why, the pointer stays', async () => {
    const failing = new LocalDispatcher({ workers: 2, config, workerModule: FAILING_POOLED_WORKER });
    await useTestRuntime(runtime, { dispatcher: failing });
    try {
      const date = '2026-12-02';
      const runId = morningRunId(date);
      await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: morningInstanceId(date), input: { date } });
      const { stages, output } = await stagesUntilDone(host, morningInstanceId(date), 240_000);
      expect(stages).toContain('pooling');
      const summary = output as MorningSummary;
      expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
      expect(summary.pooled).toMatchObject({ error: expect.stringMatching(/writing the pooled artifact was refused/) as unknown });
      for (const store of STORES) {
        const record = await storage.runs.get(runId, store);
        expect(record?.status, store).toBe('succeeded');
        // Not yesterday's artifact: this run's stores train alone when its own step failed.
        expect(record?.details?.pooled, store).toBeNull();
        expect(record?.details?.learned, store).toEqual(['store']);
        expect((await storage.stores.get(store))!.value.current?.runId, store).toBe(runId);
      }
      expect(await storage.pooled.latest()).toBe(morningRunId('2026-12-01'));
    } finally {
      await failing.close();
      await useTestRuntime(runtime, { dispatcher });
    }
  }, 300_000);
});
