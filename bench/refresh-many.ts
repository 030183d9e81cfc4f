/**
 * Refresh storm (issue 13, "Load"): N stores refreshed at once through the HTTP API, the way planners
 * click Refresh, on the local Functions host + Azurite (in memory) with the app's own composition (the
 * default refresh backend: this process's worker threads, FOREACT_REFRESH_DISPATCH=local). Every refresh
 * is followed as the dashboard follows it (static-web/src/refresh.ts, app.ts `afterRefresh`): POST
 * /api/stores/{store}/refresh, GET /api/runs/{runId} on the dashboard's poll schedule until done or failed,
 * then GET /api/stores and GET /api/forecasts + /api/transport for the planner's stores (the dashboard's
 * window and historyDays=56) until the store's forecast shows the new run: click → new forecast, as the
 * planner sees it. Every request carries the dashboard's headers (X-Requested-With: foreact, Accept,
 * traceparent). Storage is read only for the diagnostics below (run records, concurrency bounds).
 *
 *   npm run build && node dist/bench/refresh-many.js [--stores 50] [--items 50] [--days 730]
 *       [--workers <FOREACT_LOCAL_WORKERS; default the app's: available cores>]
 *       [--activities <the host's maxConcurrentActivities; default host.json's>]
 *       [--poll-ms <fixed poll interval; default the dashboard's 1 s / 2 s / 5 s>] [--no-previous]
 *       [--planners <callers; default and minimum one per FOREACT_REFRESH_BURST stores>]
 *       [--timeout <s, default 900>] [--json out.json]
 *
 * Callers: one planner per FOREACT_REFRESH_BURST stores (10 planners for 50 stores at the default burst
 * of 5), each assigned the region holding their stores and refreshing all of them at once. So every
 * planner spends exactly their burst: what is measured is the storm on the training backend and the
 * durable host, not the per-user rate limit (one planner or one admin clicking 50 stores would get about
 * 45 answers 429, by design; that limit has its own tests, tests/functions/api-bounds.test.ts). The app's
 * JSON log lines are off (as in Azure with Application Insights) so that 50 trainers do not flood stdout.
 *
 * Each store first gets a previous forecast (trained through the same worker pool, which also warms it
 * as a running Function App's would be), so each refresh goes through the champion gate as in production;
 * --no-previous skips that (first forecasts, cold workers).
 *
 * Concurrency bounds, measured (not read from the settings), against the configured ones:
 *   - trainings at once in the worker threads: the largest number of overlapping [startedAt, finishedAt]
 *     intervals of the trainer's run records, and the largest number of run records in `running` seen
 *     by a sampler reading the runs table every 200 ms;
 *   - activities at once on the durable host: the largest number of activity handler spans open at once
 *     (an extra span processor installed before the app's telemetry starts; every activity is traced).
 * Exit code 1 when a store did not end `done`, a refresh was refused, or a bound was exceeded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { odata } from '@azure/data-tables';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startAzurite } from '../scripts/azurite.js';
import { optionsFromEnvironment, startLocalHost } from '../scripts/local-host/host.js';
import { seededRandom, poisson } from '../scripts/random.js';
import { buildDeps } from '../core/composition.js';
import { installDeps } from '../core/runtime.js';
import { loadConfig } from '../core/config.js';
import { TableAccessRepository } from '../core/adapters/azure/api-access-table.js';
import { LocalDispatcher } from '../core/adapters/dispatch/local.js';
import { startTelemetry } from '../core/adapters/telemetry.js';
import { encodePrincipal } from '../functions/http/principal.js';
import { epochDayFromCivil, type SeriesHistory } from '../engine/index.js';
import { seedStoreHistories } from './seed-stores.js';
import { allMyStores, dashboardHeaders, dashboardWindow, DEFAULT_VIEW_DAYS, forecastsPath, transportPath } from './dashboard-requests.js';

const { values } = parseArgs({
  options: {
    stores: { type: 'string' },
    items: { type: 'string' },
    days: { type: 'string' },
    workers: { type: 'string' },
    activities: { type: 'string' },
    'poll-ms': { type: 'string' },
    'no-previous': { type: 'boolean' },
    planners: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'string' },
  },
});
const STORES = Number(values.stores ?? 50);
const ITEMS = Number(values.items ?? 50);
const DAYS = Number(values.days ?? 730);
const TIMEOUT_MS = Number(values.timeout ?? 900) * 1000;
const POLL_MS = values['poll-ms'] === undefined ? undefined : Number(values['poll-ms']);
const REPO = resolve(__dirname, '../..');
const HOST_JSON = resolve(REPO, 'host.json');
const MODULES = ['functions/refresh-store.js', 'functions/get-run.js', 'functions/get-stores.js', 'functions/get-forecasts.js', 'functions/get-transport.js', 'orchestrations/training-batch.js', 'orchestrations/store-refresh.js'].map((m) => resolve(REPO, 'dist', m));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The dashboard's poll schedule (static-web/src/progress.ts `pollDelayMs`): 1 s, 2 s after 30 s, 5 s after 2 min. */
function pollDelayMs(elapsedMs: number): number {
  if (POLL_MS !== undefined) return POLL_MS;
  return elapsedMs < 30_000 ? 1_000 : elapsedMs < 120_000 ? 2_000 : 5_000;
}


/** A store's history up to yesterday: weekly and yearly shape, Poisson noise, every fifth item slow-moving. */
function history(id: string, seed: number): SeriesHistory[] {
  const random = seededRandom(seed);
  const today = new Date();
  const startDay = epochDayFromCivil(today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()) - DAYS;
  const weekly = [1.25, 0.8, 0.85, 0.9, 0.95, 1.1, 1.15];
  return Array.from({ length: ITEMS }, (_, k) => {
    const base = k % 5 === 4 ? 0.4 : 5 + 40 * random();
    const v = new Float64Array(DAYS);
    for (let i = 0; i < DAYS; i++) v[i] = poisson(random, base * weekly[(startDay + i + 4) % 7]! * (1 + 0.25 * Math.sin((2 * Math.PI * i) / 365.25)));
    return { store: id, item: String(k + 1), startDay, values: v };
  });
}

/** Open activity spans (`activity <name>`, tracedActivity) counted as they start and end. */
class ActivityGauge implements SpanProcessor {
  open = 0;
  max = 0;
  total = 0;
  /** Milliseconds during which `open` was at `cap`. */
  atCapMs = 0;
  private since = 0;
  private readonly ids = new Set<string>();
  constructor(private readonly cap: number) {}
  onStart(span: Span): void {
    if (!span.name.startsWith('activity ')) return;
    this.ids.add(span.spanContext().spanId);
    this.change(+1);
  }
  onEnd(span: ReadableSpan): void {
    if (!this.ids.delete(span.spanContext().spanId)) return;
    this.change(-1);
  }
  private change(delta: number): void {
    const t = performance.now();
    if (this.open >= this.cap) this.atCapMs += t - this.since;
    this.open += delta;
    this.since = t;
    if (delta > 0) this.total++;
    this.max = Math.max(this.max, this.open);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Largest number of [start, end] intervals open at once (an end at t closes before a start at t opens). */
function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  const events = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (open += e.d));
  return max;
}

function quantiles(xs: readonly number[]): { p50: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
  return { p50: q(0.5), p95: q(0.95), max: s[s.length - 1] ?? NaN };
}
const secs = (q: { p50: number; p95: number; max: number }) => `${(q.p50 / 1000).toFixed(1)} / ${(q.p95 / 1000).toFixed(1)} / ${(q.max / 1000).toFixed(1)} s`;

interface Refresh {
  store: string;
  planner: string;
  principal: string;
  clickAt: number;
  postStatus?: number;
  postMs?: number;
  runId?: string;
  joined?: boolean;
  /** When the poller first saw done/failed. */
  seenAt?: number;
  status?: string;
  /** The run's own finishedAt (GET /api/runs body). */
  finishedAt?: number;
  /** When GET /api/forecasts first showed the new run for the store (after the dashboard's reload). */
  visibleAt?: number;
  /** Forecast loads (stores + forecasts + transport) before the new run showed; 1 = the first reload did. */
  loads?: number;
  /** The store's stores the planner sees: the dashboard's selection ("all my stores"). */
  selection: string[];
  error?: string;
  polls: number;
  pollErrors: number;
}

async function main(): Promise<void> {
  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? '?', memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
  const loadAtStart = loadavg().map((l) => +l.toFixed(2));
  const hostJson = JSON.parse(readFileSync(HOST_JSON, 'utf8')) as { extensions?: { durableTask?: { maxConcurrentActivityFunctions?: number } } };
  const activityCap = Number(values.activities ?? hostJson.extensions?.durableTask?.maxConcurrentActivityFunctions ?? 8);
  const azurite = await startAzurite();
  const settings: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    FOREACT_DISPATCH: 'local',
    FOREACT_REFRESH_DISPATCH: 'local',
    ...(values.workers !== undefined ? { FOREACT_LOCAL_WORKERS: values.workers } : {}),
  };
  Object.assign(process.env, settings);
  // The app's JSON log lines off (as in Azure with Application Insights), in this thread and the workers.
  const loaded = loadConfig(settings);
  const config = { ...loaded, telemetry: { ...loaded.telemetry, stdoutLogs: false } };
  const workerCap = config.dispatch.local.workers > 0 ? config.dispatch.local.workers : availableParallelism();
  // Before anything builds the app's deps: the first caller of startTelemetry sets the processors.
  const activities = new ActivityGauge(activityCap);
  startTelemetry(config.telemetry, { spanProcessors: [activities] });
  const deps = await buildDeps(config);
  installDeps(deps);
  const { storage } = deps;
  const ids = Array.from({ length: STORES }, (_, i) => `r${String(i + 1).padStart(3, '0')}`);
  let t = Date.now();
  await seedStoreHistories(storage, ids, history, { parallel: 16, seed: 4200 });
  console.log(`seeded ${STORES} stores × ${ITEMS} items × ${DAYS} days in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // The app's dispatcher (FOREACT_DISPATCH = FOREACT_REFRESH_DISPATCH = local: one LocalDispatcher, warmed).
  const { dispatcher } = await deps.dispatch();
  if (!values['no-previous']) {
    t = Date.now();
    const shares = Array.from({ length: workerCap }, (_, w) => ids.filter((_, i) => i % workerCap === w)).filter((s) => s.length > 0);
    const handles = await Promise.all(shares.map((stores, batch) => dispatcher.dispatch({ runId: 'previous', stores, trigger: 'manual', batch })));
    for (const { handle } of handles) {
      for (;;) {
        const s = await dispatcher.status(handle);
        if (s.state === 'succeeded') break;
        if (s.state === 'failed' || s.state === 'unknown') throw new Error(`seeding the previous forecasts failed: ${s.reason ?? s.state}`);
        await sleep(200);
      }
    }
    console.log(`previous forecast for every store trained in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }

  // Planners: one per `burst` stores (or --planners, at most `burst` stores each), each assigned (by user id,
  // as `foreact admin --user-id` does) the region of their stores.
  const burst = config.api.refreshBurst;
  const perPlanner = Math.max(1, Math.min(burst, Math.ceil(STORES / Number(values.planners ?? Math.ceil(STORES / burst)))));
  const access = new TableAccessRepository(storage.clients.table(config.api.accessTable));
  const refreshes: Refresh[] = [];
  for (let i = 0; i < ids.length; i++) {
    const p = Math.floor(i / perPlanner) + 1;
    const planner = `planner${String(p).padStart(2, '0')}@contoso.com`;
    const region = `region-${String(p).padStart(2, '0')}`;
    await access.setStoreRegion(ids[i]!, region);
    const user = { identityProvider: 'aad', userId: `u-planner${p}` };
    if (i % perPlanner === 0) await access.setUserRegions(user, [region]);
    refreshes.push({ store: ids[i]!, planner, principal: encodePrincipal({ ...user, userDetails: planner, userRoles: ['authenticated', 'planner'] }), clickAt: 0, polls: 0, pollErrors: 0, selection: [] });
  }
  for (const r of refreshes) r.selection = allMyStores(refreshes.filter((o) => o.planner === r.planner).map((o) => o.store));
  const planners = new Set(refreshes.map((r) => r.planner)).size;

  const host = await startLocalHost({ ...optionsFromEnvironment(process.env), port: 0, hostJsonPath: HOST_JSON, storageConnectionString: azurite.connectionString, modules: MODULES, maxConcurrentActivities: activityCap, enableTimers: false, log: (level, message) => {
      if (level === 'error') console.error(`[host] ${message}`);
    } });

  // Sampler: the trainer's run records of the refreshes, by status, every 200 ms.
  const runsTable = storage.clients.table(config.tables.runs);
  const sampled = { samples: 0, maxRunning: 0, maxQueued: 0, errors: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        let running = 0;
        let queued = 0;
        for await (const e of runsTable.listEntities<{ status?: string }>({ queryOptions: { filter: odata`trigger eq ${'refresh'}`, select: ['status'] } })) {
          if (e.status === 'running') running++;
          else if (e.status === 'queued') queued++;
        }
        sampled.samples++;
        sampled.maxRunning = Math.max(sampled.maxRunning, running);
        sampled.maxQueued = Math.max(sampled.maxQueued, queued);
      } catch {
        sampled.errors++;
      }
      await sleep(200);
    }
  })();

  /**
   * The dashboard's reload after a finished refresh (app.ts `afterRefresh` → `load`): the store list, then
   * forecasts and transport for the selection, in the window from the latest `forecastFrom`. The dashboard
   * reloads once; a forecast not yet showing the new run is a finding here, and the bench reloads again on
   * the poll schedule to time when it does show.
   */
  const reloadUntilVisible = async (r: Refresh, headers: () => Record<string, string>): Promise<void> => {
    r.loads = 0;
    while (Date.now() < deadline) {
      r.loads++;
      const list = await fetch(`${host.url}/api/stores`, { headers: headers() });
      if (list.status !== 200) throw new Error(`GET /api/stores answered ${list.status}: ${await list.text()}`);
      const window = dashboardWindow((await list.json()) as { stores: { store: string; freshness: { forecastFrom: string | null } }[] }, r.selection, DEFAULT_VIEW_DAYS);
      if (window !== undefined) {
        const [forecasts, transport] = await Promise.all([
          fetch(`${host.url}${forecastsPath(r.selection, window.from, window.to)}`, { headers: headers() }),
          fetch(`${host.url}${transportPath(r.selection, window.from, window.to)}`, { headers: headers() }),
        ]);
        if (forecasts.status !== 200) throw new Error(`GET /api/forecasts answered ${forecasts.status}: ${await forecasts.text()}`);
        if (transport.status !== 200) throw new Error(`GET /api/transport answered ${transport.status}: ${await transport.text()}`);
        await transport.arrayBuffer();
        const body = (await forecasts.json()) as { stores: { store: string; freshness: { currentRunId: string | null } }[] };
        const shown = body.stores.find((s) => s.store === r.store)?.freshness.currentRunId;
        if (shown !== null && shown !== undefined && (shown === r.runId || shown.startsWith(`${r.runId!}:a`))) {
          r.visibleAt = Date.now();
          return;
        }
      }
      await sleep(pollDelayMs(Date.now() - r.clickAt));
    }
  };

  const activitiesBeforeStorm = activities.total;
  const deadline = Date.now() + TIMEOUT_MS;
  const follow = async (r: Refresh): Promise<void> => {
    const headers = (): Record<string, string> => dashboardHeaders(r.principal);
    r.clickAt = Date.now();
    const response = await fetch(`${host.url}/api/stores/${encodeURIComponent(r.store)}/refresh`, { method: 'POST', headers: headers() });
    const body = (await response.json()) as { runId?: string; joined?: boolean; error?: { message?: string } };
    r.postMs = Date.now() - r.clickAt;
    r.postStatus = response.status;
    if (response.status !== 202 || body.runId === undefined) {
      r.status = `refused ${response.status}`;
      r.error = body.error?.message ?? JSON.stringify(body);
      return;
    }
    r.runId = body.runId;
    r.joined = body.joined === true;
    let consecutiveErrors = 0;
    while (Date.now() < deadline) {
      await sleep(pollDelayMs(Date.now() - r.clickAt));
      r.polls++;
      try {
        const poll = await fetch(`${host.url}/api/runs/${encodeURIComponent(r.runId)}`, { headers: headers() });
        if (poll.status !== 200) throw new Error(`GET /api/runs answered ${poll.status}: ${await poll.text()}`);
        const run = (await poll.json()) as { status: string; finishedAt: string | null; error: { message: string } | null };
        consecutiveErrors = 0;
        if (run.status === 'done' || run.status === 'failed') {
          r.seenAt = Date.now();
          r.status = run.status;
          if (run.finishedAt !== null) r.finishedAt = Date.parse(run.finishedAt);
          if (run.error) r.error = run.error.message;
          if (run.status === 'done') await reloadUntilVisible(r, headers);
          return;
        }
      } catch (error) {
        r.pollErrors++;
        if (++consecutiveErrors >= 5) {
          r.status = 'lost';
          r.error = error instanceof Error ? error.message : String(error);
          return;
        }
      }
    }
    r.status = 'timed out';
  };

  console.log(`storm: ${STORES} refreshes by ${planners} planners at once; ${workerCap} worker threads, activities ≤ ${activityCap}; load average ${loadAtStart.join(' ')}`);
  // The host's thread (HTTP triggers, the durable engine, activities) shares the cores with the trainers.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const stormStart = Date.now();
  await Promise.all(refreshes.map((r) => follow(r).catch((error: unknown) => {
    r.status = 'client error';
    r.error = error instanceof Error ? error.message : String(error);
  })));
  const stormEnd = Date.now();
  loopDelay.disable();
  sampling = false;
  await sampler;
  const loadAtEnd = loadavg().map((l) => +l.toFixed(2));

  // The trainer's own records: queued (dispatch activity) → running (worker) → finished.
  const records = await Promise.all(refreshes.map((r) => (r.runId ? storage.runs.get(r.runId, r.store) : Promise.resolve(undefined))));
  const intervals = records.flatMap((rec) => (rec?.startedAt && rec.finishedAt ? [{ start: Date.parse(rec.startedAt), end: Date.parse(rec.finishedAt) }] : []));
  const trainingsAtOnce = maxOverlap(intervals);
  const clickToDispatch = records.flatMap((rec, i) => (rec ? [Date.parse(rec.createdAt) - refreshes[i]!.clickAt] : []));
  const queueWait = records.flatMap((rec) => (rec?.startedAt ? [Date.parse(rec.startedAt) - Date.parse(rec.createdAt)] : []));
  const trainerMs = records.flatMap((rec) => (rec?.durationMs !== undefined && rec.status === 'succeeded' ? [rec.durationMs] : []));
  const sumTrainerS = trainerMs.reduce((a, b) => a + b, 0) / 1000;

  await host.stop();
  if (dispatcher instanceof LocalDispatcher) await dispatcher.close();
  await azurite.stop();

  const done = refreshes.filter((r) => r.status === 'done');
  const notDone = refreshes.filter((r) => r.status !== 'done');
  const clickToDone = done.map((r) => (r.finishedAt ?? r.seenAt!) - r.clickAt);
  const clickToSeen = done.map((r) => r.seenAt! - r.clickAt);
  const visible = done.filter((r) => r.visibleAt !== undefined);
  const clickToVisible = visible.map((r) => r.visibleAt! - r.clickAt);
  const lateReloads = done.filter((r) => (r.loads ?? 0) > 1 || r.visibleAt === undefined);
  const post = quantiles(refreshes.flatMap((r) => (r.postMs !== undefined ? [r.postMs] : [])));
  const refused = refreshes.filter((r) => r.postStatus !== 202);
  const lastFinished = Math.max(...done.map((r) => r.finishedAt ?? r.seenAt!));
  const lastSeen = Math.max(...refreshes.map((r) => r.seenAt ?? stormEnd));
  const findings: string[] = [];
  if (notDone.length > 0) findings.push(`${notDone.length} store(s) not done: ${notDone.slice(0, 5).map((r) => `${r.store} ${r.status ?? '?'} (${(r.error ?? '').slice(0, 120)})`).join('; ')}`);
  if (visible.length < done.length) findings.push(`${done.length - visible.length} done refresh(es) whose new forecast never showed in GET /api/forecasts`);
  if (lateReloads.length > 0) findings.push(`${lateReloads.length} refresh(es) whose new forecast did not show on the dashboard's first reload after done`);
  if (refused.length > 0) findings.push(`${refused.length} refresh(es) refused: ${[...new Set(refused.map((r) => r.postStatus))].join(', ')}`);
  if (trainingsAtOnce > workerCap) findings.push(`trainings at once (run records) ${trainingsAtOnce} > ${workerCap} worker threads`);
  if (sampled.maxRunning > workerCap) findings.push(`sampled running records ${sampled.maxRunning} > ${workerCap} worker threads`);
  if (activities.max > activityCap) findings.push(`activities at once ${activities.max} > ${activityCap}`);
  const joined = refreshes.filter((r) => r.joined).length;

  const rows: [string, string][] = [
    ['refreshes clicked / done / failed or lost', `${STORES} / ${done.length} / ${notDone.length}`],
    ['POST answers', `${refreshes.filter((r) => r.postStatus === 202).length} × 202 (${joined} joined), ${refused.length} refused; p50 / p95 / max ${post.p50} / ${post.p95} / ${post.max} ms`],
    ['wall, first click → last refresh done (run finishedAt)', `${((lastFinished - stormStart) / 1000).toFixed(1)} s`],
    ['wall, first click → last done seen by the poller', `${((lastSeen - stormStart) / 1000).toFixed(1)} s`],
    ['click → done per store (run finishedAt), p50 / p95 / max', secs(quantiles(clickToDone))],
    ['click → done seen by the dashboard poll, p50 / p95 / max', secs(quantiles(clickToSeen))],
    ['**click → new forecast shown (GET /api/forecasts after the dashboard reload), p50 / p95 / max**', `${secs(quantiles(clickToVisible))} (${visible.length} of ${done.length}; ${done.length - lateReloads.length} on the first reload)`],
    ['click → dispatched (the dispatch activity wrote the queued record), p50 / p95 / max', secs(quantiles(clickToDispatch))],
    ['wait for a worker thread (queued record → trainer start), p50 / p95 / max', secs(quantiles(queueWait))],
    ['trainer time per store, p50 / p95 / max', secs(quantiles(trainerMs))],
    [`Σ trainer time / ${workerCap} workers (the floor for the wall)`, `${(sumTrainerS / workerCap).toFixed(1)} s (Σ ${sumTrainerS.toFixed(1)} s)`],
    ['trainings at once: overlapping run-record intervals, max (configured worker threads)', `${trainingsAtOnce} (${workerCap})`],
    ['trainings at once: `running` records sampled every 200 ms, max (configured)', `${sampled.maxRunning} (${workerCap}); queued at most ${sampled.maxQueued}; ${sampled.samples} samples, ${sampled.errors} failed`],
    ['activities at once on the durable host, max (configured maxConcurrentActivities)', `${activities.max} (${activityCap}); ${activities.total - activitiesBeforeStorm} activity runs; at the cap ${(activities.atCapMs / 1000).toFixed(2)} s of ${((stormEnd - stormStart) / 1000).toFixed(1)} s`],
    ['event-loop delay of the host thread during the storm, p50 / p99 / max', `${(loopDelay.percentile(50) / 1e6).toFixed(0)} / ${(loopDelay.percentile(99) / 1e6).toFixed(0)} / ${(loopDelay.max / 1e6).toFixed(0)} ms`],
    ['GET /api/runs polls (errors)', `${refreshes.reduce((a, r) => a + r.polls, 0)} (${refreshes.reduce((a, r) => a + r.pollErrors, 0)})`],
    ['load average at start → end (1, 5, 15 min)', `${loadAtStart.join(' ')} → ${loadAtEnd.join(' ')}`],
  ];
  console.log(`\nmachine: ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, node ${machine.node}`);
  console.log(`${STORES} stores × ${ITEMS} items × ${DAYS} days, ${planners} planners (≤ ${perPlanner} refreshes each; burst ${burst}), ${values['no-previous'] ? 'first forecasts' : 'each store with a previous forecast'}, poll ${POLL_MS === undefined ? 'dashboard schedule' : `${POLL_MS} ms`}\n`);
  console.log('| figure | value |');
  console.log('|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  console.log(findings.length === 0 ? '\nall done, no bound exceeded' : `\nFINDINGS:\n${findings.map((f) => `- ${f}`).join('\n')}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ machine, loadAtStart, loadAtEnd, stores: STORES, items: ITEMS, days: DAYS, planners, workerCap, activityCap, rows: Object.fromEntries(rows), findings }, null, 1));
  process.exit(findings.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
