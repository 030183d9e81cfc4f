import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../support/local-host.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { AksDispatcher, batchJobName, jobName, pooledJobName } from '../../core/adapters/dispatch/aks.js';
import type { MorningSummary } from '../../orchestrations/morning-run.js';
import { storeBlobName } from '../../core/domain/store-pointers.js';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId, morningRunId } from '../../orchestrations/names.js';
import { openTestStorage, useTestRuntime, seedPromotions, seedStores, startAppHost, testConfig, trainerEnv, trainNow } from './helpers.js';
import { createRuntime } from '../../core/runtime.js';

describe('morning run in batches through the aks backend (a Job per batch of stores)', () => {
  let azurite: AzuriteInstance;
  let storage: AzureStorage;
  let k8s: FakeKubernetes;
  let host: LocalHost;

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = await openTestStorage(azurite.connectionString);
    await seedStores(storage, ['bad', 's1', 's2', 's3', 's4']);
    // Drivers make the learned family a candidate, and so the run pools (see the pooled Job below).
    await seedPromotions(storage);
    // 'bad' has yesterday's forecast; today its history blob is gone, so the trainer fails on it (inside
    // the pod, which goes on with the next store of its batch).
    await trainNow(azurite.connectionString, 'bad', 'yesterday-1');
    const bad = (await storage.stores.get('bad'))!;
    // A name of the store's own (any other is dropped on read, as a pointer a trainer may have forged).
    const missing = 'v20200101T000000000Z-000000';
    await storage.stores.save({ ...bad.value, history: { ...bad.value.history!, blob: storeBlobName('history', 'bad', missing), version: missing } }, bad.etag);
    k8s = await startFakeKubernetes();
    const config = testConfig(azurite.connectionString, { FOREACT_DISPATCH: 'local', FOREACT_MORNING_BATCH_SIZE: '2', FOREACT_MORNING_CONCURRENCY: '2', FOREACT_POLL_SECONDS: '0.2' });
    const dispatcher = new AksDispatcher({ kubeConfig: k8s.kubeConfig(), namespace: 'foreact', image: 'acr.example/trainer:1', serviceAccount: 'foreact-trainer', pool: 'training', requestTimeoutMs: 2000, env: trainerEnv(azurite.connectionString) });
    await useTestRuntime(createRuntime(config), { dispatcher });
    host = await startAppHost(azurite.connectionString);
  });

  afterAll(async () => {
    await host?.stop();
    await k8s?.stop();
    await azurite?.stop();
  });

  it('batch size 2 over 5 stores: 3 Jobs, all published but the failing store, whose batch-mate still succeeds', async () => {
    const date = new Date().toLocaleDateString('sv-SE');
    const runId = morningRunId(date);
    await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: morningInstanceId(date), input: { date } });
    const done = await host.durable.waitForInstance(morningInstanceId(date), 240_000);
    expect(done.runtimeStatus).toBe('Completed');
    const summary = done.output as MorningSummary;
    expect(summary).toMatchObject({ succeeded: 4, failed: 1, skipped: 0, batchSize: 2, batches: 3 });
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]).toMatchObject({ store: 'bad' });
    expect(summary.failures[0]!.error).toMatch(/missing-history|not found|does not exist|BlobNotFound/i);
    expect(summary.sumTrainingMs).toBeGreaterThan(0);

    // Sorted stores [bad, s1, s2, s3, s4] → Jobs (bad, s1), (s2, s3) and a one-store Job for s4, after the
    // run's pooled Job.
    const names = [...k8s.jobs.values()].map((j) => j.metadata?.name).sort();
    expect(names).toEqual([pooledJobName(runId), batchJobName(runId, 0, ['bad', 's1']), batchJobName(runId, 1, ['s2', 's3']), jobName(runId, 's4')].sort());
    // The pooled Job: the trainer in pooled mode, with its own memory; it left out the store whose history is
    // gone, pooled the others, and every store Job was told to read this run's version.
    const pooledJob = [...k8s.jobs.values()].find((j) => j.metadata?.name === pooledJobName(runId))!;
    const pooledContainer = pooledJob.spec!.template.spec!.containers[0]!;
    expect(pooledContainer.args).toEqual(['--pooled', `--run=${runId}`, '--trigger=morning']);
    expect(pooledContainer.resources?.limits?.memory).toBe('4096Mi');
    const [pooledPod] = k8s.pods.filter((p) => p.job === pooledJobName(runId));
    expect(pooledPod?.exitCode).toBe(0);
    expect(Math.min(...k8s.pods.filter((p) => p.job !== pooledJobName(runId)).map((p) => p.startedAt))).toBeGreaterThanOrEqual(pooledPod!.finishedAt!);
    expect(summary.pooled).toMatchObject({ version: runId, stores: 4 });
    for (const job of k8s.jobs.values()) if (job.metadata?.name !== pooledJobName(runId)) expect(job.spec!.template.spec!.containers[0]!.args, job.metadata?.name).toContain(`--pooled-version=${runId}`);
    // The pod ran both stores and exited 0: no pod retries for a store that failed inside the batch.
    expect(k8s.pods.filter((p) => p.job === batchJobName(runId, 0, ['bad', 's1']))).toHaveLength(1);

    for (const s of ['s1', 's2', 's3', 's4']) {
      const state = (await storage.stores.get(s))!.value;
      expect(state.current?.runId, s).toBe(runId);
      expect(state.stale, s).toBe(false);
      expect((await storage.runs.get(runId, s))?.status, s).toBe('succeeded');
      expect((await storage.runs.get(runId, s))?.details?.pooled, s).toBe(runId);
    }
    const bad = (await storage.stores.get('bad'))!.value;
    expect(bad.current?.runId).toBe('yesterday-1');
    expect(bad.stale).toBe(true);
    expect(bad.staleReason).toMatch(new RegExp(`run ${runId} failed`));
    expect((await storage.runs.get(runId, 'bad'))?.status).toBe('failed');
    expect((await storage.runs.get(runId, undefined))?.details).toMatchObject({ succeeded: 4, failed: 1, batches: 3 });
  });
});
