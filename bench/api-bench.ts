/**
 * HTTP API benchmark, as the dashboard calls the API: the requests a planner's sign-in, a store card
 * opened and a filter changed send (static-web/src/app.ts, api.ts, auth.ts), with the same query strings
 * and headers, on the local Functions host with Azurite in memory. Stores have a sales history (so
 * `historyDays=56`, which the dashboard always sends, reads it) and a published 90-day forecast.
 * Figures, not assertions.
 *
 *   npm run build && node dist/bench/api-bench.js [--planners 1,10,50] [--duration 10] [--stores 10] [--items 50]
 *       [--days 730] [--horizon 90]
 *   node dist/bench/api-bench.js --serve      # seed and serve until SIGTERM (bench/fuzz-api.sh)
 *   node dist/bench/api-bench.js --knee [--duration 5] [--max-connections 256]
 *       the dashboard's GET /api/forecasts and /api/transport under 1, 2, 4, … clients until p95 > 100 ms or
 *       errors: the knee
 *
 * The dashboard's actions (every request carries `Accept: application/json`, `X-Requested-With: foreact`
 * and a fresh `traceparent`; Static Web Apps adds `x-ms-client-principal`, sent here directly):
 *   - sign-in: GET /.auth/me (Static Web Apps itself, not the API: not measured; the local dev dashboard
 *     falls back to GET /api/me, measured), GET /api/stores, then at once
 *     GET /api/forecasts?stores=<all, ≤ 50>&from=F&to=F+27&historyDays=56 and
 *     GET /api/transport?stores=<all>&from=F&to=F+27, F = the latest `forecastFrom` of those stores;
 *   - store card opened (one store picked): the same two for that store alone;
 *   - filter changed (days 28 → 90): the same two for all stores, to=F+89.
 * Each virtual planner runs sign-in, store card, filter change, … back to back; an action's time is until
 * its last request answered (what the planner waits for). The load runs in a child process, so the
 * client does not share the host's event loop.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startAzurite } from '../scripts/azurite.js';
import { numberFlag, syntheticForecasts } from './synthetic-forecasts.js';
import { optionsFromEnvironment, startLocalHost } from '../scripts/local-host/host.js';
import { loadConfig } from '../core/config.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { TableAccessRepository } from '../core/adapters/azure/api-access-table.js';
import { encodePrincipal } from '../functions/http/principal.js';
import { publishRun } from '../core/domain/publish.js';
import { formatIsoDay } from '../engine/index.js';
import { seedStoreHistories, syntheticStore } from './seed-stores.js';
import { addDays, allMyStores, dashboardHeaders, dashboardWindow, DEFAULT_VIEW_DAYS, forecastsPath, HISTORY_DAYS, transportPath } from './dashboard-requests.js';

const ROOT = resolve(__dirname, '../..');

interface StoreListBody {
  stores: { store: string; freshness: { forecastFrom: string | null } }[];
}

function windowOf(list: StoreListBody, stores: readonly string[], days: number): { from: string; to: string } {
  const w = dashboardWindow(list, stores, days);
  if (w === undefined) throw new Error(`no forecast for ${stores.join(',')}`);
  return w;
}


type ActionName = 'sign-in' | 'store card' | 'filter change';
interface Sample {
  action: ActionName;
  ms: number;
  requests: { endpoint: string; ms: number; status: number; bytes: number }[];
}

/** One virtual planner's loop, until `end`: sign-in, a store card, a filter change, again (whole rounds). */
async function planner(base: string, principal: string, index: number, end: number, samples: Sample[]): Promise<void> {
  const call = async (path: string): Promise<{ endpoint: string; ms: number; status: number; bytes: number; body: unknown }> => {
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { headers: dashboardHeaders(principal) });
    const text = await res.text();
    const ms = performance.now() - t;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { endpoint: `GET ${path.split('?')[0]!}`, ms, status: res.status, bytes: Buffer.byteLength(text), body };
  };
  const action = async (name: ActionName, run: () => Promise<Sample['requests']>): Promise<void> => {
    const t = performance.now();
    const requests = await run();
    samples.push({ action: name, ms: performance.now() - t, requests });
  };
  const strip = ({ endpoint, ms, status, bytes }: { endpoint: string; ms: number; status: number; bytes: number }) => ({ endpoint, ms, status, bytes });
  // Whole rounds only, at least one: every action is measured as often as the others.
  for (let round = 0; round === 0 || Date.now() < end; round++) {
    let list: StoreListBody | undefined;
    let all: string[] = [];
    await action('sign-in', async () => {
      const me = await call('/api/me');
      const stores = await call('/api/stores');
      list = stores.body as StoreListBody;
      all = allMyStores(list.stores.map((s) => s.store));
      const w = windowOf(list, all, DEFAULT_VIEW_DAYS);
      const pair = await Promise.all([call(forecastsPath(all, w.from, w.to)), call(transportPath(all, w.from, w.to))]);
      return [me, stores, ...pair].map(strip);
    });
    const one = [all[(index + round) % all.length]!];
    await action('store card', async () => {
      const w = windowOf(list!, one, DEFAULT_VIEW_DAYS);
      return (await Promise.all([call(forecastsPath(one, w.from, w.to)), call(transportPath(one, w.from, w.to))])).map(strip);
    });
    await action('filter change', async () => {
      const w = windowOf(list!, all, 90);
      return (await Promise.all([call(forecastsPath(all, w.from, w.to)), call(transportPath(all, w.from, w.to))])).map(strip);
    });
  }
}

interface MixStats {
  planners: number;
  seconds: number;
  actions: Record<string, { n: number; p50: number; p95: number; p99: number }>;
  requests: Record<string, { n: number; p50: number; p95: number; p99: number; kib: number }>;
  requestsPerSecond: number;
  bad: number;
}

function pcts(xs: number[]): { n: number; p50: number; p95: number; p99: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => +(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(1);
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

/** Child mode: `node api-bench.js --mix <url> <planners> <seconds> <principal>` prints MixStats as JSON. */
async function mixClient(base: string, planners: number, seconds: number, principal: string): Promise<void> {
  const samples: Sample[] = [];
  const started = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: planners }, (_, i) => planner(base, principal, i, end, samples)));
  const wall = (performance.now() - started) / 1000;
  const actions: MixStats['actions'] = {};
  for (const name of ['sign-in', 'store card', 'filter change'] as const) actions[name] = pcts(samples.filter((x) => x.action === name).map((x) => x.ms));
  const all = samples.flatMap((x) => x.requests.map((r) => ({ ...r, key: `${x.action}: ${r.endpoint}` })));
  const requests: MixStats['requests'] = {};
  for (const key of [...new Set(all.map((r) => r.key))]) {
    const rs = all.filter((r) => r.key === key);
    requests[key] = { ...pcts(rs.map((r) => r.ms)), kib: +(rs.reduce((a, r) => a + r.bytes, 0) / rs.length / 1024).toFixed(1) };
  }
  const stats: MixStats = { planners, seconds: +wall.toFixed(1), actions, requests, requestsPerSecond: +(all.length / wall).toFixed(0), bad: all.filter((r) => r.status !== 200).length };
  process.stdout.write(JSON.stringify(stats));
}

function runChild(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`load client exited with ${code}`))));
  });
}

interface ClientStats {
  p50: string;
  p95: string;
  p99: string;
  rps: string;
  bad: number;
}

/** Child mode: `node api-bench.js --client <url> <connections> <duration> <principal>` prints ClientStats as JSON. */
async function client(url: string, connections: number, duration: number, principal: string): Promise<void> {
  const times: number[] = [];
  const r = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon({ url, connections, duration, headers: dashboardHeaders(principal) }, (error, result) => (error ? fail(error as Error) : done(result)));
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  times.sort((a, b) => a - b);
  const pct = (q: number): string => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN).toFixed(1);
  const stats: ClientStats = { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), rps: r.requests.average.toFixed(0), bad: r.non2xx + r.errors };
  process.stdout.write(JSON.stringify(stats));
}

async function runClient(url: string, connections: number, duration: number, principal: string): Promise<ClientStats> {
  return JSON.parse(await runChild(['--client', url, String(connections), String(duration), principal])) as ClientStats;
}

async function main(): Promise<void> {
  const duration = numberFlag('duration', 10);
  const items = numberFlag('items', 50);
  const horizon = numberFlag('horizon', 90);
  const days = numberFlag('days', 730);
  const storeCount = numberFlag('stores', 10);
  const plannerLevels = (process.argv.includes('--planners') ? process.argv[process.argv.indexOf('--planners') + 1]! : '1,10,50').split(',').map(Number);
  const azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  const storage = await openStorage(loadConfig(process.env));
  const access = new TableAccessRepository(storage.clients.table('access'));
  const stores = Array.from({ length: storeCount }, (_, i) => String(i + 1));
  // History to the day before the forecast's first day: what GET /api/forecasts' historyDays reads.
  const startYear = 2015;
  await seedStoreHistories(storage, stores, syntheticStore({ items, days, startYear, level: { min: 5, spread: 40 }, yearly: 0.25, intermittentEvery: 5 }), { parallel: 8, seed: 7 });
  const firstDay = Math.floor(Date.UTC(startYear, 0, 1) / 86_400_000) + days;
  for (const store of stores) {
    await publishRun(storage, { store, runId: `bench-${store}`, modelVersion: 'v1', forecasts: syntheticForecasts(store, items, horizon, firstDay), historyVersion: 'h', accuracy: { rmsse: 0.9, smape: 25 }, generatedAt: new Date() });
    await access.setStoreRegion(store, Number(store) <= storeCount / 2 ? 'north' : 'south');
  }
  await access.setUserRegions({ identityProvider: 'aad', userId: 'u-ann' }, ['north', 'south']);
  const serve = process.argv.includes('--serve');
  const knee = process.argv.includes('--knee');
  const api = ['get-me', 'get-stores', 'get-forecasts', 'get-transport', 'get-health', ...(serve ? ['refresh-store', 'start-check-run', 'get-run'] : [])];
  const modules = [...api.map((f) => join(ROOT, 'dist/functions', `${f}.js`)), ...(serve ? [join(ROOT, 'dist/orchestrations/store-refresh.js'), join(ROOT, 'dist/orchestrations/training-batch.js')] : [])];
  const host = await startLocalHost({ ...optionsFromEnvironment(process.env), port: 0, storageConnectionString: azurite.connectionString, modules, log: (level, message) => (level === 'error' ? console.error(message) : undefined) });
  const principal = encodePrincipal({ identityProvider: 'aad', userId: 'u-ann', userDetails: 'ann@contoso.com', userRoles: ['authenticated', 'planner'] });
  if (serve) {
    // For bench/fuzz-api.sh: keep serving until killed; print what the fuzzer needs on one line.
    console.log(JSON.stringify({ url: host.url, principal }));
    await new Promise<void>((done) => process.once('SIGTERM', done));
    await host.stop();
    await azurite.stop();
    return;
  }
  const from = formatIsoDay(firstDay);
  if (knee) {
    await kneeRun(host.url, principal, duration, numberFlag('max-connections', 256), stores, from, items);
    await host.stop();
    await azurite.stop();
    return;
  }
  // Every action of the mix answers 200 before anything is timed.
  const check = await runChild(['--mix', host.url, '1', '0.001', principal]);
  const checked = JSON.parse(check) as MixStats;
  if (checked.bad > 0 || Object.keys(checked.requests).length < 6) throw new Error(`the dashboard's requests do not all answer 200: ${check}`);
  const results: MixStats[] = [];
  for (const planners of plannerLevels) results.push(JSON.parse(await runChild(['--mix', host.url, String(planners), String(duration), principal])) as MixStats);
  await host.stop();
  await azurite.stop();
  console.log(`The dashboard's request mix, ${duration} s per level; ${storeCount} stores × ${items} items, ${days} days of sales, ${horizon}-day forecasts; node ${process.version}, local host + Azurite (in memory), one planner principal seeing every store; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| planners at once | action | actions | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) for (const [name, a] of Object.entries(r.actions)) console.log(`| ${r.planners} | ${name} | ${a.n} | ${a.p50} | ${a.p95} | ${a.p99} |`);
  console.log('\n| planners at once | request (action: endpoint) | requests | body KiB | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) for (const [key, q] of Object.entries(r.requests)) console.log(`| ${r.planners} | ${key} | ${q.n} | ${q.kib} | ${q.p50} | ${q.p95} | ${q.p99} |`);
  console.log('\n| planners at once | requests/s | non-200 |');
  console.log('|---|---|---|');
  for (const r of results) console.log(`| ${r.planners} | ${r.requestsPerSecond} | ${r.bad} |`);
}

/** Rising concurrency per endpoint (the dashboard's requests for one store) until p95 passes 100 ms or a request fails. */
async function kneeRun(base: string, principal: string, duration: number, maxConnections: number, stores: readonly string[], from: string, items: number): Promise<void> {
  const to = addDays(from, DEFAULT_VIEW_DAYS - 1);
  const cases = [
    { name: `/api/forecasts, 1 store × ${items} items × 28 days, historyDays=${HISTORY_DAYS}`, path: forecastsPath(['1'], from, to) },
    { name: `/api/transport, ${stores.length} stores × ${items} items × 28 days`, path: transportPath(stores, from, to) },
  ];
  const lines: string[] = [];
  for (const c of cases) {
    const url = `${base}${c.path}`;
    const warm = await fetch(url, { headers: dashboardHeaders(principal) });
    const bytes = (await warm.arrayBuffer()).byteLength;
    if (warm.status !== 200) throw new Error(`${c.path} answered ${warm.status}`);
    let knee = 'not reached';
    for (let connections = 1; connections <= maxConnections; connections *= 2) {
      const stats = await runClient(url, connections, duration, principal);
      lines.push(`| ${c.name} | ${(bytes / 1024).toFixed(0)} KiB | ${connections} | ${stats.p50} | ${stats.p95} | ${stats.p99} | ${stats.rps} | ${stats.bad} |`);
      console.error(lines[lines.length - 1]);
      if (Number(stats.p95) > 100 || stats.bad > 0) {
        knee = `${connections} clients (p95 ${stats.p95} ms, ${stats.bad} errors/non-2xx)`;
        break;
      }
    }
    lines.push(`| ${c.name}: knee at ${knee} | | | | | | | |`);
  }
  console.log(`Knee search, ${duration} s per step, node ${process.version}, local host + Azurite (in memory), planner principal\n`);
  console.log('| endpoint | body | clients | p50 ms | p95 ms | p99 ms | req/s | errors/non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const l of lines) console.log(l);
}

const clientAt = process.argv.indexOf('--client');
const mixAt = process.argv.indexOf('--mix');
const arg = (at: number, k: number): string => process.argv[at + k]!;
(clientAt >= 0 ? client(arg(clientAt, 1), Number(arg(clientAt, 2)), Number(arg(clientAt, 3)), arg(clientAt, 4)) : mixAt >= 0 ? mixClient(arg(mixAt, 1), Number(arg(mixAt, 2)), Number(arg(mixAt, 3)), arg(mixAt, 4)) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
