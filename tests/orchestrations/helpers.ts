import { resolve } from 'node:path';
import { openStorage, type AzureStorage } from '../../core/adapters/azure/index.js';
import { buildDeps, type DepsOverrides } from '../../core/composition.js';
import { useRuntime, type Runtime } from '../../core/runtime.js';
import { AksDispatcher } from '../../core/adapters/dispatch/aks.js';
import { AksPoolScaler, clusterKubeConfig } from '../../core/adapters/dispatch/aks-cluster.js';
import { loadConfig, type AppConfig } from '../../core/config.js';
import { ingestDriversUpload } from '../../core/domain/drivers-ingestion.js';
import { ingestUpload } from '../../core/domain/ingestion.js';
import { epochDayFromCivil, formatIsoDay } from '../../engine/index.js';
import { emptyStore } from '../../core/domain/stores.js';
import { systemClock } from '../../core/ports/index.js';
import { fakeCredential, type FakeArm } from '../support/fake-arm.js';
import { startLocalHost, type LocalHost } from '../support/local-host.js';
import { sampleStore, toCsv } from '../support/sales.js';

export const REPO = resolve(__dirname, '../..');

/** Small and fast: the orchestration is under test here, not the models. */
const TRAINER_ENV = { FOREACT_HORIZON_DAYS: '14', FOREACT_BACKTEST_FOLDS: '1' };

const APP_MODULES = ['orchestrations/training-batch.ts', 'orchestrations/store-refresh.ts', 'orchestrations/morning-run.ts', 'functions/morning-timer.ts'].map((m) => resolve(REPO, m));

/** The environment a trainer (pod or in-process call) needs against the test's Azurite. */
export function trainerEnv(connectionString: string): Record<string, string> {
  return { AzureWebJobsStorage: connectionString, ...TRAINER_ENV };
}

export async function openTestStorage(connectionString: string): Promise<AzureStorage> {
  return openStorage(loadConfig(trainerEnv(connectionString)));
}

/** The test's own configuration against its Azurite (plus `settings`), as an app setting list would give it. */
export function testConfig(connectionString: string, settings: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...trainerEnv(connectionString), ...settings });
}

/**
 * Installs a case's runtime for the functions and activities the host runs: the test's own runtime (its
 * settings and telemetry, built once in `beforeAll`) with this case's adapters (its dispatcher).
 */
export async function useTestRuntime(base: Runtime, overrides: DepsOverrides = {}, config: AppConfig = base.config): Promise<Runtime> {
  const runtime = base.with({ config, overrides });
  await runtime.deps();
  useRuntime(runtime);
  return runtime;
}

/**
 * The aks backend as `config` describes it, reached through the fake ARM (cluster 'aks' in 'rg' of 'sub-1'),
 * whose Jobs' pods get the test's Azurite connection string: the app's own `trainerEnv` never copies a
 * connection string into a Job spec, so composition cannot build this one for a test.
 */
export async function fakeAksBackend(config: AppConfig, arm: FakeArm, connectionString: string): Promise<{ dispatcher: AksDispatcher; scaler: AksPoolScaler }> {
  const aks = config.dispatch.aks;
  const cluster = { credential: fakeCredential, subscriptionId: 'sub-1', resourceGroup: 'rg', cluster: 'aks', endpoint: arm.endpoint, clientOptions: { tlsOptions: { ca: arm.ca } } };
  const dispatcher = new AksDispatcher({ kubeConfig: await clusterKubeConfig(cluster), namespace: aks.namespace, image: aks.image!, serviceAccount: aks.serviceAccount, pool: aks.pool, requestTimeoutMs: aks.requestTimeoutMs, env: trainerEnv(connectionString) });
  const scaler = new AksPoolScaler({ ...cluster, pool: 'training', minNodes: aks.poolMin, maxNodes: aks.poolMax, podsPerNode: aks.podsPerNode, windowSeconds: aks.windowSeconds });
  return { dispatcher, scaler };
}

/**
 * The local Functions host with the app's orchestrations and the morning timer (fired by hand, never by the
 * clock), plus `functions` (HTTP triggers by file name, e.g. `start-check-run`).
 */
export function startAppHost(connectionString: string, functions: readonly string[] = []): Promise<LocalHost> {
  const modules = [...APP_MODULES, ...functions.map((f) => resolve(REPO, 'functions', `${f}.ts`))];
  // The timer's schedule is an app setting of the host, not of this process's environment.
  return startLocalHost({ port: 0, storageConnectionString: connectionString, modules, enableTimers: false, appSettings: { ...process.env, FOREACT_MORNING_SCHEDULE: '0 0 5 * * *' } });
}

/** Ingests generated history for the stores (the way uploads arrive), plus stores without history. */
export async function seedStores(storage: AzureStorage, stores: readonly string[], options: { items?: number; days?: number; withoutHistory?: readonly string[] } = {}): Promise<void> {
  const series = stores.flatMap((s, i) => sampleStore(s, options.items ?? 4, options.days ?? 400, 11 + i));
  const csv = toCsv(series);
  const result = await ingestUpload(storage, { name: `seed-${Date.now()}.csv`, open: async function* () { yield await Promise.resolve(csv); } }, { clock: systemClock });
  if (result.status !== 'applied') throw new Error(`seeding failed: ${result.reason ?? JSON.stringify(result.rejected.slice(0, 3))}`);
  for (const s of options.withoutHistory ?? []) await storage.stores.save(emptyStore(s, new Date()), (await storage.stores.get(s))?.etag);
}

/**
 * A promotion calendar for every store the app knows, over the history `seedStores` writes (from 2021-01-04,
 * `days` long) and a month ahead. With drivers the engine's learned family is a candidate in each store's
 * backtest, and the morning run pools (its models are read by that family only).
 */
export async function seedPromotions(storage: AzureStorage, days = 400): Promise<void> {
  const first = epochDayFromCivil(2021, 1, 4);
  const lines = ['date,promo'];
  for (let day = first; day < first + days + 30; day++) lines.push(`${formatIsoDay(day)},${(day - first) % 9 < 2 ? 1 : 0}`);
  const csv = `${lines.join('\n')}\n`;
  const result = await ingestDriversUpload(storage, { name: `drivers/promotions-${Date.now()}.csv`, open: () => [csv] }, { clock: systemClock });
  if (result.status !== 'applied') throw new Error(`seeding promotions failed: ${result.reason ?? ''}`);
}

/** One store trained and published in this process (a "yesterday's forecast" to start from); throws if it failed. */
export async function trainNow(connectionString: string, store: string, runId: string): Promise<void> {
  const deps = await buildDeps(testConfig(connectionString));
  const [outcome] = await deps.trainStores({ stores: [store], runId, trigger: 'manual' });
  if (outcome?.status !== 'succeeded') throw new Error(`training ${store} failed: ${outcome?.error ?? 'no outcome'}`);
}
