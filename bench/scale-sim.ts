/**
 * Scale simulation (issue 13, "Scale, simulated"): the morning run over many generated tiny stores on the
 * local backend (worker threads), the local Functions host and Azurite (in memory), so that training does
 * not dominate and what is measured is the orchestration's own cost at scale.
 *
 *   npm run build && node dist/bench/scale-sim.js --stores 1000 [--items 2] [--days 120] [--workers <cores>]
 *       [--batch <stores per job>] [--concurrency <batches in flight>] [--poll <s>] [--json out.json]
 *
 * Settings not given keep the app's defaults (batch size from the rule with FOREACT_SECONDS_PER_STORE = 5 s
 * on a first run → 9 stores per job, 50 jobs in flight, status polls every 5 s, horizon 28, 3 folds).
 * Prints: seeding time, the run's wall time, the summary, the peak RSS of this process (the host: HTTP,
 * durable engine, activities and the worker threads all live in it) sampled every 250 ms during the run,
 * the peak RSS of the Azurite process, and the task hub's history (rows and bytes in <hub>History, per
 * instance kind), instances and leftover inbox rows.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { TableClient } from '@azure/data-tables';
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

const { values } = parseArgs({ options: { stores: { type: 'string' }, items: { type: 'string' }, days: { type: 'string' }, workers: { type: 'string' }, batch: { type: 'string' }, concurrency: { type: 'string' }, poll: { type: 'string' }, json: { type: 'string' } } });
const STORES = Number(values.stores ?? 1000);
const ITEMS = Number(values.items ?? 2);
const DAYS = Number(values.days ?? 120);
const WORKERS = Number(values.workers ?? availableParallelism());
const REPO = resolve(__dirname, '../..');
const TASK_HUB = (JSON.parse(readFileSync(resolve(REPO, 'host.json'), 'utf8')) as { extensions: { durableTask: { hubName: string } } }).extensions.durableTask.hubName;

const store = syntheticStore({ items: ITEMS, days: DAYS, startYear: 2025, level: { min: 5, spread: 20 }, yearly: 0 });

function childRssKb(match: string): { pid: number; hwmKb: number; rssKb: number } | undefined {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes(match));
  if (!line) return undefined;
  const pid = Number(line.trim().split(/\s+/)[0]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { pid, hwmKb: kb('VmHWM'), rssKb: kb('VmRSS') };
}

async function tableStats(conn: string, table: string, keyOf: (pk: string) => string): Promise<{ rows: number; bytes: number; byKind: Record<string, { instances: number; rows: number; bytes: number; maxRows: number }> }> {
  const client = TableClient.fromConnectionString(conn, table, { allowInsecureConnection: true });
  let rows = 0;
  let bytes = 0;
  const perInstance = new Map<string, { rows: number; bytes: number }>();
  for await (const e of client.listEntities<Record<string, unknown>>()) {
    rows++;
    // Bytes of the entity's properties as stored (keys + string values in UTF-16 as Table storage counts them, numbers 8).
    let b = 0;
    for (const [k, v] of Object.entries(e)) {
      if (k === 'etag' || k === 'timestamp' || k === 'odata.etag') continue;
      b += 2 * k.length + (typeof v === 'string' ? 2 * v.length + 4 : 8);
    }
    bytes += b;
    const pk = decodeURIComponent(String(e.partitionKey));
    const p = perInstance.get(pk) ?? { rows: 0, bytes: 0 };
    p.rows++;
    p.bytes += b;
    perInstance.set(pk, p);
  }
  const byKind: Record<string, { instances: number; rows: number; bytes: number; maxRows: number }> = {};
  for (const [pk, p] of perInstance) {
    const k = keyOf(pk);
    const acc = (byKind[k] ??= { instances: 0, rows: 0, bytes: 0, maxRows: 0 });
    acc.instances++;
    acc.rows += p.rows;
    acc.bytes += p.bytes;
    acc.maxRows = Math.max(acc.maxRows, p.rows);
  }
  return { rows, bytes, byKind };
}

const kind = (id: string): string => (!id.startsWith('morning-') ? 'other' : id.includes(':b') ? 'training-batch' : id.includes(':l') ? 'morning-lane' : 'morning-run');

async function main(): Promise<void> {
  const azurite = await startAzurite();
  const settings: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    FOREACT_DISPATCH: 'local',
    FOREACT_MORNING_SCHEDULE: '0 0 5 * * *',
    FOREACT_LOCAL_WORKERS: String(WORKERS),
    ...(values.batch ? { FOREACT_MORNING_BATCH_SIZE: values.batch } : {}),
    ...(values.concurrency ? { FOREACT_MORNING_CONCURRENCY: values.concurrency } : {}),
    ...(values.poll ? { FOREACT_POLL_SECONDS: values.poll } : {}),
  };
  Object.assign(process.env, settings);
  const config = loadConfig(settings);
  const storage = await openStorage(config);
  const ids = Array.from({ length: STORES }, (_, i) => `s${String(i + 1).padStart(5, '0')}`);
  const seedStarted = Date.now();
  await seedStoreHistories(storage, ids, store, { parallel: 32, seed: 7000 });
  const seedS = (Date.now() - seedStarted) / 1000;
  console.log(`seeded ${STORES} stores × ${ITEMS} items × ${DAYS} days in ${seedS.toFixed(1)} s`);

  const dispatcher = new LocalDispatcher({ workers: WORKERS, config });
  dispatcher.warm();
  installDeps(await buildDeps(config, { dispatcher }));
  const modules = ['orchestrations/training-batch.js', 'orchestrations/store-refresh.js', 'orchestrations/morning-run.js'].map((m) => resolve(REPO, 'dist', m));
  const host = await startLocalHost({ ...optionsFromEnvironment(process.env), port: 0, storageConnectionString: azurite.connectionString, modules, enableTimers: false, log: (level, message) => {
      if (level === 'error') console.error(message);
    } });
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 250);
  let progress: NodeJS.Timeout | undefined;
  try {
    const date = new Date().toLocaleDateString('sv-SE');
    const id = morningInstanceId(date);
    const t1 = Date.now();
    await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: id, input: { date } });
    progress = setInterval(() => {
      void host.durable.getStatus(id).then((s) => console.log(`  ${((Date.now() - t1) / 1000).toFixed(0)} s: ${JSON.stringify(s?.customStatus)} rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`));
    }, 60_000);
    const done = await host.durable.waitForInstance(id, 12 * 3600_000);
    const wallS = (Date.now() - t1) / 1000;
    clearInterval(progress);
    clearInterval(sampler);
    const summary = done.output as MorningSummary;
    const az = childRssKb('azurite');
    const history = await tableStats(azurite.connectionString, `${TASK_HUB}History`, kind);
    const instances = await tableStats(azurite.connectionString, `${TASK_HUB}Instances`, kind);
    const inbox = await tableStats(azurite.connectionString, `${TASK_HUB}Inbox`, kind);
    const result = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
      stores: STORES, items: ITEMS, days: DAYS, workers: WORKERS,
      settings: { batchSize: summary.batchSize, batches: summary.batches, concurrency: config.dispatch.morningConcurrency, pollSeconds: config.dispatch.pollSeconds },
      seedS,
      status: done.runtimeStatus,
      wallS,
      succeeded: summary.succeeded, failed: summary.failed, skipped: summary.skipped,
      sumTrainingS: summary.sumTrainingMs / 1000,
      idealS: summary.sumTrainingMs / 1000 / WORKERS,
      overheadMsPerStore: (wallS * 1000 - summary.sumTrainingMs / WORKERS) / STORES,
      hostRssMiB: { beforeRun: +(rssBefore / 2 ** 20).toFixed(0), peakDuringRun: +(peakRss / 2 ** 20).toFixed(0), maxRssWholeProcess: +(process.resourceUsage().maxRSS / 1024).toFixed(0), peakHeapUsed: +(peakHeap / 2 ** 20).toFixed(0) },
      azuriteRssMiB: az ? { peak: +(az.hwmKb / 1024).toFixed(0), now: +(az.rssKb / 1024).toFixed(0) } : null,
      history,
      instances: { rows: instances.rows, bytes: instances.bytes },
      inboxLeft: inbox.rows,
      failures: summary.failures.slice(0, 5),
    };
    console.log(JSON.stringify(result, null, 1));
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 1));
  } finally {
    if (progress) clearInterval(progress);
    clearInterval(sampler);
    await host.stop();
    await dispatcher.close();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
