/**
 * HTTP API benchmark: GET /api/forecasts for one store and for ten stores under 50 concurrent clients
 * (autocannon), on the local Functions host with Azurite in memory. Prints p50/p95/p99 latency and req/s
 * as a markdown table; figures, not assertions.
 *
 *   npm run build && node dist/bench/api-bench.js [--duration 10] [--connections 50] [--items 50] [--horizon 90]
 *   node dist/bench/api-bench.js --serve      # seed and serve until SIGTERM (bench/fuzz-api.sh)
 *   node dist/bench/api-bench.js --knee [--duration 5] [--max-connections 256]
 *       GET /api/forecasts and /api/transport under 1, 2, 4, … clients until p95 > 100 ms or errors: the knee
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startAzurite } from '../scripts/azurite.js';
import { startLocalHost } from '../scripts/local-host/host.js';
import { getConfig, resetConfigCache } from '../core/config.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { TableAccessRepository } from '../core/adapters/azure/api-access-table.js';
import { encodePrincipal } from '../functions/http/principal.js';
import { publishRun } from '../core/domain/publish.js';
import { epochDayFromCivil, type SeriesForecast } from '../engine/index.js';

const ROOT = resolve(__dirname, '../..');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function forecasts(store: string, items: number, horizon: number): SeriesForecast[] {
  const firstDay = epochDayFromCivil(2017, 7, 1);
  return Array.from({ length: items }, (_, k) => {
    const f = Float64Array.from({ length: horizon }, (_, d) => 20 + k + 5 * Math.sin(d / 3) + (d % 7));
    return { store, item: String(k + 1), firstDay, forecast: f, p10: f.map((v) => v * 0.7), p90: f.map((v) => v * 1.4) };
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
    const instance = autocannon({ url, connections, duration, headers: { 'x-ms-client-principal': principal } }, (error, result) => (error ? fail(error as Error) : done(result)));
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  times.sort((a, b) => a - b);
  const pct = (q: number): string => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN).toFixed(1);
  const stats: ClientStats = { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), rps: r.requests.average.toFixed(0), bad: r.non2xx + r.errors };
  process.stdout.write(JSON.stringify(stats));
}

function runClient(url: string, connections: number, duration: number, principal: string): Promise<ClientStats> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [__filename, '--client', url, String(connections), String(duration), principal], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out) as ClientStats) : fail(new Error(`load client exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const duration = flag('duration', 10);
  const connections = flag('connections', 50);
  const items = flag('items', 50);
  const horizon = flag('horizon', 90);
  const azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  resetConfigCache();
  const storage = await openStorage(getConfig());
  const access = new TableAccessRepository(storage.clients.table('access'));
  const stores = Array.from({ length: 10 }, (_, i) => String(i + 1));
  for (const store of stores) {
    await publishRun(storage, { store, runId: `bench-${store}`, modelVersion: 'v1', forecasts: forecasts(store, items, horizon), historyVersion: 'h', accuracy: { rmsse: 0.9, smape: 25 }, generatedAt: new Date() });
    await access.setStoreRegion(store, Number(store) <= 5 ? 'north' : 'south');
  }
  await access.setUserRegions('ann@contoso.com', ['north', 'south']);
  const serve = process.argv.includes('--serve');
  const knee = process.argv.includes('--knee');
  const api = serve ? ['get-stores', 'get-forecasts', 'get-transport', 'refresh-store', 'get-run', 'get-health', 'get-me'] : ['get-forecasts', 'get-transport', 'get-health'];
  const modules = [...api.map((f) => join(ROOT, 'dist/functions', `${f}.js`)), ...(serve ? [join(ROOT, 'dist/orchestrations/store-refresh.js'), join(ROOT, 'dist/orchestrations/training-batch.js')] : [])];
  const host = await startLocalHost({ port: 0, storageConnectionString: azurite.connectionString, modules, log: (level, message) => (level === 'error' ? console.error(message) : undefined) });
  const principal = encodePrincipal({ identityProvider: 'aad', userId: 'u-ann', userDetails: 'ann@contoso.com', userRoles: ['authenticated', 'planner'] });
  if (serve) {
    // For bench/fuzz-api.sh: keep serving until killed; print what the fuzzer needs on one line.
    console.log(JSON.stringify({ url: host.url, principal }));
    await new Promise<void>((done) => process.once('SIGTERM', done));
    await host.stop();
    await azurite.stop();
    return;
  }
  if (knee) {
    await kneeRun(host.url, principal, duration, flag('max-connections', 256), items, horizon);
    await host.stop();
    await azurite.stop();
    return;
  }
  const cases = [
    { name: `1 store × ${items} items × ${horizon} days`, path: '/api/forecasts?stores=1&historyDays=0' },
    { name: `10 stores × ${items} items × ${horizon} days`, path: `/api/forecasts?stores=${stores.join(',')}&historyDays=0` },
    { name: `1 store, 5 items, 28 days`, path: '/api/forecasts?stores=1&items=1,2,3,4,5&from=2017-07-01&to=2017-07-28&historyDays=0' },
  ];
  const rows: string[] = [];
  for (const c of cases) {
    const url = `${host.url}${c.path}`;
    const warm = await fetch(url, { headers: { 'x-ms-client-principal': principal } });
    const bytes = (await warm.arrayBuffer()).byteLength;
    if (warm.status !== 200) throw new Error(`${c.path} answered ${warm.status}`);
    // autocannon runs in its own process so that the load generator does not share the host's event loop.
    const stats = await runClient(url, connections, duration, principal);
    rows.push(`| ${c.name} | ${connections} | ${(bytes / 1024).toFixed(0)} KiB | ${stats.p50} | ${stats.p95} | ${stats.p99} | ${stats.rps} | ${stats.bad} |`);
  }
  await new Promise((r) => setTimeout(r, 500));
  await host.stop();
  await azurite.stop();
  console.log(`GET /api/forecasts, ${duration} s per case, node ${process.version}, local host + Azurite (in memory), planner principal\n`);
  console.log('| case | clients | body | p50 ms | p95 ms | p99 ms | req/s | errors/non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

/** Rising concurrency per endpoint until p95 passes 100 ms or a request fails; prints every step. */
async function kneeRun(base: string, principal: string, duration: number, maxConnections: number, items: number, horizon: number): Promise<void> {
  const cases = [
    { name: `/api/forecasts, 1 store × ${items} items × ${horizon} days`, path: '/api/forecasts?stores=1&historyDays=0' },
    { name: `/api/transport, 10 stores × ${items} items × ${horizon} days`, path: '/api/transport?stores=1,2,3,4,5,6,7,8,9,10' },
  ];
  const lines: string[] = [];
  for (const c of cases) {
    const url = `${base}${c.path}`;
    const warm = await fetch(url, { headers: { 'x-ms-client-principal': principal } });
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
(clientAt >= 0 ? client(process.argv[clientAt + 1]!, Number(process.argv[clientAt + 2]), Number(process.argv[clientAt + 3]), process.argv[clientAt + 4]!) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
