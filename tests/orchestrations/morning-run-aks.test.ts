import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../support/local-host.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { startFakeArm, type FakeArm } from '../support/fake-arm.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { AksDispatcher, jobName, pooledJobName } from '../../core/adapters/dispatch/aks.js';
import type { MorningSummary } from '../../orchestrations/morning-run.js';
import { morningInstanceId, morningRunId } from '../../orchestrations/names.js';
import { fakeAksBackend, openTestStorage, useTestRuntime, seedStores, startAppHost, testConfig, trainerEnv, trainNow } from './helpers.js';
import { createRuntime } from '../../core/runtime.js';

describe('morning run through the aks backend (fake Kubernetes API + fake ARM on loopback)', () => {
  let azurite: AzuriteInstance;
  let storage: AzureStorage;
  let k8s: FakeKubernetes;
  let arm: FakeArm;
  let host: LocalHost;

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = await openTestStorage(azurite.connectionString);
    await seedStores(storage, ['s1', 's2', 's3', 'bad'], { withoutHistory: ['empty'] });
    // 'bad' has yesterday's forecast; today its pods crash.
    await trainNow(azurite.connectionString, 'bad', 'yesterday-1');
    k8s = await startFakeKubernetes();
    k8s.failStore('bad');
    arm = await startFakeArm({ kubeconfig: () => k8s.kubeConfigYaml(), pools: { training: { count: 1, enableAutoScaling: false } } });
    const env = { FOREACT_DISPATCH: 'aks', FOREACT_AKS_SUBSCRIPTION_ID: 'sub-1', FOREACT_AKS_RESOURCE_GROUP: 'rg', FOREACT_AKS_CLUSTER: 'aks', FOREACT_AKS_IMAGE: 'acr.example/trainer:1', FOREACT_MORNING_CONCURRENCY: '2', FOREACT_POLL_SECONDS: '0.2', FOREACT_SECONDS_PER_STORE: '600', FOREACT_AKS_WINDOW_SECONDS: '600', FOREACT_AKS_PODS_PER_NODE: '1', FOREACT_AKS_POOL_MAX: '10', FOREACT_K8S_REQUEST_TIMEOUT_MS: '1000' };
    const config = testConfig(azurite.connectionString, env);
    await useTestRuntime(createRuntime(config), await fakeAksBackend(config, arm, azurite.connectionString));
    host = await startAppHost(azurite.connectionString);
  });

  afterAll(async () => {
    await host?.stop();
    await k8s?.stop();
    await arm?.stop();
    await azurite?.stop();
  });

  it('publishes every store, reports the failing one (kept stale), retries API faults, joins a duplicate Job, scales the pool', async () => {
    const date = new Date().toLocaleDateString('sv-SE');
    const runId = morningRunId(date);
    // A Job for s3 already exists (an earlier attempt's create whose answer was lost): the run must join it.
    await new AksDispatcher({ kubeConfig: k8s.kubeConfig(), namespace: 'foreact', image: 'x', serviceAccount: 'foreact-trainer', pool: 'training', env: trainerEnv(azurite.connectionString) }).dispatch({ runId, stores: ['s3'], trigger: 'morning' });
    // Transient API faults: a 500 on a create and a hung status read; RetryOptions must absorb both.
    k8s.fault({ method: 'POST', path: /\/jobs$/, status: 500, times: 1 });
    k8s.fault({ method: 'GET', path: /\/jobs\/train-/, hangMs: 1500, times: 1 });

    // A run past the retention (14 days) that no store points at any more: the morning run cleans it up.
    const longAgo = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await storage.runs.put({ runId: 'ancient-1', store: 's1', trigger: 'manual', status: 'succeeded', stage: 'done', progress: 1, stages: [], createdAt: longAgo });
    await storage.forecasts.writeRun('s1', 'ancient-1', (await storage.forecasts.readRun('bad', 'yesterday-1')).map((row) => ({ ...row, store: 's1', runId: 'ancient-1' })));

    await host.fireTimer('morning-timer');
    await host.fireTimer('morning-timer'); // same day: no second instance
    const done = await host.durable.waitForInstance(morningInstanceId(date), 240_000);
    expect(done.runtimeStatus).toBe('Completed');
    const summary = done.output as MorningSummary;
    expect(summary).toMatchObject({ succeeded: 3, failed: 1, skipped: 1 });
    expect(summary.failures[0]).toMatchObject({ store: 'bad' });
    expect(summary.failures[0]!.error).toMatch(/BackoffLimitExceeded/);
    expect(summary.skippedStores).toEqual([{ store: 'empty', reason: 'no sales history' }]);
    // No store has drivers, so no model would read pooled ones: no pooled Job, and the summary says why.
    expect(summary.pooled).toEqual({ skipped: expect.stringMatching(/^no store has drivers/) as unknown });
    expect(k8s.jobs.has(`foreact/${pooledJobName(runId)}`) || [...k8s.jobs.values()].some((j) => j.metadata?.name === pooledJobName(runId))).toBe(false);

    for (const s of ['s1', 's2', 's3']) {
      const state = (await storage.stores.get(s))!.value;
      expect(state.current?.runId, s).toBe(runId);
      expect(state.stale, s).toBe(false);
      expect((await storage.forecasts.readRun(s, runId)).length, s).toBe(4);
    }
    expect(await storage.runs.get('ancient-1', 's1')).toBeUndefined();
    expect(await storage.forecasts.readRun('s1', 'ancient-1')).toEqual([]);
    const bad = (await storage.stores.get('bad'))!.value;
    expect(bad.current?.runId).toBe('yesterday-1');
    expect(bad.stale).toBe(true);
    expect(bad.staleReason).toMatch(/BackoffLimitExceeded/);
    expect(k8s.pods.filter((p) => p.job === jobName(runId, 'bad'))).toHaveLength(3); // backoffLimit 2 → 3 pods

    expect(k8s.requests.filter((r) => r.method === 'POST' && r.status === 500)).toHaveLength(1);
    expect(k8s.requests.filter((r) => r.method === 'POST' && r.status === 409).length).toBeGreaterThanOrEqual(1);
    expect(k8s.pods.filter((p) => p.job === jobName(runId, 's3'))).toHaveLength(1);

    const record = await storage.runs.get(runId, undefined);
    expect(record?.details).toMatchObject({ succeeded: 3, failed: 1, skipped: 1 });

    // 4 stores × 600 s / 600 s window / 1 pod per node = 4 nodes, then back to the configured minimum
    // (FOREACT_AKS_POOL_MIN = 0), not to the 1 node the pool happened to have when the run began.
    const puts = arm.calls.filter((c) => c.method === 'PUT');
    expect(puts.map((c) => (c.body as { properties: { count: number } }).properties.count)).toEqual([4, 0]);
    expect(arm.pools.get('training')?.count).toBe(0);
    expect(record?.details?.scaling).toEqual({ previous: { count: 0, autoscaling: false }, target: { count: 4, autoscaling: false } });
  });
});
