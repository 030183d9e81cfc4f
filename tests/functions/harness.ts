import path from 'node:path';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startLocalHost, type LocalHost } from '../support/local-host.js';
import { loadConfig } from '../../core/config.js';
import { createRuntime, useRuntime } from '../../core/runtime.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { TableAccessRepository } from '../../core/adapters/azure/api-access-table.js';
import type { Principal } from '../../core/domain/api-access.js';
import { encodePrincipal } from '../../functions/http/principal.js';
import { publishRun } from '../../core/domain/publish.js';
import { updateStore, emptyStore } from '../../core/domain/stores.js';
import { epochDayFromCivil, trainStore, type SeriesForecast } from '../../engine/index.js';
import { generateSeries } from '../support/sales.js';

const root = path.resolve(__dirname, '../..');
export const API_MODULES = ['get-stores', 'get-forecasts', 'get-transport', 'refresh-store', 'start-check-run', 'get-run', 'get-health', 'get-me', 'get-attention', 'post-override', 'put-override', 'delete-override', 'get-overrides', 'get-override-history', 'get-value-added'].map((f) => path.join(root, 'functions', `${f}.ts`));
export const STANDIN_REFRESH = path.join(root, 'tests/fixtures/api/refresh-standin.ts');

export const USERS = {
  planner: { identityProvider: 'aad', userId: 'u-ann', userDetails: 'ann@contoso.com', userRoles: ['anonymous', 'authenticated', 'planner'] },
  admin: { identityProvider: 'aad', userId: 'u-bob', userDetails: 'bob@contoso.com', userRoles: ['anonymous', 'authenticated', 'admin'] },
  nobody: { identityProvider: 'aad', userId: 'u-cat', userDetails: 'cat@contoso.com', userRoles: ['anonymous', 'authenticated'] },
} satisfies Record<string, Principal>;

export interface ApiFixture {
  azurite: AzuriteInstance;
  host: LocalHost;
  storage: AzureStorage;
  access: TableAccessRepository;
  /** The first forecast day of the synthetic stores. */
  firstDay: string;
  stop(): Promise<void>;
}

const quiet = (level: string, message: string, err?: unknown): void => {
  if (level === 'error' && process.env.FOREACT_TEST_LOG) console.error(message, err);
};

/** A synthetic store forecast: item i, day d → forecast = 10·i + d, p10 = forecast − i, p90 = forecast + 2i. */
export function syntheticForecasts(store: string, items: number, firstDay: number, horizon: number): SeriesForecast[] {
  return Array.from({ length: items }, (_, k) => {
    const i = k + 1;
    const f = Float64Array.from({ length: horizon }, (_, d) => 10 * i + d);
    return { store, item: String(i), firstDay, forecast: f, p10: f.map((v) => Math.max(0, v - i)), p90: f.map((v) => v + 2 * i) };
  });
}

/** Stores: 1 (north, trained by the engine, with history), 2 (north), 3 (south), 4 (north, no forecast), 5…14 (east). */
export async function startApiFixture(options: { extraModules?: string[]; env?: Record<string, string>; benchStores?: number; benchItems?: number } = {}): Promise<ApiFixture> {
  const azurite = await startAzurite();
  // The test's own settings and deps, handed to the functions the host loads (no process.env edits).
  const config = loadConfig({ AzureWebJobsStorage: azurite.connectionString, ...options.env });
  const runtime = createRuntime(config);
  useRuntime(runtime);
  const deps = await runtime.deps();
  const { storage } = deps;
  const access = new TableAccessRepository(storage.clients.table('access'), 0);
  const now = new Date();

  // Store 1: real history, trained by the engine, history pointer then publish (not stale).
  const series = [1, 2, 3].map((i) => generateSeries({ store: '1', item: String(i), days: 400, start: '2016-06-01', mean: (d) => 5 * i + 3 * Math.sin((2 * Math.PI * d) / 7) + 3, noise: 'poisson', seed: i }));
  const written = await storage.history.write('1', series);
  const first = series[0]!.startDay;
  await updateStore(storage.stores, '1', (cur) => ({
    ...(cur ?? emptyStore('1', now)),
    history: { blob: written.blob, version: written.version, firstDay: '2016-06-01', lastDay: new Date((first + 399) * 86_400_000).toISOString().slice(0, 10), items: 3, observations: 1200, updatedAt: now.toISOString() },
  }));
  const trained = trainStore(series, { horizon: 28, folds: 1 });
  await publishRun(storage, { store: '1', runId: 'morning-20170705T050000000Z-aaaaaa', modelVersion: 'v1', forecasts: trained.forecasts, historyVersion: written.version, accuracy: { rmsse: 0.8, smape: 22.5 }, generatedAt: now });

  const firstDay = epochDayFromCivil(2017, 7, 6);
  for (const [store, items] of [['2', 4], ['3', 2]] as const) {
    await publishRun(storage, { store, runId: `morning-20170705T050000000Z-${store}${store}${store}`, modelVersion: 'v1', forecasts: syntheticForecasts(store, items, firstDay, 28), historyVersion: 'h0', accuracy: { rmsse: null, smape: null }, generatedAt: now });
  }
  await updateStore(storage.stores, '4', (cur) => cur ?? emptyStore('4', now));
  for (const s of ['1', '2', '4']) await access.setStoreRegion(s, 'north');
  await access.setStoreRegion('3', 'south');
  const bench = options.benchStores ?? 10;
  for (let k = 0; k < bench; k++) {
    const store = String(5 + k);
    await publishRun(storage, { store, runId: `morning-20170705T050000000Z-b${store}`, modelVersion: 'v1', forecasts: syntheticForecasts(store, options.benchItems ?? 5, firstDay, 28), historyVersion: 'h0', accuracy: { rmsse: 1, smape: 30 }, generatedAt: now });
    await access.setStoreRegion(store, 'east');
  }
  await access.setUserRegions(USERS.planner.userDetails, ['north']);

  const host = await startLocalHost({ port: 0, storageConnectionString: azurite.connectionString, modules: [...API_MODULES, ...(options.extraModules ?? [])], log: quiet });
  return {
    azurite,
    host,
    storage,
    access,
    firstDay: '2017-07-06',
    stop: async () => {
      await host.stop();
      await azurite.stop();
    },
  };
}

export function as(user: Principal | undefined, headers: Record<string, string> = {}): Record<string, string> {
  return user === undefined ? headers : { ...headers, 'x-ms-client-principal': encodePrincipal(user) };
}

/** The header the dashboard sends on every state-changing request (functions/http/csrf.ts). */
export const SAME_SITE = { 'x-requested-with': 'foreact' } as const;

/** The headers App Service authentication forwards for an app-only Entra token of client `appId`. */
export function asApp(appId: string, headers: Record<string, string> = {}): Record<string, string> {
  const claims = [
    { typ: 'aud', val: 'api://foreact' },
    { typ: 'azp', val: appId },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: `oid-of-${appId}` },
  ];
  return { ...headers, 'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims }), 'utf8').toString('base64'), 'x-ms-client-principal-idp': 'aad' };
}
