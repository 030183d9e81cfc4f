import { z } from 'zod';

/**
 * The one place the app reads its settings. Everything else receives a typed `AppConfig`, so a missing or
 * malformed setting fails at start-up with the setting's name instead of deep inside a run.
 */

/** Azurite's public development account (documented by Microsoft; not a secret). */
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** What `npm start` runs locally: Azurite on its classic ports. */
export const LOCAL_AZURITE_CONNECTION_STRING = [
  'DefaultEndpointsProtocol=http',
  `AccountName=${AZURITE_ACCOUNT}`,
  `AccountKey=${AZURITE_KEY}`,
  `BlobEndpoint=http://127.0.0.1:10000/${AZURITE_ACCOUNT}`,
  `QueueEndpoint=http://127.0.0.1:10001/${AZURITE_ACCOUNT}`,
  `TableEndpoint=http://127.0.0.1:10002/${AZURITE_ACCOUNT}`,
].join(';');

export type StorageConfig =
  | {
      kind: 'connectionString';
      connectionString: string;
      /** Where it came from, for messages: the app setting, or the local default. */
      source: 'AzureWebJobsStorage' | 'local-azurite-default';
    }
  | {
      /** Managed identity (DefaultAzureCredential): no keys anywhere, as in production. */
      kind: 'identity';
      blobServiceUri: string;
      tableServiceUri: string;
      /** Client id of a user-assigned identity, when the app has more than one. */
      managedIdentityClientId?: string;
    };

export interface TableNames {
  forecasts: string;
  runs: string;
  models: string;
  stores: string;
  ingestions: string;
}

export interface ContainerNames {
  sales: string;
  models: string;
  /** Fixed: the blob trigger's path (`uploads/{name}`) is part of the function's registration. */
  uploads: 'uploads';
  rejected: string;
}

export interface AppConfig {
  storage: StorageConfig;
  forecast: {
    horizonDays: number;
    backtestFolds: number;
    /**
     * Relative slack for the champion gate: a candidate is promoted when its backtest error is at most
     * champion × (1 + tolerance). 0 = "not worse".
     */
    championTolerance: number;
  };
  runs: { retentionDays: number };
  tables: TableNames;
  containers: ContainerNames;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`configuration: ${setting}: ${message}`);
  }
}

const tableName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be 3–63 letters/digits, starting with a letter');
const containerName = z
  .string()
  .regex(/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/, 'must be 3–63 lowercase letters, digits and single hyphens');
const httpUrl = z.url({ protocol: /^https?$/ });

function intSetting(fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v.trim()))
    .pipe(z.string().regex(/^\d+$/, 'must be a whole number'))
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

function numberSetting(fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v.trim()))
    .pipe(z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative number'))
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

function named(schema: z.ZodString, fallback: string) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()))
    .pipe(schema);
}

/**
 * Settings other than storage, keyed by the app-setting name. Colleagues add their sections here (or
 * `.extend()` it) so the whole app is validated in one pass.
 */
export const settingsSchema = z.object({
  FOREACT_HORIZON_DAYS: intSetting(28, 1, 730),
  FOREACT_BACKTEST_FOLDS: intSetting(3, 0, 10),
  FOREACT_CHAMPION_TOLERANCE: numberSetting(0, 0, 1),
  FOREACT_RUN_RETENTION_DAYS: intSetting(14, 1, 3650),
  FOREACT_TABLE_FORECASTS: named(tableName, 'forecasts'),
  FOREACT_TABLE_RUNS: named(tableName, 'runs'),
  FOREACT_TABLE_MODELS: named(tableName, 'models'),
  FOREACT_TABLE_STORES: named(tableName, 'stores'),
  FOREACT_TABLE_INGESTIONS: named(tableName, 'ingestions'),
  FOREACT_CONTAINER_SALES: named(containerName, 'sales'),
  FOREACT_CONTAINER_MODELS: named(containerName, 'models'),
  FOREACT_CONTAINER_REJECTED: named(containerName, 'rejected'),
});

type Env = Readonly<Record<string, string | undefined>>;

function storageFrom(env: Env): StorageConfig {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) {
    if (!/(^|;)\s*(UseDevelopmentStorage\s*=\s*true|AccountName\s*=|BlobEndpoint\s*=|TableEndpoint\s*=)/i.test(connectionString)) {
      throw new ConfigError('AzureWebJobsStorage', 'is not a storage connection string (expected "UseDevelopmentStorage=true" or "AccountName=…;AccountKey=…" / endpoints)');
    }
    return { kind: 'connectionString', connectionString, source: 'AzureWebJobsStorage' };
  }
  const accountName = env.AzureWebJobsStorage__accountName?.trim();
  const blobUri = env.AzureWebJobsStorage__blobServiceUri?.trim();
  const tableUri = env.AzureWebJobsStorage__tableServiceUri?.trim();
  if (accountName || blobUri || tableUri) {
    if (accountName && !/^[a-z0-9]{3,24}$/.test(accountName)) throw new ConfigError('AzureWebJobsStorage__accountName', 'must be 3–24 lowercase letters and digits');
    const check = (setting: string, value: string | undefined): string | undefined => {
      if (value === undefined) return undefined;
      if (!httpUrl.safeParse(value).success) throw new ConfigError(setting, `"${value}" is not an http(s) URL`);
      return value.replace(/\/+$/, '');
    };
    const blobServiceUri = check('AzureWebJobsStorage__blobServiceUri', blobUri) ?? (accountName ? `https://${accountName}.blob.core.windows.net` : undefined);
    const tableServiceUri = check('AzureWebJobsStorage__tableServiceUri', tableUri) ?? (accountName ? `https://${accountName}.table.core.windows.net` : undefined);
    if (blobServiceUri === undefined) throw new ConfigError('AzureWebJobsStorage__blobServiceUri', 'is required when AzureWebJobsStorage__accountName is not set');
    if (tableServiceUri === undefined) throw new ConfigError('AzureWebJobsStorage__tableServiceUri', 'is required when AzureWebJobsStorage__accountName is not set (Tables hold forecasts, runs and models)');
    const clientId = env.AzureWebJobsStorage__clientId?.trim();
    return { kind: 'identity', blobServiceUri, tableServiceUri, ...(clientId ? { managedIdentityClientId: clientId } : {}) };
  }
  return { kind: 'connectionString', connectionString: LOCAL_AZURITE_CONNECTION_STRING, source: 'local-azurite-default' };
}

/** Reads and validates the settings; throws a `ConfigError` naming the first bad setting. */
export function loadConfig(env: Env = process.env): AppConfig {
  const storage = storageFrom(env);
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? '(unknown)');
    throw new ConfigError(setting, `${issue.message} (got "${env[setting] ?? ''}")`);
  }
  const s = parsed.data;
  return {
    storage,
    forecast: { horizonDays: s.FOREACT_HORIZON_DAYS, backtestFolds: s.FOREACT_BACKTEST_FOLDS, championTolerance: s.FOREACT_CHAMPION_TOLERANCE },
    runs: { retentionDays: s.FOREACT_RUN_RETENTION_DAYS },
    tables: {
      forecasts: s.FOREACT_TABLE_FORECASTS,
      runs: s.FOREACT_TABLE_RUNS,
      models: s.FOREACT_TABLE_MODELS,
      stores: s.FOREACT_TABLE_STORES,
      ingestions: s.FOREACT_TABLE_INGESTIONS,
    },
    containers: { sales: s.FOREACT_CONTAINER_SALES, models: s.FOREACT_CONTAINER_MODELS, uploads: 'uploads', rejected: s.FOREACT_CONTAINER_REJECTED },
  };
}

let cached: AppConfig | undefined;

/** The process's config, read once: function handlers call this on every invocation. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}

/** For tests that change the environment between cases. */
export function resetConfigCache(): void {
  cached = undefined;
}
