/**
 * `npm start`: the real Foreact app on one machine. Azurite for storage (data kept in .azurite/), the
 * project's local Functions host for every function and orchestration, the dashboard behind a server that
 * emulates Static Web Apps sign-in, sample sales on first start, and a first morning run.
 *
 * Ports: FOREACT_API_PORT (7071), FOREACT_WEB_PORT (4280); Azurite on its default 10000–10002 with its data
 * in FOREACT_AZURITE_DIR (default .azurite/, git-ignored).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { defaultAzuriteLocation, startAzurite, type AzuriteInstance } from './azurite.js';
import { appModules, findRepoRoot } from './local-host/app-files.js';
import { optionsFromEnvironment, startLocalHost, type LocalHost } from './local-host/host.js';
import { DEMO_USERS, startDevWebServer } from './dev-web-server.js';
import { SAMPLE_STORES, sampleDriversCsvs, sampleItemMasterCsv, sampleSalesCsv, sampleStoresCsv } from './sample-data.js';
import { seedOverride, seedPastOverride } from './sample-override.js';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId } from '../orchestrations/names.js';
import { INGEST_EVENTS } from '../core/config.js';
import { processRuntime } from '../core/runtime.js';

function port(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number, got "${text}"`);
  return value;
}

function assertFree(portNumber: number, what: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe: Server = createServer();
    probe.once('error', () => reject(new Error(`port ${portNumber} (${what}) is already in use: stop whatever uses it${setting ? `, or set ${setting} to another port` : ''}`)));
    probe.listen(portNumber, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function isoToday(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

export interface ForeactStack {
  apiUrl: string;
  webUrl: string;
  host: LocalHost;
  azurite: AzuriteInstance;
  stop(): Promise<void>;
}

export interface StartOptions {
  root?: string;
  apiPort?: number;
  webPort?: number;
  /** Azurite ports; 0 picks free ones (tests). Default: Azurite's own 10000–10002, so CLIs find it. */
  azuritePorts?: { blob: number; queue: number; table: number };
  /** Folder for Azurite's data; undefined keeps it in memory. */
  azuriteLocation?: string;
  log?: (message: string) => void;
}

/** Starts the whole local stack; used by `npm start` and by the end-to-end tests (on free ports). */
export async function startForeact(options: StartOptions = {}): Promise<ForeactStack> {
  const root = options.root ?? findRepoRoot(__dirname);
  const log = options.log ?? ((message: string) => console.log(`foreact: ${message}`));
  const apiPort = options.apiPort ?? 7071;
  const webPort = options.webPort ?? 4280;
  const azuritePorts = options.azuritePorts ?? { blob: 10000, queue: 10001, table: 10002 };
  if (apiPort !== 0) await assertFree(apiPort, 'Functions host', 'FOREACT_API_PORT');
  if (webPort !== 0) await assertFree(webPort, 'dashboard', 'FOREACT_WEB_PORT');
  for (const p of Object.values(azuritePorts)) if (p !== 0) await assertFree(p, 'Azurite', '');

  const webRoot = join(root, 'static-web/dist');
  if (!existsSync(join(webRoot, 'index.html'))) {
    log('building the dashboard (first start)…');
    const build = spawnSync('npm', ['run', 'web:build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the dashboard build failed (npm run web:build)');
  }

  const stops: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const azurite = await startAzurite({ ...(options.azuriteLocation === undefined ? {} : { location: options.azuriteLocation }), blobPort: azuritePorts.blob, queuePort: azuritePorts.queue, tablePort: azuritePorts.table });
    stops.push(() => azurite.stop());
    process.env.AzureWebJobsStorage = azurite.connectionString;
    process.env.FOREACT_DISPATCH ??= 'local';
    // In Azure this is an app setting (bicep); locally the morning run is at 05:00 machine time.
    process.env.FOREACT_MORNING_SCHEDULE ??= '0 0 5 * * *';
    log(`Azurite on ${azurite.blobEndpoint}${options.azuriteLocation === undefined ? ' (in memory)' : ` (data in ${options.azuriteLocation})`}`);

    const host = await startLocalHost({ ...optionsFromEnvironment(process.env), storageConnectionString: azurite.connectionString, modules: appModules(root), port: apiPort, blobEvents: [INGEST_EVENTS] });
    stops.push(() => host.stop());
    log(`API on ${host.url}/api (${host.functions.length} functions)`);

    const web = await startDevWebServer({ root: webRoot, port: webPort, apiUrl: host.url });
    stops.push(() => new Promise((resolve) => web.close(resolve)));
    const address = web.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : webPort;
    const webUrl = `http://127.0.0.1:${boundPort}`;
    // The browser's POSTs name the dashboard in Origin, and the web server forwards them to the host's own
    // address: without this (Bicep's FOREACT_APP_ORIGIN in Azure) every refresh would be refused as
    // cross-site (functions/http/csrf.ts). Both spellings a person may type; set before the app reads its
    // settings, which the seeding below does first.
    process.env.FOREACT_APP_ORIGIN = localAppOrigins(process.env.FOREACT_APP_ORIGIN, boundPort);

    await seedIfEmpty(host, webUrl, log);
    await seedMasterData(log);
    // Read once per process: had anything loaded the settings before the line above, refreshes would fail.
    if (!processRuntime().config.api.appOrigins.includes(webUrl)) throw new Error(`the app's settings were loaded before FOREACT_APP_ORIGIN included ${webUrl}: the dashboard's refreshes would be refused`);
    // The sample override goes through the HTTP API; a host without it (an older build) still starts.
    await seedOverride(webUrl, log).catch((error: unknown) => log(`could not seed the sample override: ${error instanceof Error ? error.message : String(error)}`));
    return { apiUrl: host.url, webUrl, host, azurite, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** FOREACT_APP_ORIGIN for the local dashboard: what was set, plus the web server's origins. */
export function localAppOrigins(current: string | undefined, webPort: number): string {
  const given = (current ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  return [...new Set([...given, `http://127.0.0.1:${webPort}`, `http://localhost:${webPort}`])].join(',');
}

async function main(): Promise<void> {
  const root = findRepoRoot(__dirname);
  const stack = await startForeact({ root, apiPort: port('FOREACT_API_PORT', 7071), webPort: port('FOREACT_WEB_PORT', 4280), azuriteLocation: process.env.FOREACT_AZURITE_DIR ?? defaultAzuriteLocation(root) });
  const shutdown = (): void => {
    console.log('\nforeact: stopping…');
    void stack.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  console.log(`\nforeact: dashboard on ${stack.webUrl}  (sign in as a north or south planner, or as admin)\nPress Ctrl-C to stop.`);
  if (process.env.CI === undefined && process.env.FOREACT_NO_OPEN === undefined) openBrowser(stack.webUrl);
}

async function seedIfEmpty(host: LocalHost, webUrl: string, log: (message: string) => void): Promise<void> {
  // Loaded after the host so the app's modules see the host's registrations, not the library's test mode.
  const { ingestUpload } = await import('../core/domain/ingestion.js');
  const { ingestDriversUpload } = await import('../core/domain/drivers-ingestion.js');
  const { storage, access, clock, config } = await processRuntime().deps();
  if ((await storage.stores.list()).length > 0) {
    log('storage already has stores; keeping them');
    return;
  }
  log(`seeding two years of sample sales for ${SAMPLE_STORES.length} stores…`);
  // Up to a week ago first, forecast, then last week's sales: the store cards open with a week of realised
  // accuracy (forecast against actual), as they would on a running system.
  const [header = '', ...rows] = sampleSalesCsv(isoToday(-1)).split('\n').filter((line) => line.length > 0);
  const weekAgo = isoToday(-7);
  const older = [header, ...rows.filter((line) => line.slice(0, 10) < weekAgo)].join('\n');
  const lastWeek = [header, ...rows.filter((line) => line.slice(0, 10) >= weekAgo)].join('\n');
  const result = await ingestUpload(storage, { name: 'sample-sales.csv', open: () => [older] }, { clock, rules: config.ingest });
  log(`ingested ${result.accepted} rows into ${result.changedStores.length} stores`);
  for (const file of sampleDriversCsvs(isoToday(-1))) {
    const drivers = await ingestDriversUpload(storage, { name: file.name, open: () => [file.csv] }, { clock, rules: config.ingest });
    if (drivers.status !== 'applied') throw new Error(`sample drivers ${file.name} were rejected: ${drivers.reason ?? ''}`);
  }
  log('ingested the sample drivers: a promotion calendar, Sunday closures in the south, a holiday');
  for (const { store, region } of SAMPLE_STORES) await access.setStoreRegion(store, region);
  // The local sign-in's planners, by their stable user ids (the sign-in emulation's provider is aad).
  for (const user of DEMO_USERS) if (user.regions.length > 0) await access.setUserRegions({ identityProvider: 'aad', userId: user.userId }, user.regions);
  await morningRun(host, weekAgo, log);
  // Pat saw last week's football final coming: the override was in force when its sales arrived, so the
  // card opens with forecast value added (model against adjusted WAPE on realised days).
  await seedPastOverride(webUrl, weekAgo, log).catch((error: unknown) => log(`could not seed last week's override: ${error instanceof Error ? error.message : String(error)}`));
  const week = await ingestUpload(storage, { name: 'sample-sales-last-week.csv', open: () => [lastWeek] }, { clock, rules: config.ingest });
  log(`ingested last week's ${week.accepted} rows: forecast against actual recorded for ${week.changedStores.length} stores`);
  await morningRun(host, isoToday(), log);
}

/**
 * The item master and the store file (trucks and receiving limits). Every start: an unchanged file is a
 * no-op (uploads are deduplicated by content), and a stack seeded before these existed gains them.
 */
async function seedMasterData(log: (message: string) => void): Promise<void> {
  const { ingestItemMasterUpload } = await import('../core/domain/item-master.js');
  const { ingestStoreAttributesUpload } = await import('../core/domain/store-attributes.js');
  const { storage, clock, config } = await processRuntime().deps();
  const items = sampleItemMasterCsv();
  const stores = sampleStoresCsv();
  const itemResult = await ingestItemMasterUpload(storage, { name: items.name, open: () => [items.csv] }, { clock, rules: config.ingest });
  const storeResult = await ingestStoreAttributesUpload(storage, { name: stores.name, open: () => [stores.csv] }, { clock, rules: config.ingest });
  for (const [what, result] of [['item master', itemResult], ['store file', storeResult]] as const) {
    if (result.status === 'rejected') throw new Error(`the sample ${what} was rejected: ${result.reason ?? ''}`);
    if (!result.duplicate) log(`ingested the sample ${what} (${result.accepted} rows)`);
  }
}

async function morningRun(host: LocalHost, date: string, log: (message: string) => void): Promise<void> {
  log(`running the morning forecast of ${date}…`);
  const started = performance.now();
  const instanceId = morningInstanceId(date);
  await host.durable.startNew(MORNING_RUN_ORCHESTRATION, { instanceId, input: { date } }).catch(() => undefined);
  const status = await host.durable.waitForInstance(instanceId, 300_000);
  log(`morning run ${String(status.runtimeStatus)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function openBrowser(url: string): void {
  for (const opener of ['xdg-open', 'open']) {
    if (spawnSync('which', [opener]).status === 0) {
      // Detached: a browser that cannot start (no display) must not hold up or kill the stack.
      spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
      return;
    }
  }
}

if (require.main === module) main().catch((error: unknown) => {
  console.error(`foreact start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
