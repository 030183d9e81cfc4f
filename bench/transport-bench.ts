/**
 * GET /api/transport for a planner's 50 stores, as the dashboard asks for it, at each service level and unit
 * (issue 21: p95 at a service level within 2× today's). Local Functions host with Azurite in memory, stores
 * published through the storage adapters with a 90-day forecast, a totals model (rho and 2 years of residuals,
 * so the cross-store dependence is computed) and a row in the store file (truck capacity, receiving limit);
 * the item master gives pack sizes to all but every tenth item (so the unconverted path runs too). Each case
 * is warmed once, then loaded by api-bench's autocannon client (its own process) at 1, 2 and 4 connections.
 * The first case is today's request (no level, no unit): run this file from an older build to compare.
 * Figures, not assertions.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/transport-bench.js [--stores 50] [--items 50] [--days 28] [--duration 10]
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { startAzurite } from '../scripts/azurite.js';
import { numberFlag, syntheticForecasts } from './synthetic-forecasts.js';
import { optionsFromEnvironment, startLocalHost } from '../scripts/local-host/host.js';
import { loadConfig } from '../core/config.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { TableAccessRepository } from '../core/adapters/azure/api-access-table.js';
import { encodePrincipal } from '../functions/http/principal.js';
import { publishRun } from '../core/domain/publish.js';
import { formatIsoDay, readStoreAttributes, type TotalsModel } from '../engine/index.js';
import { addDays, allMyStores, dashboardHeaders, transportPath } from './dashboard-requests.js';

const ROOT = resolve(__dirname, '../..');


/** Two years of residuals that share a common day effect, so stores move together (rho ≈ 0.5). */
function totalsModel(storeIndex: number, firstDay: number): TotalsModel {
  const wave = (d: number, seed: number): number => Math.sin(d * 12.9898 + seed * 78.233) * 43758.5453 - Math.floor(Math.sin(d * 12.9898 + seed * 78.233) * 43758.5453) - 0.5;
  const residuals = Array.from({ length: 730 }, (_, i) => ({ date: formatIsoDay(firstDay - 730 + i), z: 2 * (wave(i, 1) + wave(i, storeIndex + 2)) }));
  return { rho: 0.3, points: 730, calibration: { p50: 0.51, p80: 0.79, p90: 0.89, p95: 0.94 }, residuals };
}

function client(url: string, connections: number, duration: number, principal: string): Promise<{ p50: string; p95: string; p99: string; rps: string; bad: number }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(__dirname, 'api-bench.js'), '--client', url, String(connections), String(duration), principal], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(out) as { p50: string; p95: string; p99: string; rps: string; bad: number }) : fail(new Error(`client exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const storeCount = numberFlag('stores', 50);
  const items = numberFlag('items', 50);
  const days = numberFlag('days', 28);
  const duration = numberFlag('duration', 10);
  const horizon = 90;
  const azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  const storage = await openStorage(loadConfig(process.env));
  const access = new TableAccessRepository(storage.clients.table('access'));
  const stores = Array.from({ length: storeCount }, (_, i) => String(i + 1));
  const firstDay = Math.floor(Date.UTC(2017, 0, 1) / 86_400_000);
  for (const [i, store] of stores.entries()) {
    await publishRun(storage, { store, runId: `bench-${store}`, modelVersion: 'v1', forecasts: syntheticForecasts(store, items, horizon, firstDay), historyVersion: 'h', accuracy: { rmsse: 0.9, smape: 25 }, generatedAt: new Date(), totals: totalsModel(i, firstDay) });
    await access.setStoreRegion(store, 'north');
  }
  await access.setUserRegions({ identityProvider: 'aad', userId: 'u-ann' }, ['north']);
  // An older build has no item master: then only today's request is measured.
  const master = new Map(Array.from({ length: items }, (_, k) => [String(k + 1), { unitsPerCase: 6 + (k % 5), casesPerPallet: 40 }] as const).filter(([item]) => Number(item) % 10 !== 0));
  await (storage as { items?: { write(m: typeof master): Promise<void> } }).items?.write(master);
  const storeFile = await readStoreAttributes([`store,truck_pallets,receiving_limit_pallets\n${stores.map((s) => `${s},33,${3 + (Number(s) % 3)}`).join('\n')}\n`]);
  await storage.attributes.write(storeFile.table);
  const host = await startLocalHost({ ...optionsFromEnvironment(process.env), port: 0, storageConnectionString: azurite.connectionString, modules: [join(ROOT, 'dist/functions/get-transport.js')], log: (level, message) => (level === 'error' ? console.error(message) : undefined) });
  const principal = encodePrincipal({ identityProvider: 'aad', userId: 'u-ann', userDetails: 'ann@contoso.com', userRoles: ['authenticated', 'planner'] });
  const from = formatIsoDay(firstDay);
  const base = transportPath(allMyStores(stores), from, addDays(from, days - 1));
  const cases = [
    { name: "today's request (defaults: p50, units)", path: base },
    { name: 'level=p90&unit=units', path: `${base}&level=p90&unit=units` },
    { name: 'level=p90&unit=pallets', path: `${base}&level=p90&unit=pallets` },
    { name: 'level=p95&unit=trucks', path: `${base}&level=p95&unit=trucks` },
  ];
  const lines: string[] = [];
  for (const c of cases) {
    const url = `${host.url}${c.path}`;
    const warm = await fetch(url, { headers: dashboardHeaders(principal) });
    const bytes = (await warm.arrayBuffer()).byteLength;
    if (warm.status !== 200) {
      lines.push(`| ${c.name} | answered ${warm.status} (not in this build) | | | | | | |`);
      continue;
    }
    for (const connections of [1, 2, 4]) {
      const s = await client(url, connections, duration, principal);
      lines.push(`| ${c.name} | ${(bytes / 1024).toFixed(0)} KiB | ${connections} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.rps} | ${s.bad} |`);
      console.error(lines[lines.length - 1]);
    }
  }
  await host.stop();
  await azurite.stop();
  console.log(`GET /api/transport, ${storeCount} stores × ${items} items × ${days} days, ${duration} s per step; node ${process.version}, local host + Azurite (in memory), planner principal; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| request | body | clients | p50 ms | p95 ms | p99 ms | req/s | errors/non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const l of lines) console.log(l);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
