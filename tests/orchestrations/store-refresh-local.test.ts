import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../support/local-host.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { LocalDispatcher } from '../../core/adapters/dispatch/local.js';
import type { AppConfig } from '../../core/config.js';
import { refreshInstanceId, STORE_REFRESH_ORCHESTRATION } from '../../orchestrations/names.js';
import type { RefreshStatus } from '../../orchestrations/store-refresh.js';
import { openTestStorage, useTestRuntime, REPO, seedStores, startAppHost, testConfig } from './helpers.js';
import { createRuntime, type Runtime } from '../../core/runtime.js';

// The worker with a trainer that hangs before its pointer switch (fault injection lives in the test fixture).
const SLOW_WORKER = resolve(REPO, 'tests/fixtures/faults/slow-training-worker.cjs');

async function watch(host: LocalHost, id: string, runId: string, timeoutMs: number): Promise<{ final: Awaited<ReturnType<LocalHost['durable']['getStatus']>>; seen: RefreshStatus[] }> {
  const seen: RefreshStatus[] = [];
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await host.durable.getStatus(id);
    const custom = s?.customStatus as RefreshStatus | undefined;
    // Until the new instance replaces a finished one with the same id, the old one answers.
    if (custom?.runId === runId) {
      if (seen.at(-1)?.stage !== custom.stage) seen.push(custom);
      if (s && ['Completed', 'Failed', 'Terminated'].includes(String(s.runtimeStatus))) return { final: s, seen };
    }
    if (Date.now() > end) throw new Error(`refresh ${id} did not finish; last ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('store refresh through the local (worker-thread) backend', () => {
  let azurite: AzuriteInstance;
  let storage: AzureStorage;
  let host: LocalHost;
  let dispatcher: LocalDispatcher;
  let config: AppConfig;
  let runtime: Runtime;

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = await openTestStorage(azurite.connectionString);
    await seedStores(storage, ['r1', 'r2']);
    config = testConfig(azurite.connectionString, { FOREACT_DISPATCH: 'local', FOREACT_POLL_SECONDS: '0.2', FOREACT_REFRESH_DEADLINE_SECONDS: '10' });
    runtime = createRuntime(config);
    dispatcher = new LocalDispatcher({ workers: 2, config });
    await useTestRuntime(runtime, { dispatcher });
    host = await startAppHost(azurite.connectionString);
  });

  afterAll(async () => {
    await host?.stop();
    await dispatcher?.close();
    await azurite?.stop();
  });

  it('publishes the store with the custom status going queued → dispatched → training → publishing → done', async () => {
    const id = refreshInstanceId('r1');
    const started = Date.now();
    await host.durable.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: id, input: { store: 'r1', runId: 'refresh-r1-1', requestedBy: 'planner@example' } });
    // A second start while it runs does not create another instance (the HTTP starter joins it).
    expect((await host.durable.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: id, input: { store: 'r1', runId: 'refresh-r1-2' } })).created).toBe(false);
    const { final, seen } = await watch(host, id, 'refresh-r1-1', 60_000);
    const elapsed = Date.now() - started;
    expect(final?.runtimeStatus).toBe('Completed');
    const status = final?.customStatus as RefreshStatus;
    expect(status).toMatchObject({ stage: 'done', runId: 'refresh-r1-1', store: 'r1' });
    expect(status.stages.map((s) => s.stage)).toEqual(['queued', 'dispatched', 'training', 'publishing', 'done']);
    for (const s of seen) expect(status.stages.map((x) => x.stage)).toContain(s.stage);
    expect(status.stages.every((s, i) => i === 0 || s.at >= status.stages[i - 1]!.at)).toBe(true);
    const state = (await storage.stores.get('r1'))!.value;
    expect(state.current?.runId).toBe('refresh-r1-1');
    expect(state.stale).toBe(false);
    expect((await storage.runs.get('refresh-r1-1', 'r1'))?.status).toBe('succeeded');
    expect(elapsed).toBeLessThan(30_000);
  });

  it('fails cleanly at the deadline: previous forecast kept, store flagged stale with the reason', async () => {
    // r2 gets a forecast first, then a refresh whose trainer hangs before the pointer switch past the deadline.
    await host.durable.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: refreshInstanceId('r2'), input: { store: 'r2', runId: 'refresh-r2-1' } });
    expect((await watch(host, refreshInstanceId('r2'), 'refresh-r2-1', 60_000)).final?.runtimeStatus).toBe('Completed');

    // The slow worker holds after writing its rows until the test releases it: its pointer switch comes
    // strictly after the orchestration gave up, whatever the machine's speed.
    const dir = mkdtempSync(join(tmpdir(), 'foreact-slow-worker-'));
    const marker = join(dir, 'marker');
    const release = join(dir, 'release');
    process.env.FOREACT_TEST_HOLD_MARKER = marker;
    process.env.FOREACT_TEST_HOLD_RELEASE_FILE = release;
    const slow = new LocalDispatcher({ workers: 1, config, workerModule: SLOW_WORKER });
    await useTestRuntime(runtime, { dispatcher: slow });
    try {
      await host.durable.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: refreshInstanceId('r2'), input: { store: 'r2', runId: 'refresh-r2-2' } });
      const { final } = await watch(host, refreshInstanceId('r2'), 'refresh-r2-2', 60_000);
      expect(final?.runtimeStatus).toBe('Completed');
      const status = final?.customStatus as RefreshStatus;
      expect(status.stage).toBe('failed');
      expect(status.error).toMatch(/deadline of 10 s exceeded/);
      const state = (await storage.stores.get('r2'))!.value;
      expect(state.current?.runId).toBe('refresh-r2-1');
      expect(state.stale).toBe(true);
      expect(state.staleReason).toMatch(/refresh-r2-2 failed: deadline/);
      expect((await storage.runs.get('refresh-r2-2', 'r2'))?.status).toBe('failed');

      // The cancelled worker never publishes behind the orchestration's back. It had written its rows and
      // was holding before its pointer switch when the deadline passed; release it and wait well past the
      // point where a live worker would have switched the pointer (a poll of 50 ms, then one table write).
      expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '').toMatch(/^held \d+$/m);
      writeFileSync(release, '');
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await storage.stores.get('r2'))!.value.current?.runId).toBe('refresh-r2-1');
      expect((await storage.runs.get('refresh-r2-2', 'r2'))?.status).toBe('failed');
    } finally {
      delete process.env.FOREACT_TEST_HOLD_MARKER;
      delete process.env.FOREACT_TEST_HOLD_RELEASE_FILE;
      await slow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
