import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, RoutingDispatcher, type AppDeps } from '../../core/composition.js';
import { loadConfig } from '../../core/config.js';
import { LocalDispatcher } from '../../core/adapters/dispatch/local.js';
import { ingestUpload } from '../../core/domain/ingestion.js';
import type { TrainingDispatcher, TrainingStatus } from '../../core/ports/training-dispatcher.js';
import { fakeCredential, startFakeArm, type FakeArm } from '../support/fake-arm.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

// Issue 13 item 6: a refresh must not wait for a node of a training pool resting at zero.
const WORKER = path.resolve(__dirname, '../../dist/k8s-training/worker.js');

async function until(d: TrainingDispatcher, handle: string, done: (s: TrainingStatus) => boolean, timeoutMs = 30_000): Promise<TrainingStatus> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await d.status(handle);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`${handle}: still ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('training backends: refreshes in the Function App, the morning run on AKS', () => {
  let t: TestStorage;
  let k8s: FakeKubernetes;
  let arm: FakeArm;
  const built: AppDeps[] = [];

  const aksEnv = (extra: Record<string, string> = {}) => ({
    ...t.env,
    FOREACT_DISPATCH: 'aks',
    FOREACT_AKS_SUBSCRIPTION_ID: 'sub-1',
    FOREACT_AKS_RESOURCE_GROUP: 'rg',
    FOREACT_AKS_CLUSTER: 'aks',
    FOREACT_AKS_IMAGE: 'acr.example/trainer:1',
    FOREACT_ARM_ENDPOINT: arm.endpoint,
    FOREACT_LOCAL_WORKERS: '1',
    ...extra,
  });
  const deps = async (env: Record<string, string | undefined>): Promise<AppDeps> => {
    const d = await buildDeps(loadConfig(env), { credential: fakeCredential, armClientOptions: { tlsOptions: { ca: arm.ca } } });
    built.push(d);
    return d;
  };

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run "npm run build" first`);
    t = await startTestStorage({ FOREACT_HORIZON_DAYS: '14', FOREACT_BACKTEST_FOLDS: '1' });
    await ingestUpload(t.storage, { name: 'seed.csv.gz', open: () => [gzipSync(toCsv(sampleStore('Z1', 6, 400, 31)))] }, { clock: { now: () => new Date() } });
    // Pods do nothing here: only where a request goes is under test.
    k8s = await startFakeKubernetes({ mapCommand: () => ({ command: process.execPath, args: ['-e', ''] }) });
    arm = await startFakeArm({ kubeconfig: () => k8s.kubeConfigYaml() });
  });
  afterAll(async () => {
    for (const d of built) {
      const { dispatcher } = await d.dispatch();
      if (dispatcher instanceof RoutingDispatcher || dispatcher instanceof LocalDispatcher) await dispatcher.close();
    }
    await arm?.stop();
    await k8s?.stop();
    await t?.stop();
  });

  it('FOREACT_REFRESH_DISPATCH defaults to local: a refresh trains in worker threads while the morning run gets Jobs', async () => {
    expect(loadConfig(aksEnv()).dispatch.refreshBackend).toBe('local');
    const d = await deps(aksEnv());
    const { dispatcher, scaler } = await d.dispatch();
    expect(scaler).toBeDefined();
    const started = Date.now();
    const refresh = await dispatcher.dispatch({ runId: 'refresh-z1', stores: ['Z1'], trigger: 'refresh' });
    expect(refresh.handle).toMatch(/^local\//);
    expect((await until(dispatcher, refresh.handle, (s) => s.state === 'succeeded' || s.state === 'failed')).state).toBe('succeeded');
    const elapsed = Date.now() - started;
    expect((await t.storage.stores.get('Z1'))?.value.current?.runId).toBe('refresh-z1');
    expect(elapsed).toBeLessThan(20_000);
    expect(k8s.jobs.size).toBe(0);

    const morning = await dispatcher.dispatch({ runId: 'morning-z', stores: ['Z1', 'Z2'], trigger: 'morning', batch: 0 });
    expect(morning.handle).toMatch(/^aks\//);
    expect(k8s.jobs.size).toBe(1);
    await dispatcher.cancel(morning.handle);
  });

  it('another instance of the Function App answers a refresh’s status from the run record, whatever the morning backend', async () => {
    const elsewhere = new RoutingDispatcher({ morning: { kind: 'aks', dispatch: () => Promise.reject(new Error('unused')), status: () => Promise.resolve({ state: 'unknown' }), cancel: () => Promise.resolve() }, refresh: new LocalDispatcher({ workers: 1, config: t.config, runs: t.storage.runs }) });
    expect(await elsewhere.status('local/refresh-z1/Z1')).toMatchObject({ state: 'succeeded' });
    expect(await elsewhere.status('local/never-started/Z1')).toMatchObject({ state: 'unknown' });
    await elsewhere.close();
    // Both backends local (the default): no router, and the local pool itself still answers from the record.
    const d = await deps({ ...t.env, FOREACT_DISPATCH: 'local', FOREACT_REFRESH_DISPATCH: 'local' });
    const { dispatcher } = await d.dispatch();
    expect(dispatcher).toBeInstanceOf(LocalDispatcher);
    expect(await dispatcher.status('local/refresh-z1/Z1')).toMatchObject({ state: 'succeeded' });
    expect(await dispatcher.status('local/morning-z/batch-0-abc')).toMatchObject({ state: 'unknown' });
  });

  it('FOREACT_REFRESH_DISPATCH=aks sends refreshes to the pool too (and needs the cluster settings)', async () => {
    const d = await deps(aksEnv({ FOREACT_REFRESH_DISPATCH: 'aks' }));
    const { dispatcher } = await d.dispatch();
    const refresh = await dispatcher.dispatch({ runId: 'refresh-z1-aks', stores: ['Z1'], trigger: 'refresh' });
    expect(refresh.handle).toMatch(/^aks\//);
    await dispatcher.cancel(refresh.handle);
    expect(() => loadConfig({ ...t.env, FOREACT_REFRESH_DISPATCH: 'aks' })).toThrow(/FOREACT_AKS_SUBSCRIPTION_ID: is required when FOREACT_REFRESH_DISPATCH=aks/);
    expect(() => loadConfig({ ...t.env, FOREACT_REFRESH_DISPATCH: 'pool' })).toThrow(/FOREACT_REFRESH_DISPATCH/);
  });
});
