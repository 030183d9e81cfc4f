import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AksDispatcher, batchJobName, jobName, labelValue } from '../../../../core/adapters/dispatch/aks.js';
import { AksPoolScaler, clusterKubeConfig } from '../../../../core/adapters/dispatch/aks-cluster.js';
import { morningBatchSize, nodesFor, type TrainingDispatcher, type TrainingStatus } from '../../../../core/ports/training-dispatcher.js';
import { fakeCredential, startFakeArm, type FakeArm } from '../../../support/fake-arm.js';
import { startFakeKubernetes, type FakeKubernetes } from '../../../support/fake-kubernetes.js';

/** The pod "trainer": exits with the code in EXIT_CODE after printing its arguments and store env. */
const POD_SCRIPT = 'console.log(JSON.stringify({ argv: process.argv.slice(1), store: process.env.FOREACT_STORE })); setTimeout(() => process.exit(Number(process.env.EXIT_CODE ?? 0)), 50)';

async function until(dispatcher: TrainingDispatcher, handle: string, done: (s: TrainingStatus) => boolean, timeoutMs = 15_000): Promise<TrainingStatus> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await dispatcher.status(handle);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting; last status ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('aks dispatcher against a fake Kubernetes API and a fake ARM', () => {
  let k8s: FakeKubernetes;
  let arm: FakeArm;
  let dispatcher: AksDispatcher;
  const cluster = () => ({ credential: fakeCredential, subscriptionId: 'sub-1', resourceGroup: 'rg-foreact', cluster: 'aks-foreact', endpoint: arm.endpoint, clientOptions: { tlsOptions: { ca: arm.ca } } });

  beforeAll(async () => {
    k8s = await startFakeKubernetes({ mapCommand: (c) => ({ command: process.execPath, args: ['-e', POD_SCRIPT, '--', ...c.args] }) });
    arm = await startFakeArm({ kubeconfig: () => k8s.kubeConfigYaml(), pools: { training: { count: 1, enableAutoScaling: false }, auto: { count: 1, enableAutoScaling: true, minCount: 0, maxCount: 3 } } });
    // Credentials the production way: listClusterUserCredentials → kubeconfig → @kubernetes/client-node.
    const kubeConfig = await clusterKubeConfig(cluster());
    dispatcher = new AksDispatcher({ kubeConfig, namespace: 'foreact', image: 'acr.example/foreact-trainer:1', serviceAccount: 'foreact-trainer', pool: 'training', env: { EXIT_CODE: '0' }, workloadClientId: '00000000-0000-0000-0000-000000000001', requestTimeoutMs: 500 });
  });

  afterAll(async () => {
    await k8s?.stop();
    await arm?.stop();
  });

  it('fills the template: names, labels, workload identity, image, arguments, limits', () => {
    const job = dispatcher.manifest({ runId: 'morning-2026-11-24', stores: ['Store 7/Ä'], trigger: 'morning' });
    expect(job.metadata?.name).toBe(jobName('morning-2026-11-24', 'Store 7/Ä'));
    expect(job.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(job.metadata!.name!.length).toBeLessThanOrEqual(63);
    expect(job.metadata?.labels?.['foreact/store']).toBe(labelValue('Store 7/Ä'));
    expect(job.spec?.template.metadata?.labels?.['azure.workload.identity/use']).toBe('true');
    expect(job.spec?.template.spec?.serviceAccountName).toBe('foreact-trainer');
    expect(job.spec?.backoffLimit).toBeGreaterThan(0);
    expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(job.spec?.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const c = job.spec!.template.spec!.containers[0]!;
    expect(c.image).toBe('acr.example/foreact-trainer:1');
    expect(c.command).toEqual(['node', 'dist/k8s-training/trainer.js']);
    expect(c.args).toEqual(['--store=Store 7/Ä', '--run=morning-2026-11-24', '--trigger=morning']);
    expect(c.resources?.limits?.memory).toBeDefined();
    expect(c.env).toContainEqual({ name: 'AZURE_CLIENT_ID', value: '00000000-0000-0000-0000-000000000001' });
  });

  it('a batch of stores is one Job: --store per store, a batch label, a name stable per (run, batch index)', async () => {
    const request = { runId: 'morning-2026-11-24', stores: ['a', 'b', 'c'], trigger: 'morning' as const, batch: 3 };
    const job = dispatcher.manifest(request);
    expect(job.metadata?.name).toBe(batchJobName('morning-2026-11-24', 3, ['a', 'b', 'c']));
    expect(job.metadata?.name).toMatch(/^train-morning-2026-11-24-b3-[0-9a-f]{10}$/);
    expect(dispatcher.manifest(request).metadata?.name).toBe(job.metadata?.name);
    expect(dispatcher.manifest({ ...request, batch: 4 }).metadata?.name).not.toBe(job.metadata?.name);
    expect(job.metadata?.labels).toMatchObject({ 'foreact/batch': '3', 'foreact/run': 'morning-2026-11-24' });
    expect(job.metadata?.labels?.['foreact/store']).toBeUndefined();
    expect(job.spec?.template.metadata?.labels?.['foreact/store']).toBeUndefined();
    expect(job.metadata?.annotations?.['foreact/stores']).toBe('a,b,c');
    const c = job.spec!.template.spec!.containers[0]!;
    expect(c.args).toEqual(['--store=a', '--store=b', '--store=c', '--run=morning-2026-11-24', '--trigger=morning']);
    expect(c.env).toContainEqual({ name: 'FOREACT_STORES', value: 'a,b,c' });
    const first = await dispatcher.dispatch({ ...request, runId: 'run-b' });
    expect(await dispatcher.dispatch({ ...request, runId: 'run-b' })).toEqual({ handle: first.handle, alreadyRunning: true });
    expect((await until(dispatcher, first.handle, (s) => s.state === 'succeeded' || s.state === 'failed')).state).toBe('succeeded');
    expect(k8s.pods.filter((p) => p.job === batchJobName('run-b', 3, ['a', 'b', 'c']))).toHaveLength(1);
  });

  it('morning batch size: the setting, else ~45 s of training per job at the measured seconds per store, 1..50', () => {
    expect(morningBatchSize(undefined, 0.4)).toBe(50);
    expect(morningBatchSize(undefined, 2.5)).toBe(18);
    expect(morningBatchSize(undefined, 5)).toBe(9);
    expect(morningBatchSize(undefined, 600)).toBe(1);
    expect(morningBatchSize(undefined, 0)).toBe(1);
    expect(morningBatchSize(7, 0.4)).toBe(7);
  });

  it('creates a Job, watches it complete, and treats a duplicate create as already running', async () => {
    const request = { runId: 'run-1', stores: ['s1'], trigger: 'refresh' as const };
    const first = await dispatcher.dispatch(request);
    expect(first.alreadyRunning).toBe(false);
    const again = await dispatcher.dispatch(request);
    expect(again).toEqual({ handle: first.handle, alreadyRunning: true });
    const done = await until(dispatcher, first.handle, (s) => s.state === 'succeeded' || s.state === 'failed');
    expect(done.state).toBe('succeeded');
    expect(k8s.pods.filter((p) => p.job === jobName('run-1', 's1'))).toHaveLength(1);
    expect(k8s.requests.some((r) => r.method === 'POST' && r.status === 409)).toBe(true);
    expect((await dispatcher.listRun('run-1')).map((j) => j.metadata?.name)).toEqual([jobName('run-1', 's1')]);
    await dispatcher.cancel(first.handle);
    expect((await dispatcher.status(first.handle)).state).toBe('unknown');
    await dispatcher.cancel(first.handle); // idempotent on a missing Job
  });

  it('a failing pod is retried up to backoffLimit, then the Job reports Failed', async () => {
    k8s.failStore('bad');
    const { handle } = await dispatcher.dispatch({ runId: 'run-2', stores: ['bad'], trigger: 'morning' });
    const done = await until(dispatcher, handle, (s) => s.state === 'failed' || s.state === 'succeeded');
    expect(done.state).toBe('failed');
    expect(done.reason).toMatch(/BackoffLimitExceeded/);
    const job = k8s.jobs.get(`foreact/${jobName('run-2', 'bad')}`)!;
    expect(k8s.pods.filter((p) => p.job === job.metadata?.name)).toHaveLength((job.spec?.backoffLimit ?? 0) + 1);
  });

  it('surfaces a 500 and a hung API call as errors (the activity retries), and a retry after a lost create joins the Job', async () => {
    k8s.fault({ method: 'POST', path: /\/jobs$/, status: 500, times: 1 });
    await expect(dispatcher.dispatch({ runId: 'run-3', stores: ['s3'], trigger: 'morning' })).rejects.toThrow();
    const retried = await dispatcher.dispatch({ runId: 'run-3', stores: ['s3'], trigger: 'morning' });
    expect(retried.alreadyRunning).toBe(false);

    // The create hangs past the client timeout but the server still creates the Job afterwards.
    k8s.fault({ method: 'POST', path: /\/jobs$/, hangMs: 800, times: 1 });
    await expect(dispatcher.dispatch({ runId: 'run-4', stores: ['s4'], trigger: 'morning' })).rejects.toThrow(/timed out/);
    await new Promise((r) => setTimeout(r, 600));
    const joined = await dispatcher.dispatch({ runId: 'run-4', stores: ['s4'], trigger: 'morning' });
    expect(joined.alreadyRunning).toBe(true);
    expect((await until(dispatcher, joined.handle, (s) => s.state === 'succeeded')).state).toBe('succeeded');
  });

  it('sizes the training pool from stores × seconds per store, and restores it', async () => {
    const scaler = new AksPoolScaler({ ...cluster(), pool: 'training', minNodes: 0, maxNodes: 10, podsPerNode: 4, windowSeconds: 600 });
    const expected = nodesFor({ stores: 100, secondsPerStore: 30, windowSeconds: 600, podsPerNode: 4, minNodes: 0, maxNodes: 10 });
    expect(expected).toBe(2);
    const { previous, target } = await scaler.scaleUp(100, 30);
    // What the pool goes back to is its configured resting size (min 0), not the 1 node it had.
    expect(previous).toMatchObject({ count: 0, autoscaling: false });
    expect(target.count).toBe(2);
    const puts = arm.calls.filter((c) => c.method === 'PUT' && c.path.endsWith('/agentPools/training'));
    expect(puts.at(-1)?.body).toMatchObject({ properties: { count: 2, enableAutoScaling: false } });
    expect(puts.at(-1)?.authorization).toBe('Bearer fake-arm-token');
    await scaler.restore(previous);
    expect(arm.pools.get('training')?.count).toBe(0);

    const auto = new AksPoolScaler({ ...cluster(), pool: 'auto', minNodes: 0, maxNodes: 50, podsPerNode: 4, windowSeconds: 600 });
    const scaled = await auto.scaleUp(1000, 6);
    expect(scaled.target).toMatchObject({ autoscaling: true, minCount: 3, maxCount: 50 });
    expect(arm.pools.get('auto')).toMatchObject({ enableAutoScaling: true, minCount: 3 });
    await auto.restore(scaled.previous);
    expect(arm.pools.get('auto')).toMatchObject({ minCount: 0, maxCount: 50 });
  });
});
