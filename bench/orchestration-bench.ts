/**
 * Orchestration benchmark on the local backend (worker threads), Azurite and the local Functions host:
 *   npm run build && node dist/bench/orchestration-bench.js [--stores 100] [--items 50] [--days 730] [--workers <cores>] [--batch <stores per job>]
 * Prints (1) one store's refresh, POST /api/stores/{store}/refresh → the new forecast readable, and
 * (2) a morning run over the generated stores: wall time against the sum of per-store training time.
 * Figures are printed, not asserted.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite } from '../scripts/azurite.js';
import { optionsFromEnvironment, startLocalHost } from '../scripts/local-host/host.js';
import { buildDeps } from '../core/composition.js';
import { installDeps } from '../core/runtime.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { loadConfig } from '../core/config.js';
import { seedStoreHistories, syntheticStore } from './seed-stores.js';
import { LocalDispatcher } from '../core/adapters/dispatch/local.js';
import type { MorningSummary } from '../orchestrations/morning-run.js';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId } from '../orchestrations/names.js';

const { values } = parseArgs({ options: { stores: { type: 'string' }, items: { type: 'string' }, days: { type: 'string' }, workers: { type: 'string' }, poll: { type: 'string' }, batch: { type: 'string' } } });
const STORES = Number(values.stores ?? 100);
const ITEMS = Number(values.items ?? 50);
const DAYS = Number(values.days ?? 730);
const WORKERS = Number(values.workers ?? availableParallelism());
const POLL = values.poll ?? '0.25';
/** Stores per job; unset = the app's rule (from the seconds per store: the setting's 5 s on a first run). */
const BATCH = values.batch;
const REPO = resolve(__dirname, '../..');

/** Weekly and yearly shape, noise, every fifth item intermittent. */
const store = syntheticStore({ items: ITEMS, days: DAYS, startYear: 2024, level: { min: 10, spread: 40 }, yearly: 0.25, intermittentEvery: 5 });

async function main(): Promise<void> {
  const azurite = await startAzurite();
  const env = { AzureWebJobsStorage: azurite.connectionString };
  Object.assign(process.env, env, { FOREACT_MORNING_SCHEDULE: '0 0 5 * * *' });
  const storage = await openStorage(loadConfig(process.env));
  const ids = Array.from({ length: STORES }, (_, i) => `b${String(i + 1).padStart(4, '0')}`);
  const seedStarted = Date.now();
  await seedStoreHistories(storage, ids, store, { parallel: 16, seed: 1000 });
  console.log(`seeded ${STORES} stores × ${ITEMS} items × ${DAYS} days in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

  const benchConfig = loadConfig({ AzureWebJobsStorage: azurite.connectionString, FOREACT_DISPATCH: 'local', FOREACT_POLL_SECONDS: POLL, FOREACT_MORNING_CONCURRENCY: String(WORKERS * 2), ...(BATCH !== undefined ? { FOREACT_MORNING_BATCH_SIZE: BATCH } : {}) });
  const dispatcher = new LocalDispatcher({ workers: WORKERS, config: benchConfig });
  // As the composition root does for the local backend: the trainer is loaded before the first request.
  dispatcher.warm();
  installDeps(await buildDeps(benchConfig, { dispatcher }));
  const modules = ['functions/refresh-store.js', 'orchestrations/training-batch.js', 'orchestrations/store-refresh.js', 'orchestrations/morning-run.js'].map((m) => resolve(REPO, 'dist', m));
  const host = await startLocalHost({ ...optionsFromEnvironment(process.env), port: 0, storageConnectionString: azurite.connectionString, modules, enableTimers: false, log: (level, message) => {
      if (level === 'error') console.error(message);
    } });
  try {
    // (1) Refresh of one store through the HTTP API, until its new forecast is the current one.
    const principal = Buffer.from(JSON.stringify({ identityProvider: 'aad', userId: 'bench', userDetails: 'bench@example', userRoles: ['authenticated', 'admin'] })).toString('base64');
    const target = ids[0]!;
    const t0 = Date.now();
    const response = await fetch(`${host.url}/api/stores/${target}/refresh`, { method: 'POST', headers: { 'x-ms-client-principal': principal, 'x-requested-with': 'foreact' } });
    const accepted = (await response.json()) as { runId?: string };
    if (response.status !== 202 || !accepted.runId) throw new Error(`refresh POST answered ${response.status}: ${JSON.stringify(accepted)}`);
    const acceptedMs = Date.now() - t0;
    for (;;) {
      const state = await storage.stores.get(target);
      if (state?.value.current?.runId === accepted.runId) break;
      if (state?.value.lastRun?.runId === accepted.runId && state.value.lastRun.status === 'failed') throw new Error(`refresh failed: ${state.value.lastRun.error ?? ''}`);
      if (Date.now() - t0 > 120_000) throw new Error('refresh did not finish in 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const refreshMs = Date.now() - t0;
    const refreshRun = await storage.runs.get(accepted.runId, target);
    console.log(`refresh ${target}: POST answered 202 in ${acceptedMs} ms; forecast readable after ${(refreshMs / 1000).toFixed(2)} s (trainer ${refreshRun?.durationMs ?? '?'} ms)`);

    // (2) Morning run over all stores.
    const date = new Date().toLocaleDateString('sv-SE');
    const t1 = Date.now();
    await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: morningInstanceId(date), input: { date } });
    const done = await host.durable.waitForInstance(morningInstanceId(date), 6 * 3600_000);
    const wallMs = Date.now() - t1;
    const summary = done.output as MorningSummary;
    const ideal = summary.sumTrainingMs / WORKERS;
    console.log(JSON.stringify({ stores: STORES, items: ITEMS, days: DAYS, workers: WORKERS, pollSeconds: Number(POLL), succeeded: summary.succeeded, failed: summary.failed, skipped: summary.skipped, batchSize: summary.batchSize, batches: summary.batches }));
    console.log(`morning run: wall ${(wallMs / 1000).toFixed(1)} s; orchestration total ${(summary.totalMs / 1000).toFixed(1)} s`);
    console.log(`  sum of trainer-reported training time ${(summary.sumTrainingMs / 1000).toFixed(1)} s (${(summary.sumTrainingMs / Math.max(1, summary.succeeded)).toFixed(0)} ms/store)`);
    console.log(`  ideal on ${WORKERS} workers = sum / workers = ${(ideal / 1000).toFixed(1)} s → orchestration overhead ${((wallMs / ideal - 1) * 100).toFixed(1)} % of ideal; per store ${((wallMs - ideal) / Math.max(1, STORES)).toFixed(0)} ms`);
  } finally {
    await host.stop();
    await dispatcher.close();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
