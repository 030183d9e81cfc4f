import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLocalHost, type LocalHost } from '../../support/local-host.js';
import { parseSchedule } from '../../../scripts/local-host/ncrontab.js';
import { fixtureState } from '../../fixtures/local-host/state.js';
import { startAzurite, type AzuriteInstance } from '../../support/azurite.js';

const fixtures = path.resolve(__dirname, '../../fixtures/local-host');
const modules = [path.join(fixtures, 'http-app.ts'), path.join(fixtures, 'durable-app.ts')];
const quiet = (): void => undefined;

let azurite: AzuriteInstance;
let host: LocalHost;

beforeAll(async () => {
  process.env.FIXTURE_TICK_SCHEDULE = '*/1 * * * * *';
  azurite = await startAzurite();
  host = await startLocalHost({ port: 0, storageConnectionString: azurite.connectionString, modules, taskHub: 'TestHub', blobPollIntervalMs: 100, maxConcurrentActivities: 2, log: quiet });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

describe('HTTP triggers', () => {
  test('return what the handler returns: status, headers, JSON body, route params and query', async () => {
    const res = await fetch(`${host.url}/api/hello/Ada?q=42`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ name: 'Ada', q: '42', body: null });

    const post = await fetch(`${host.url}/api/hello/Bob`, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } });
    expect(await post.json()).toEqual({ name: 'Bob', q: null, body: { a: 1 } });

    const text = await fetch(`${host.url}/api/text`);
    expect(await text.text()).toBe('plain text');
    expect((await fetch(`${host.url}/api/hello/Ada`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
  });

  test('a throwing handler gives a JSON 500 without internals', async () => {
    const res = await fetch(`${host.url}/api/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string };
    expect(body.error).toBe('Internal Server Error');
    expect(JSON.stringify(body)).not.toContain('secret internal detail');
  });

  test('authLevel function needs the key', async () => {
    expect((await fetch(`${host.url}/api/guarded`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/guarded?code=${host.keys.functionKey}`)).status).toBe(200);
    expect((await fetch(`${host.url}/api/guarded`, { headers: { 'x-functions-key': host.keys.masterKey } })).status).toBe(200);
  });
});

describe('timers and blobs', () => {
  test('NCRONTAB parsing: six fields, seconds first', () => {
    const s = parseSchedule('0 0 5 * * 1-5');
    const next = s.next(new Date(2024, 0, 6, 12, 0, 0)); // a Saturday
    expect([next.getDay(), next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([1, 5, 0, 0]);
    expect(parseSchedule('*/15 * * * * *').next(new Date(2024, 0, 1, 0, 0, 7)).getSeconds()).toBe(15);
    expect(() => parseSchedule('0 0 * *')).toThrow(/6 fields/);
  });

  test('a timer fires on its %SETTING% schedule and on demand', async () => {
    const before = fixtureState().ticks;
    await host.fireTimer('tick');
    expect(fixtureState().ticks).toBe(before + 1);
    const deadline = Date.now() + 3000;
    while (fixtureState().ticks < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fixtureState().ticks).toBeGreaterThanOrEqual(before + 2);

    const admin = await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', headers: { 'x-functions-key': host.keys.masterKey, 'content-type': 'application/json' }, body: '{}' });
    expect(admin.status).toBe(202);
    expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  test('a blob trigger fires once per blob version', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('uploads');
    await container.createIfNotExists();
    await container.getBlockBlobClient('a.csv').upload('date,store\n', 11);
    await container.getBlockBlobClient('b.csv').upload('x', 1);
    await host.pollBlobs();
    await host.pollBlobs();
    const seen = fixtureState().blobs.map((b) => b.name).sort();
    expect(seen).toEqual(['a.csv', 'b.csv']);
    expect(fixtureState().blobs.find((b) => b.name === 'a.csv')).toMatchObject({ size: 11, trigger: 'uploads/a.csv' });
    await container.getBlockBlobClient('a.csv').upload('changed', 7);
    await host.pollBlobs();
    await host.pollBlobs();
    expect(fixtureState().blobs.filter((b) => b.name === 'a.csv')).toHaveLength(2);
  });
});

describe('Durable Functions', () => {
  test('fan-out/fan-in with a retried activity, a timer, a sub-orchestration and Task.any completes', async () => {
    const { id, created } = await host.durable.startNew('fanOut', { instanceId: 'fan-1', input: { items: [1, 2, 3, 4, 5], key: 'k1' } });
    expect(created).toBe(true);
    const status = await host.durable.waitForInstance(id, 15_000);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ sum: 30, flaky: 'k1:ok', child: 42, any: 2 });
    expect(status.customStatus).toEqual({ phase: 'done' });
    expect(fixtureState().flakyAttempts.k1).toBe(2);
    // The fan-out ran in parallel, capped by maxConcurrentActivities: 2 (1 would be a serial run, which
    // says nothing about the cap).
    expect(fixtureState().maxParallel).toBeLessThanOrEqual(2);
    expect(fixtureState().maxParallel).toBeGreaterThanOrEqual(2);

    // The ids recorded for scheduled work are the replay engine's: unique, and every outcome matches one.
    const history = (await host.durable.getStatus(id, { showHistory: true }))?.history as { EventType: string; EventId?: number; TaskScheduledId?: number; TimerId?: number }[];
    const scheduled = history.filter((e) => ['TaskScheduled', 'TimerCreated', 'SubOrchestrationInstanceCreated'].includes(e.EventType)).map((e) => e.EventId);
    expect(new Set(scheduled).size).toBe(scheduled.length);
    for (const e of history) {
      const ref = e.TaskScheduledId ?? e.TimerId;
      if (ref !== undefined) expect(scheduled).toContain(ref);
    }
    expect(history.filter((e) => e.EventType === 'TaskFailed')).toHaveLength(1);
  });

  test('exhausted retries (activity and sub-orchestration) are catchable; large payloads round-trip', async () => {
    const big = 'x'.repeat(150_000);
    await host.durable.startNew('edgeCases', { instanceId: 'edge-1', input: big });
    const s = await host.durable.waitForInstance('edge-1', 10_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toMatchObject({ childFailed: true, echoedLength: 150_000, same: true });
    expect((s.output as { caught: string }).caught).toContain('no luck');
    expect(s.input).toBe(big);
    // maxNumberOfAttempts 2: once for the activity itself and once inside the failing child, twice each.
    expect(fixtureState().alwaysFailsCalls).toBe(4);
  });

  test('continueAsNew restarts the instance with the new input', async () => {
    await host.durable.startNew('counter', { instanceId: 'counter-1', input: 0 });
    const status = await host.durable.waitForInstance('counter-1', 10_000);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 3 });
  });

  test('an HTTP starter with df.getClient() starts by id, reads custom status, and a second start joins', async () => {
    const first = await fetch(`${host.url}/api/approvals/store-7`, { method: 'POST', body: JSON.stringify({ store: 7 }) });
    expect(first.status).toBe(202);
    const links = (await first.json()) as { id: string; statusQueryGetUri: string };
    expect(links.id).toBe('store-7');
    expect(links.statusQueryGetUri).toContain(host.url);

    const second = await fetch(`${host.url}/api/approvals/store-7`, { method: 'POST', body: JSON.stringify({ store: 7 }) });
    expect(second.status).toBe(202);
    expect((await host.durable.list()).filter((s) => s.instanceId === 'store-7')).toHaveLength(1);

    // The raw API refuses a duplicate start of a running id instead of creating a second instance.
    const dup = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/approval/store-7`, { method: 'POST', body: '{}' });
    expect(dup.status).toBe(409);

    let body: { runtimeStatus: string; customStatus: unknown } = { runtimeStatus: '', customStatus: null };
    for (let i = 0; i < 50; i++) {
      body = (await (await fetch(`${host.url}/api/approvals/store-7`)).json()) as typeof body;
      if (body.customStatus) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ runtimeStatus: 'Running', customStatus: { stage: 'waiting for approval', input: { store: 7 } } });

    expect((await fetch(`${host.url}/api/approvals/store-7/approve?by=ops`, { method: 'POST' })).status).toBe(202);
    const done = await host.durable.waitForInstance('store-7', 10_000);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 'approved by ops', customStatus: { stage: 'approved' } });

    // A finished instance may be started again under the same id.
    await host.durable.purge('store-7');
    expect(await host.durable.getStatus('store-7')).toBeUndefined();
  });

  test('terminate stops a waiting instance', async () => {
    await host.durable.startNew('approval', { instanceId: 'to-kill', input: {} });
    await host.durable.terminate('to-kill', 'no longer needed');
    const s = await host.durable.waitForInstance('to-kill', 5_000);
    expect(s).toMatchObject({ runtimeStatus: 'Terminated', output: 'no longer needed' });
  });
});

describe('restart', () => {
  test('a host stopped mid-orchestration is finished by the next host on the same storage', async () => {
    const store = await startAzurite();
    const h1 = await startLocalHost({ port: 0, storageConnectionString: store.connectionString, modules, taskHub: 'RestartHub', log: quiet });
    try {
      await h1.durable.startNew('slowChain', { instanceId: 'chain-1' });
      // Wait until the first activity finished and the durable timer is pending, then "crash".
      const events = async (): Promise<string[]> => ((await h1.durable.getStatus('chain-1', { showHistory: true }))?.history ?? []).map((e) => (e as { EventType: string }).EventType);
      let before: string[] = [];
      for (let i = 0; i < 500 && !before.includes('TimerCreated'); i++) {
        before = await events();
        if (!before.includes('TimerCreated')) await new Promise((r) => setTimeout(r, 20));
      }
      await h1.stop();
      // The stop came while the timer was pending: its creation is in the stored history, its firing is not.
      // Otherwise the test would only show that a finished orchestration stays finished.
      const atStop = await events();
      expect(atStop).toContain('TimerCreated');
      expect(atStop).not.toContain('TimerFired');
      expect(atStop.filter((e) => e === 'TaskCompleted')).toHaveLength(1);
      const h2 = await startLocalHost({ port: 0, storageConnectionString: store.connectionString, modules, taskHub: 'RestartHub', log: quiet });
      try {
        const s = await h2.durable.waitForInstance('chain-1', 10_000);
        expect(s).toMatchObject({ runtimeStatus: 'Completed', output: ['slept', 'slept'] });
        // Resumed from history: the first activity, done before the stop, did not run again.
        expect(fixtureState().sleepyRuns).toBe(2);
      } finally {
        await h2.stop();
      }
    } finally {
      await h1.stop();
      await store.stop();
    }
  });
});

describe('configuration', () => {
  test('the app settings are an argument: %SETTING% is resolved in them and the host publishes its settings there, not in process.env', async () => {
    const store = await startAzurite();
    const appSettings: Record<string, string | undefined> = { FIXTURE_TICK_SCHEDULE: '0 0 0 1 1 *' };
    const envBefore = { AzureWebJobsStorage: process.env.AzureWebJobsStorage, WEBSITE_HOSTNAME: process.env.WEBSITE_HOSTNAME };
    const h = await startLocalHost({ appSettings, port: 0, storageConnectionString: store.connectionString, modules: [modules[0]!], taskHub: 'SettingsHub', functionKey: 'fk', masterKey: 'mk', log: quiet });
    try {
      expect(appSettings).toMatchObject({ AzureWebJobsStorage: store.connectionString, WEBSITE_HOSTNAME: `127.0.0.1:${h.port}` });
      expect({ AzureWebJobsStorage: process.env.AzureWebJobsStorage, WEBSITE_HOSTNAME: process.env.WEBSITE_HOSTNAME }).toEqual(envBefore);
      expect(h.keys).toEqual({ functionKey: 'fk', masterKey: 'mk' });
    } finally {
      await h.stop();
      await store.stop();
    }
    expect(appSettings).toEqual({ FIXTURE_TICK_SCHEDULE: '0 0 0 1 1 *' });
  });
});
