/**
 * Fault drills (issue 13, "Faults"): a morning run on the local Functions host + Azurite, with one fault
 * injected mid-run per drill, while a reader polls every store's current forecast the way the API reads
 * it (store pointer → that one run's rows). Each drill checks and prints:
 *   - whole runs only: every successful read returned rows of exactly one run id (the pointer's), the
 *     pointer's model version and the complete item set;
 *   - the previous forecast readable throughout (read errors and the longest gap without a good read);
 *   - the run completes (stores published, possibly after retries) or its failed stores end failed with a
 *     reason (stale, previous forecast kept);
 *   - no reader saw a store's pointer go back (to a run id it had left, an older forecast or an earlier run);
 *   - the run ends Completed (a morning run that ends Failed is a finding);
 *   - the next run (the next day) succeeds for every store.
 *
 *   npm run build && node dist/bench/fault-drills.js [--drills kill-pod,kill-worker,k8s-500,k8s-hang,k8s-down,azurite,host-local,host-aks]
 *       [--stores 8] [--items 5] [--days 500]
 *
 * Figures are printed, not asserted (the assertions live in the tests); a broken invariant is printed as
 * a finding and makes the exit code 1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { startAzurite, type AzuriteInstance } from '../scripts/azurite.js';
import { optionsFromEnvironment, startLocalHost, type LocalHost } from '../scripts/local-host/host.js';
import { buildDeps } from '../core/composition.js';
import { installDeps } from '../core/runtime.js';
import { openStorage, type AzureStorage } from '../core/adapters/azure/index.js';
import { loadConfig, type AppConfig } from '../core/config.js';
import { seedStoreHistories, syntheticStore } from './seed-stores.js';
import { pointerWentBack, type PointerSighting } from './pointer-order.js';
import { LocalDispatcher } from '../core/adapters/dispatch/local.js';
import { AksDispatcher } from '../core/adapters/dispatch/aks.js';
import { AksPoolScaler, clusterKubeConfig } from '../core/adapters/dispatch/aks-cluster.js';
import type { TrainingDispatcher } from '../core/ports/training-dispatcher.js';
import type { MorningSummary } from '../orchestrations/morning-run.js';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId, morningRunId } from '../orchestrations/names.js';
import { startFakeKubernetes, type Fault, type FakeKubernetes } from '../scripts/fakes/fake-kubernetes.js';
import { fakeCredential, startFakeArm, type FakeArm } from '../scripts/fakes/fake-arm.js';

const ALL = ['kill-pod', 'kill-worker', 'k8s-500', 'k8s-hang', 'k8s-down', 'azurite', 'host-local', 'host-aks'] as const;
type DrillName = (typeof ALL)[number];

const { values } = parseArgs({ options: { drills: { type: 'string' }, stores: { type: 'string' }, items: { type: 'string' }, days: { type: 'string' }, timeout: { type: 'string' } } });
const DRILLS = (values.drills?.split(',') ?? [...ALL]) as DrillName[];
const STORES = Number(values.stores ?? 8);
const ITEMS = Number(values.items ?? 5);
const DAYS = Number(values.days ?? 500);
/** How long one morning run may take before the drill calls it stuck. */
const RUN_TIMEOUT_MS = Number(values.timeout ?? 150) * 1000;
const REPO = resolve(__dirname, '../..');
const MODULES = ['orchestrations/training-batch.js', 'orchestrations/store-refresh.js', 'orchestrations/morning-run.js'].map((m) => resolve(REPO, 'dist', m));
const TODAY = new Date().toLocaleDateString('sv-SE');
const TOMORROW = new Date(Date.now() + 86_400_000).toLocaleDateString('sv-SE');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = (level: string, message: string, err?: unknown) => {
  if (process.env.DRILL_VERBOSE) console.error(`  [host ${level}] ${message}${err ? `: ${err instanceof Error ? err.message.split('\n')[0] : JSON.stringify(err)}` : ''}`);
};

const storeHistory = syntheticStore({ items: ITEMS, days: DAYS, startYear: 2024, level: { min: 10, spread: 40 }, yearly: 0.25 });

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

// ---- the reader ---------------------------------------------------------------------------------------

interface ReaderStats {
  reads: number;
  good: number;
  errors: number;
  violations: string[];
  /** Longest time any store went without a good read (ms). */
  maxGapMs: number;
  /** The pointers each store was seen on, in order (consecutive repeats folded). */
  seen: Map<string, PointerSighting[]>;
  stop(): Promise<ReaderStats>;
}

function startReader(storage: AzureStorage, stores: readonly string[]): ReaderStats {
  const stats: ReaderStats = { reads: 0, good: 0, errors: 0, violations: [], maxGapMs: 0, seen: new Map(), stop: () => Promise.resolve(stats) };
  const lastGood = new Map(stores.map((s) => [s, Date.now()]));
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const store of stores) {
        stats.reads++;
        try {
          const state = await storage.stores.get(store);
          const current = state?.value.current;
          if (!current) {
            stats.violations.push(`${store}: no current forecast`);
            continue;
          }
          const rows = await storage.forecasts.readRun(store, current.runId);
          const runIds = new Set(rows.map((r) => r.runId));
          const versions = new Set(rows.map((r) => r.modelVersion));
          const items = new Set(rows.map((r) => r.item));
          const problems: string[] = [];
          if (runIds.size !== 1 || !runIds.has(current.runId)) problems.push(`run ids [${[...runIds].join(',')}] under pointer ${current.runId}`);
          if (versions.size !== 1 || !versions.has(current.modelVersion)) problems.push(`model versions [${[...versions].join(',')}] vs pointer ${current.modelVersion}`);
          if (items.size !== ITEMS || rows.length !== ITEMS) problems.push(`${rows.length} rows / ${items.size} items, expected ${ITEMS}`);
          if (problems.length > 0) {
            if (stats.violations.length < 20) stats.violations.push(`${store}: ${problems.join('; ')}`);
            continue;
          }
          stats.good++;
          const now = Date.now();
          stats.maxGapMs = Math.max(stats.maxGapMs, now - lastGood.get(store)!);
          lastGood.set(store, now);
          const list = stats.seen.get(store) ?? [];
          const last = list[list.length - 1];
          if (last?.runId !== current.runId || last.generatedAt !== current.generatedAt) list.push({ runId: current.runId, generatedAt: current.generatedAt });
          stats.seen.set(store, list);
        } catch {
          stats.errors++;
        }
      }
      await sleep(20);
    }
  })();
  stats.stop = async () => {
    running = false;
    await loop;
    const now = Date.now();
    for (const t of lastGood.values()) stats.maxGapMs = Math.max(stats.maxGapMs, now - t);
    return stats;
  };
  return stats;
}

// ---- one drill's environment ---------------------------------------------------------------------------

interface Env {
  azurite: AzuriteInstance;
  restartAzurite?: () => Promise<void>;
  stopAzurite?: () => Promise<void>;
  storage: AzureStorage;
  config: AppConfig;
  host: LocalHost;
  backend: 'local' | 'aks';
  dispatcher: TrainingDispatcher;
  k8s?: FakeKubernetes;
  arm?: FakeArm;
  stores: string[];
  /** Stops the host (and, for the local backend, its worker threads, as a process exit would) and starts a new one. */
  restartHost(): Promise<void>;
  close(): Promise<void>;
}

async function setup(backend: 'local' | 'aks', opts: { persistent?: boolean } = {}): Promise<Env> {
  let location: string | undefined;
  let azurite: AzuriteInstance;
  const ports = opts.persistent ? { blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() } : {};
  if (opts.persistent) {
    location = mkdtempSync(join(tmpdir(), 'drill-azurite-'));
    azurite = await startAzurite({ location, ...ports });
  } else {
    azurite = await startAzurite();
  }
  const settings: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    FOREACT_HORIZON_DAYS: '28',
    FOREACT_BACKTEST_FOLDS: '1',
    FOREACT_POLL_SECONDS: '0.25',
    FOREACT_MORNING_BATCH_SIZE: '2',
    FOREACT_MORNING_CONCURRENCY: '2',
    FOREACT_MORNING_SCHEDULE: '0 0 5 * * *',
    FOREACT_DISPATCH: backend,
    FOREACT_REFRESH_DISPATCH: 'local',
    ...(backend === 'aks'
      ? { FOREACT_AKS_SUBSCRIPTION_ID: 'sub-1', FOREACT_AKS_RESOURCE_GROUP: 'rg', FOREACT_AKS_CLUSTER: 'aks', FOREACT_AKS_IMAGE: 'acr.example/trainer:1', FOREACT_K8S_REQUEST_TIMEOUT_MS: '1000', FOREACT_AKS_POOL_MAX: '10' }
      : {}),
  };
  Object.assign(process.env, settings);
  const config = loadConfig(settings);
  const storage = await openStorage(config);
  const stores = Array.from({ length: STORES }, (_, i) => `d${String(i + 1).padStart(3, '0')}`);
  await seedStoreHistories(storage, stores, storeHistory, { parallel: stores.length, seed: 500 });
  // Yesterday's forecast for every store, trained in this process.
  const seedDeps = await buildDeps(config, { dispatcher: new LocalDispatcher({ workers: 1, config }) });
  const outcomes = await seedDeps.trainStores({ stores, runId: 'yesterday', trigger: 'manual' });
  const bad = outcomes.filter((o) => o.status !== 'succeeded');
  if (bad.length > 0) throw new Error(`seeding yesterday's forecast failed: ${JSON.stringify(bad)}`);

  let k8s: FakeKubernetes | undefined;
  let arm: FakeArm | undefined;
  let dispatcher: TrainingDispatcher;
  let scaler: AksPoolScaler | undefined;
  const makeLocal = () => {
    const d = new LocalDispatcher({ workers: 2, config });
    d.warm();
    return d;
  };
  if (backend === 'aks') {
    const fk = await startFakeKubernetes({
      mapCommand: (c) => {
        const [cmd, ...rest] = c.command;
        return { command: cmd === 'node' ? process.execPath : (cmd ?? 'false'), args: [...rest, ...c.args], cwd: REPO };
      },
    });
    k8s = fk;
    arm = await startFakeArm({ kubeconfig: () => fk.kubeConfigYaml(), pools: { training: { count: 1, enableAutoScaling: false } } });
    const aks = config.dispatch.aks;
    const cluster = { credential: fakeCredential, subscriptionId: 'sub-1', resourceGroup: 'rg', cluster: 'aks', endpoint: arm.endpoint, clientOptions: { tlsOptions: { ca: arm.ca } } };
    dispatcher = new AksDispatcher({ kubeConfig: await clusterKubeConfig(cluster), namespace: aks.namespace, image: aks.image!, serviceAccount: aks.serviceAccount, pool: aks.pool, requestTimeoutMs: aks.requestTimeoutMs, env: { AzureWebJobsStorage: azurite.connectionString, FOREACT_HORIZON_DAYS: '28', FOREACT_BACKTEST_FOLDS: '1' } });
    scaler = new AksPoolScaler({ ...cluster, pool: 'training', minNodes: aks.poolMin, maxNodes: aks.poolMax, podsPerNode: aks.podsPerNode, windowSeconds: aks.windowSeconds });
  } else {
    dispatcher = makeLocal();
  }
  installDeps(await buildDeps(config, { dispatcher, ...(scaler ? { scaler } : {}) }));
  const startHost = () => startLocalHost({ ...optionsFromEnvironment(process.env), port: 0, storageConnectionString: azurite.connectionString, modules: MODULES, enableTimers: false, log: quiet });
  const env: Env = {
    azurite,
    storage,
    config,
    host: await startHost(),
    backend,
    dispatcher,
    stores,
    ...(k8s ? { k8s } : {}),
    ...(arm ? { arm } : {}),
    async restartHost() {
      const old = env.host;
      if (backend === 'local') await Promise.all([old.stop(), (env.dispatcher as LocalDispatcher).close()]);
      else await old.stop();
      if (backend === 'local') {
        env.dispatcher = makeLocal();
        installDeps(await buildDeps(config, { dispatcher: env.dispatcher }));
      }
      env.host = await startHost();
    },
    async close() {
      await env.host.stop().catch(() => undefined);
      if (env.dispatcher instanceof LocalDispatcher) await env.dispatcher.close();
      await k8s?.stop();
      await arm?.stop();
      await env.azurite.stop();
      if (location) rmSync(location, { recursive: true, force: true });
    },
  };
  if (opts.persistent && location) {
    env.stopAzurite = () => env.azurite.stop();
    env.restartAzurite = async () => {
      env.azurite = await startAzurite({ location, ...ports });
    };
  }
  return env;
}

// ---- helpers to catch the run in the middle -------------------------------------------------------------

/** Resolves once some store of the run has a run record in `running` (a trainer is training it). */
async function storeInTraining(env: Env, runId: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const s of env.stores) {
      const r = await env.storage.runs.get(runId, s).catch(() => undefined);
      if (r?.status === 'running') return s;
    }
    await sleep(15);
  }
  throw new Error('no store of the run started training');
}

/** Resolves once at least one store of the run has published (its pointer names this run). */
async function firstPublished(env: Env, runId: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const s of env.stores) {
      const st = await env.storage.stores.get(s).catch(() => undefined);
      if (st?.value.current?.runId.startsWith(runId)) return s;
    }
    await sleep(15);
  }
  throw new Error('no store of the run published');
}

function trainerPids(store?: string): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((l) => l.includes('trainer.js') && (store === undefined || l.includes(`--store=${store}`) || l.includes(`--store ${store}`)))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

// ---- a drill --------------------------------------------------------------------------------------------

interface DrillResult {
  name: string;
  backend: string;
  fault: string;
  outcome: string;
  succeeded: number;
  failed: number;
  reasons: string;
  wallS: number;
  reads: number;
  good: number;
  readErrors: number;
  violations: string[];
  /** Pointer changes the readers saw (this run and the next), over all stores, and how many went back. */
  pointerMoves: number;
  wentBack: number;
  maxGapS: number;
  attempts: string;
  nextRun: string;
  cluster: string;
  findings: string[];
}

async function runDrill(name: DrillName): Promise<DrillResult> {
  const backend: 'local' | 'aks' = ['kill-worker', 'azurite', 'host-local'].includes(name) ? 'local' : 'aks';
  const env = await setup(backend, { persistent: name === 'azurite' });
  const runId = morningRunId(TODAY);
  const instanceId = morningInstanceId(TODAY);
  const findings: string[] = [];
  let fault = '';
  const injected: { fault: Fault; initial: number }[] = [];
  const inject1 = (f: Fault) => {
    injected.push({ fault: f, initial: f.times });
    env.k8s!.fault(f);
  };
  const reader = startReader(env.storage, env.stores);
  const t0 = Date.now();
  await env.host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId, input: { date: TODAY } });
  const inject = (async () => {
    switch (name) {
      case 'kill-pod': {
        const store = await storeInTraining(env, runId);
        const pids = trainerPids(store);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        fault = `SIGKILL of the pod process training ${store} (${pids.length} process) while its run record said running`;
        break;
      }
      case 'kill-worker': {
        const store = await storeInTraining(env, runId);
        const pending = (env.dispatcher as unknown as { pending: Map<number, { job: { request: { stores: string[] } }; slot: { worker: Worker } }> }).pending;
        const entry = [...pending.values()].find((e) => e.job.request.stores.includes(store));
        await entry?.slot.worker.terminate();
        fault = `worker thread training ${store} terminated${entry ? '' : ' (NOT FOUND)'}`;
        break;
      }
      case 'k8s-500': {
        // Every create and every status read answers 500 for the next 6 calls of each.
        inject1({ method: 'POST', path: /\/jobs$/, status: 500, times: 3 });
        inject1({ method: 'GET', path: /\/jobs\/train-/, status: 500, times: 6 });
        fault = 'API server: 3 creates and 6 status reads answered 500';
        break;
      }
      case 'k8s-hang': {
        inject1({ method: 'POST', path: /\/jobs$/, hangMs: 3000, times: 2 });
        inject1({ method: 'GET', path: /\/jobs\/train-/, hangMs: 3000, times: 6 });
        fault = 'API server: 2 creates and 6 status reads hang 3 s (client timeout 1 s)';
        break;
      }
      case 'k8s-down': {
        // The API server answers 500 to everything for 25 s: longer than an activity's 4 attempts (1+2+4 s).
        await storeInTraining(env, runId);
        const f: Fault = { status: 500, times: 1_000_000 };
        inject1(f);
        await sleep(25_000);
        const served = 1_000_000 - f.times;
        f.times = 0;
        injected[injected.length - 1]!.initial = served;
        fault = 'API server: every call answered 500 for 25 s, from the first store training';
        break;
      }
      case 'azurite': {
        const store = await firstPublished(env, runId);
        await env.stopAzurite!();
        const down = Date.now();
        await sleep(5_000);
        await env.restartAzurite!();
        fault = `Azurite stopped (SIGTERM) after ${store} published, restarted on the same ports and data after ${((Date.now() - down) / 1000).toFixed(1)} s`;
        break;
      }
      case 'host-local':
      case 'host-aks': {
        const store = await storeInTraining(env, runId);
        const t = Date.now();
        await env.restartHost();
        fault = `host stopped while ${store} trained${backend === 'local' ? ' (worker threads terminated with it)' : ' (pods keep running)'}, new host on the same storage after ${((Date.now() - t) / 1000).toFixed(1)} s`;
        break;
      }
    }
  })().catch((e: unknown) => {
    fault = `injection failed: ${String(e)}`;
    findings.push(fault);
  });

  let outcome: string;
  let summary: MorningSummary | undefined;
  await inject;
  try {
    const done = await env.host.durable.waitForInstance(instanceId, RUN_TIMEOUT_MS);
    outcome = done.runtimeStatus;
    summary = done.output as MorningSummary;
  } catch (e) {
    outcome = `stuck (> ${RUN_TIMEOUT_MS / 1000} s)`;
    findings.push(`${name}: the morning run did not finish within ${RUN_TIMEOUT_MS / 1000} s: ${String(e)}`);
    if (name === 'azurite') {
      // Does a host restart recover it?
      await env.restartHost();
      try {
        const done = await env.host.durable.waitForInstance(instanceId, RUN_TIMEOUT_MS);
        outcome += ` → ${done.runtimeStatus} after a host restart`;
        summary = done.output as MorningSummary;
      } catch {
        outcome += '; still stuck after a host restart';
      }
    }
  }
  const wallS = (Date.now() - t0) / 1000;
  const stats = await reader.stop();
  if (/\b(Failed|Terminated)\b/.test(outcome)) findings.push(`${name}: the morning run ended ${outcome}`);
  // Yesterday's forecast, then this run's (any attempt): the order the runs were started in.
  const runOrder = (id: string): number | undefined => (id === 'yesterday' ? 0 : id === runId || id.startsWith(`${runId}:a`) ? 1 : undefined);
  const wentBack = env.stores.flatMap((s) => pointerWentBack(s, stats.seen.get(s) ?? [], runOrder));
  findings.push(...wentBack.map((f) => `reader: ${f}`));

  // Final state of every store: published by this run, or failed with a reason and kept stale on its previous forecast.
  let attempts = 0;
  for (const s of env.stores) {
    const st = (await env.storage.stores.get(s))?.value;
    const rec = await env.storage.runs.get(runId, s);
    const attempt = (rec?.details as { attempt?: number } | undefined)?.attempt ?? 1;
    if (attempt > 1) attempts++;
    if (st?.current?.runId.startsWith(runId)) {
      if (rec?.status !== 'succeeded') findings.push(`${s}: published ${st.current.runId} but its run record is ${rec?.status ?? 'missing'}`);
    } else {
      if (rec?.status !== 'failed' || !rec.error) findings.push(`${s}: not published and run record ${rec?.status ?? 'missing'} (error: ${rec?.error ?? 'none'})`);
      if (!st?.stale || !st.staleReason) findings.push(`${s}: not published but not flagged stale with a reason`);
      if (st?.current?.runId !== 'yesterday') findings.push(`${s}: previous forecast not kept (current ${st?.current?.runId ?? 'none'})`);
    }
  }
  // The summary must tell the truth: a store it reports failed must not be serving this run's forecast.
  for (const f of summary?.failures ?? []) {
    const st = (await env.storage.stores.get(f.store))?.value;
    const rec = await env.storage.runs.get(runId, f.store);
    if (st?.current?.runId.startsWith(runId)) findings.push(`${f.store}: reported failed by the summary ("${f.error.slice(0, 80)}") but published ${st.current.runId} (run record ${rec?.status ?? 'missing'}, stale ${String(st.stale)})`);
  }
  if (summary && summary.succeeded + summary.failed !== env.stores.length) findings.push(`summary counts ${summary.succeeded} + ${summary.failed} ≠ ${env.stores.length} stores`);
  if (stats.violations.length > 0) findings.push(...stats.violations.map((v) => `reader: ${v}`));

  let cluster = '';
  if (env.k8s) {
    const served = injected.reduce((n, i) => n + (i.initial - i.fault.times), 0);
    const pods = env.k8s.pods;
    cluster = `${env.k8s.jobs.size} Jobs, ${pods.length} pods (${pods.filter((p) => p.exitCode !== 0).length} not exit 0); API ${env.k8s.requests.length} answered (${env.k8s.requests.filter((r) => r.status === 409).length} × 409), ${served} faults served`;
  }
  // The next run (tomorrow's) must succeed for every store; a reader watches its pointers move on too.
  let nextRun: string;
  const nextReader = startReader(env.storage, env.stores);
  try {
    const next = await env.host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: morningInstanceId(TOMORROW), input: { date: TOMORROW } });
    const done = await env.host.durable.waitForInstance(next.id, RUN_TIMEOUT_MS);
    const s = done.output as MorningSummary | undefined;
    nextRun = `${done.runtimeStatus} ${s?.succeeded ?? '?'}/${env.stores.length}`;
    if (done.runtimeStatus !== 'Completed' || s?.succeeded !== env.stores.length) findings.push(`next run: ${nextRun} ${JSON.stringify(s?.failures ?? [])}`);
  } catch (e) {
    nextRun = 'stuck';
    findings.push(`next run did not finish: ${String(e)}`);
  }
  const nextStats = await nextReader.stop();
  const nextRunId = morningRunId(TOMORROW);
  const nextOrder = (id: string): number | undefined => (id === nextRunId || id.startsWith(`${nextRunId}:a`) ? 2 : runOrder(id));
  const nextWentBack = env.stores.flatMap((s) => pointerWentBack(s, nextStats.seen.get(s) ?? [], nextOrder));
  findings.push(...nextWentBack.map((f) => `reader (next run): ${f}`), ...nextStats.violations.map((v) => `reader (next run): ${v}`));
  await env.close();
  const reasons = [...new Set((summary?.failures ?? []).map((f) => f.error.split('\n')[0]!.slice(0, 90)))].join(' | ');
  return {
    name,
    backend,
    fault,
    outcome,
    succeeded: summary?.succeeded ?? 0,
    failed: summary?.failed ?? 0,
    reasons,
    wallS,
    reads: stats.reads,
    good: stats.good,
    readErrors: stats.errors,
    violations: stats.violations,
    pointerMoves: [...stats.seen.values(), ...nextStats.seen.values()].reduce((n, l) => n + Math.max(0, l.length - 1), 0),
    wentBack: wentBack.length + nextWentBack.length,
    maxGapS: stats.maxGapMs / 1000,
    attempts: `${attempts}`,
    nextRun,
    cluster,
    findings,
  };
}

async function main(): Promise<void> {
  console.log(`fault drills: ${STORES} stores × ${ITEMS} items × ${DAYS} days, batches of 2, 2 in flight; node ${process.version}`);
  const results: DrillResult[] = [];
  for (const d of DRILLS) {
    const started = Date.now();
    process.stdout.write(`drill ${d} … `);
    try {
      const r = await runDrill(d);
      results.push(r);
      console.log(`${r.outcome} in ${((Date.now() - started) / 1000).toFixed(0)} s; ${r.findings.length} finding(s)`);
      console.log(`  ${JSON.stringify(r)}`);
    } catch (e) {
      console.log(`drill error: ${e instanceof Error ? e.stack : String(e)}`);
      results.push({ name: d, backend: '', fault: '', outcome: 'drill error', succeeded: 0, failed: 0, reasons: String(e), wallS: 0, reads: 0, good: 0, readErrors: 0, violations: [], pointerMoves: 0, wentBack: 0, maxGapS: 0, attempts: '', nextRun: '', cluster: '', findings: [`drill error: ${String(e)}`] });
    }
  }
  console.log('\n| drill | backend | fault | run | published / failed | failure reasons | wall s | reads (good / errors) | whole-run violations | pointer moves seen (went back) | longest gap without a good read (s) | stores on attempt ≥ 2 | next run | cluster |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.backend} | ${r.fault} | ${r.outcome} | ${r.succeeded} / ${r.failed} | ${r.reasons || '—'} | ${r.wallS.toFixed(1)} | ${r.reads} (${r.good} / ${r.readErrors}) | ${r.violations.length} | ${r.pointerMoves} (${r.wentBack}) | ${r.maxGapS.toFixed(2)} | ${r.attempts} | ${r.nextRun} | ${r.cluster || '—'} |`);
  }
  const findings = results.flatMap((r) => r.findings.map((f) => `${r.name}: ${f}`));
  console.log(findings.length === 0 ? '\nno invariant broken' : `\nFINDINGS:\n${findings.map((f) => `- ${f}`).join('\n')}`);
  process.exit(findings.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
