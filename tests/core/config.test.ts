import { describe, expect, test } from 'vitest';
import { createStorageClients } from '../../core/adapters/azure/index.js';
import { ConfigError, LOCAL_AZURITE_CONNECTION_STRING, loadConfig } from '../../core/config.js';

describe('loadConfig', () => {
  test('defaults: local Azurite on its classic ports, 28-day horizon, standard names', () => {
    const config = loadConfig({});
    expect(config.storage).toEqual({ kind: 'connectionString', connectionString: LOCAL_AZURITE_CONNECTION_STRING, source: 'local-azurite-default' });
    expect(config.storage.kind === 'connectionString' && config.storage.connectionString).toContain('127.0.0.1:10002');
    expect(config.forecast).toEqual({ horizonDays: 28, backtestFolds: 3, championTolerance: 0 });
    expect(config.runs.retentionDays).toBe(14);
    expect(config.tables).toEqual({ forecasts: 'forecasts', runs: 'runs', models: 'models', stores: 'stores', ingestions: 'ingestions' });
    expect(config.containers).toEqual({ sales: 'sales', models: 'models', uploads: 'uploads', rejected: 'rejected' });
  });

  test('AzureWebJobsStorage connection string, including UseDevelopmentStorage=true', () => {
    expect(loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).storage).toMatchObject({ kind: 'connectionString', source: 'AzureWebJobsStorage' });
    expect(() => loadConfig({ AzureWebJobsStorage: 'hello' })).toThrow(/AzureWebJobsStorage/);
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
});
