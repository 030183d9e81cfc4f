import { describe, expect, test } from 'vitest';
import { createStorageClients } from '../../core/adapters/azure/index.js';
import { ConfigError, LOCAL_AZURITE_CONNECTION_STRING, loadConfig, settingsSchema, trainerEnv } from '../../core/config.js';

describe('loadConfig', () => {
  test('defaults: local Azurite on its classic ports, 28-day horizon, standard names', () => {
    const config = loadConfig({});
    expect(config.storage).toEqual({ kind: 'connectionString', connectionString: LOCAL_AZURITE_CONNECTION_STRING, source: 'local-azurite-default' });
    expect(config.storage.kind === 'connectionString' && config.storage.connectionString).toContain('127.0.0.1:10002');
    expect(config.forecast).toEqual({ horizonDays: 28, backtestFolds: 3, championTolerance: 0, championMaxAgeDays: 28 });
    expect(config.runs.retentionDays).toBe(14);
    expect(config.tables).toEqual({ forecasts: 'forecasts', runs: 'runs', models: 'models', stores: 'stores', ingestions: 'ingestions', realised: 'realised', overrides: 'overrides' });
    expect(config.containers).toEqual({ sales: 'sales', models: 'models', uploads: 'uploads', rejected: 'rejected', drivers: 'drivers' });
  });

  test('AzureWebJobsStorage connection string, including UseDevelopmentStorage=true', () => {
    expect(loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).storage).toMatchObject({ kind: 'connectionString', source: 'AzureWebJobsStorage' });
    expect(() => loadConfig({ AzureWebJobsStorage: 'hello' })).toThrow(/AzureWebJobsStorage/);
  });

  test('the data account (FOREACT_STORAGE) is separate from the host storage, which is only its local fallback', () => {
    const split = loadConfig({ AzureWebJobsStorage__accountName: 'foreacthost', FOREACT_STORAGE__blobServiceUri: 'https://data.blob.example', FOREACT_STORAGE__tableServiceUri: 'https://data.table.example', FOREACT_STORAGE__clientId: 'app-id' });
    expect(split.storage).toEqual({ kind: 'identity', blobServiceUri: 'https://data.blob.example', tableServiceUri: 'https://data.table.example', managedIdentityClientId: 'app-id' });
    expect(loadConfig({ FOREACT_STORAGE: 'UseDevelopmentStorage=true', AzureWebJobsStorage: 'hello' }).storage).toMatchObject({ kind: 'connectionString', source: 'FOREACT_STORAGE' });
    expect(() => loadConfig({ FOREACT_STORAGE__blobServiceUri: 'https://data.blob.example' })).toThrow(/FOREACT_STORAGE__tableServiceUri/);
    // The trainer pod gets the data account's endpoints, never the host account's key.
    expect(trainerEnv({ FOREACT_STORAGE__blobServiceUri: 'https://data.blob.example', FOREACT_STORAGE: 'AccountName=a;AccountKey=k' })).toEqual({ FOREACT_STORAGE__blobServiceUri: 'https://data.blob.example' });
  });

  test('in Azure a missing storage setting fails at start-up instead of falling back to the local Azurite', () => {
    expect(() => loadConfig({ WEBSITE_SITE_NAME: 'foreact-func' })).toThrow(/FOREACT_STORAGE: is not set/);
    expect(() => loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toThrow(/FOREACT_STORAGE: is not set/);
    expect(loadConfig({ WEBSITE_SITE_NAME: 'foreact-func', AzureWebJobsStorage__accountName: 'foreacthost' }).storage).toMatchObject({ kind: 'identity' });
  });

  test('identity-based storage: account name, or explicit service URIs; no keys', () => {
    expect(loadConfig({ AzureWebJobsStorage__accountName: 'foreactprod' }).storage).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://foreactprod.blob.core.windows.net',
      tableServiceUri: 'https://foreactprod.table.core.windows.net',
    });
    const explicit = loadConfig({ AzureWebJobsStorage__blobServiceUri: 'https://b.example/', AzureWebJobsStorage__tableServiceUri: 'https://t.example', AzureWebJobsStorage__clientId: 'abc' });
    expect(explicit.storage).toEqual({ kind: 'identity', blobServiceUri: 'https://b.example', tableServiceUri: 'https://t.example', managedIdentityClientId: 'abc' });
    expect(() => loadConfig({ AzureWebJobsStorage__blobServiceUri: 'https://b.example' })).toThrow(/AzureWebJobsStorage__tableServiceUri/);
    expect(() => loadConfig({ AzureWebJobsStorage__accountName: 'Bad_Name' })).toThrow(/AzureWebJobsStorage__accountName/);
    // Building clients needs no network and no credential until the first request.
    const clients = createStorageClients(explicit.storage);
    expect(clients.table('runs').url).toContain('t.example');
    expect(clients.container('sales').url).toBe('https://b.example/sales');
  });

  test('bad settings fail fast, naming the setting', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ FOREACT_HORIZON_DAYS: 'ten' }, /FOREACT_HORIZON_DAYS.*whole number/],
      [{ FOREACT_HORIZON_DAYS: '0' }, /FOREACT_HORIZON_DAYS/],
      [{ FOREACT_BACKTEST_FOLDS: '99' }, /FOREACT_BACKTEST_FOLDS/],
      [{ FOREACT_RUN_RETENTION_DAYS: '-1' }, /FOREACT_RUN_RETENTION_DAYS/],
      [{ FOREACT_TABLE_RUNS: 'runs-table' }, /FOREACT_TABLE_RUNS/],
      [{ FOREACT_CONTAINER_SALES: 'Sales' }, /FOREACT_CONTAINER_SALES/],
    ];
    for (const [env, message] of bad) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
    expect(loadConfig({ FOREACT_HORIZON_DAYS: ' 90 ', FOREACT_TABLE_RUNS: 'runs2' })).toMatchObject({ forecast: { horizonDays: 90 }, tables: { runs: 'runs2' } });
  });

  const AKS = { FOREACT_DISPATCH: 'aks', FOREACT_AKS_SUBSCRIPTION_ID: 'sub-1', FOREACT_AKS_RESOURCE_GROUP: 'rg', FOREACT_AKS_CLUSTER: 'aks', FOREACT_AKS_IMAGE: 'acr.example/trainer:1' };

  test('api section: defaults, overrides, a bad value names the setting', () => {
    expect(loadConfig({}).api).toEqual({ accessTable: 'access', refreshBurst: 5, refreshPerMinute: 5, pointerCacheMs: 2000, runCacheBytes: 64 * 1024 * 1024, maxCells: 1_000_000, rateLimitTable: 'ratelimits', trustedAppIds: [], operatorStores: ['smoke'], appOrigins: [], attention: { heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 } });
    expect(loadConfig({ FOREACT_TABLE_ACCESS: ' access2 ', FOREACT_REFRESH_BURST: '4', FOREACT_REFRESH_PER_MINUTE: '0.5', FOREACT_API_POINTER_CACHE_MS: '0', FOREACT_API_RUN_CACHE_MB: '8' }).api).toEqual({ accessTable: 'access2', refreshBurst: 4, refreshPerMinute: 0.5, pointerCacheMs: 0, runCacheBytes: 8 * 1024 * 1024, maxCells: 1_000_000, rateLimitTable: 'ratelimits', trustedAppIds: [], operatorStores: ['smoke'], appOrigins: [], attention: { heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 } });
    // The access table is the API's own: not among the tables created at start-up.
    expect(Object.values(loadConfig({}).tables)).not.toContain('access');
    for (const [env, message] of [
      [{ FOREACT_TABLE_ACCESS: 'acc-ess' }, /^configuration: FOREACT_TABLE_ACCESS: .*\(got "acc-ess"\)/],
      [{ FOREACT_REFRESH_BURST: '0' }, /FOREACT_REFRESH_BURST/],
      [{ FOREACT_REFRESH_PER_MINUTE: 'fast' }, /FOREACT_REFRESH_PER_MINUTE.*non-negative number/],
      [{ FOREACT_API_POINTER_CACHE_MS: '60001' }, /FOREACT_API_POINTER_CACHE_MS/],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });

  test('dispatch section: defaults are the local backend; a bad value names the setting', () => {
    const { dispatch } = loadConfig({});
    expect(dispatch).toEqual({
      backend: 'local',
      refreshBackend: 'local',
      morningConcurrency: 50,
      morningBatchSize: undefined,
      refreshDeadlineSeconds: 240,
      trainingTimeoutSeconds: 1800,
      pollSeconds: 5,
      local: { workers: 0 },
      aks: {
        subscriptionId: undefined,
        resourceGroup: undefined,
        cluster: undefined,
        pool: 'training',
        namespace: 'foreact',
        image: undefined,
        serviceAccount: 'foreact-trainer',
        workloadClientId: undefined,
        poolMin: 0,
        poolMax: 20,
        podsPerNode: 4,
        windowSeconds: 1800,
        requestTimeoutMs: 15_000,
        pooledMemoryMiB: 4096,
        armEndpoint: undefined,
        trainerEnv: {},
      },
      secondsPerStore: 5,
    });
    expect(loadConfig({ FOREACT_POLL_SECONDS: '0.2', FOREACT_MORNING_CONCURRENCY: ' 8 ', FOREACT_AKS_POOL: '' }).dispatch).toMatchObject({ pollSeconds: 0.2, morningConcurrency: 8, aks: { pool: 'training' } });
    expect(loadConfig({ FOREACT_MORNING_BATCH_SIZE: ' 20 ' }).dispatch.morningBatchSize).toBe(20);
    expect(loadConfig({ FOREACT_MORNING_BATCH_SIZE: '' }).dispatch.morningBatchSize).toBeUndefined();
    expect(() => loadConfig({ FOREACT_MORNING_BATCH_SIZE: '0' })).toThrow(/FOREACT_MORNING_BATCH_SIZE/);
    for (const [env, message] of [
      [{ FOREACT_DISPATCH: 'k8s' }, /FOREACT_DISPATCH/],
      [{ FOREACT_MORNING_CONCURRENCY: 'many' }, /FOREACT_MORNING_CONCURRENCY.*whole number/],
      [{ FOREACT_REFRESH_DEADLINE_SECONDS: '5' }, /FOREACT_REFRESH_DEADLINE_SECONDS/],
      [{ FOREACT_POLL_SECONDS: '0.01' }, /FOREACT_POLL_SECONDS/],
      [{ FOREACT_AKS_POOL_MIN: '5', FOREACT_AKS_POOL_MAX: '2' }, /^configuration: FOREACT_AKS_POOL_MIN: must not exceed FOREACT_AKS_POOL_MAX$/],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });

  test('dispatch section: FOREACT_DISPATCH=aks requires the cluster settings, and only then', () => {
    expect(loadConfig(AKS).dispatch).toMatchObject({ backend: 'aks', aks: { subscriptionId: 'sub-1', resourceGroup: 'rg', cluster: 'aks', image: 'acr.example/trainer:1', pool: 'training' } });
    for (const missing of ['FOREACT_AKS_SUBSCRIPTION_ID', 'FOREACT_AKS_RESOURCE_GROUP', 'FOREACT_AKS_CLUSTER', 'FOREACT_AKS_IMAGE'] as const) {
      const env: Record<string, string> = { ...AKS, [missing]: ' ' };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(new RegExp(`^configuration: ${missing}: is required when FOREACT_DISPATCH=aks$`));
    }
    // The local backend ignores them.
    expect(loadConfig({ FOREACT_DISPATCH: 'local' }).dispatch.aks.image).toBeUndefined();
  });

  test('trainer pods get the storage endpoints and names, never a connection string', () => {
    const env = { ...AKS, AzureWebJobsStorage__accountName: 'foreactprod', AzureWebJobsStorage__clientId: 'abc', FOREACT_HORIZON_DAYS: '14', FOREACT_TABLE_RUNS: 'runs2', FOREACT_TABLE_ACCESS: 'access2', FOREACT_CONTAINER_SALES: 'sales2', FOREACT_POLL_SECONDS: '1' };
    const expected = { AzureWebJobsStorage__accountName: 'foreactprod', FOREACT_HORIZON_DAYS: '14', FOREACT_TABLE_RUNS: 'runs2', FOREACT_TABLE_ACCESS: 'access2', FOREACT_CONTAINER_SALES: 'sales2' };
    expect(loadConfig(env).dispatch.aks.trainerEnv).toEqual(expected);
    expect(trainerEnv({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...expected })).toEqual(expected);
  });

  test('a trainer pod gets exactly the settings the schema marks for trainers', () => {
    const every = Object.fromEntries(Object.keys(settingsSchema.shape).map((name) => [name, 'x']));
    const marked = Object.entries(settingsSchema.shape).filter(([, schema]) => schema.meta()?.trainer === true).map(([name]) => name);
    expect(Object.keys(trainerEnv(every)).sort()).toEqual([...marked].sort());
    expect(marked).toContain('FOREACT_HORIZON_DAYS');
    expect(marked).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    // Settings only the app reads stay out of a Job spec.
    expect(marked).not.toContain('FOREACT_TABLE_RATE_LIMITS');
    expect(marked).not.toContain('FOREACT_AKS_IMAGE');
  });

  test("GET /attention's thresholds: defaults, overrides, and a bad value named", () => {
    expect(loadConfig({}).api.attention).toEqual({ heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 });
    expect(loadConfig({ FOREACT_ATTENTION_HEIGHTENED_PERCENT: '50', FOREACT_ATTENTION_MIN_UNITS: '2.5', FOREACT_ATTENTION_CHANGED_PERCENT: '10', FOREACT_ATTENTION_MAX_ITEM_ENTRIES: '0' }).api.attention).toEqual({ heightenedPercent: 50, minUnits: 2.5, changedPercent: 10, maxItemEntries: 0 });
    expect(() => loadConfig({ FOREACT_ATTENTION_HEIGHTENED_PERCENT: '0' })).toThrow(/FOREACT_ATTENTION_HEIGHTENED_PERCENT/);
    expect(() => loadConfig({ FOREACT_ATTENTION_MAX_ITEM_ENTRIES: '2.5' })).toThrow(/FOREACT_ATTENTION_MAX_ITEM_ENTRIES/);
  });
});
