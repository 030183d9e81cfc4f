import { z } from 'zod';

/**
 * The one place the app reads its settings: storage, forecasting, table/container names, the API, the
 * orchestrations' training dispatch. Everything else receives a typed `AppConfig` (its runtime's,
 * core/runtime.ts; `loadConfig(env)` in tests), so a missing or malformed setting fails at
 * start-up with the setting's name instead of deep inside a run.
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

/** The connection (app setting, or prefix of identity-based settings) that holds the app's data. */
export const DATA_CONNECTION = 'FOREACT_STORAGE';
/**
 * Uploads reach the app as Event Grid `BlobCreated` events on a queue of the data account (the Function App
 * accepts no anonymous webhook): bicep subscribes the uploads container to this queue.
 */
export const INGEST_EVENTS = { container: 'uploads', queue: 'ingest-events' } as const;

/** The Functions host's own storage; the data's fallback when FOREACT_STORAGE is not set (local runs). */
export const HOST_CONNECTION = 'AzureWebJobsStorage';
export type StorageSource = typeof DATA_CONNECTION | typeof HOST_CONNECTION;

export type StorageConfig =
  | {
      kind: 'connectionString';
      connectionString: string;
      /** Where it came from, for messages: the app setting, or the local default. */
      source: StorageSource | 'local-azurite-default';
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
  /** Forecast against actual per store and day, recorded as sales arrive. */
  realised: string;
  /** Planners' overrides and their append-only audit log (partition = store). */
  overrides: string;
}

export interface ContainerNames {
  sales: string;
  models: string;
  /** Fixed: the blob trigger's path (`uploads/{name}`) is part of the function's registration. */
  uploads: 'uploads';
  rejected: string;
  /** Each store's drivers, as the app stores them (uploads arrive in `uploads/drivers/`). */
  drivers: string;
}

export interface ApiConfig {
  /** Table of the region assignments (`foreact admin`); not created at start-up, the repository creates it on first use. */
  accessTable: string;
  /** Table of the refresh rate limit's token buckets, shared by every instance (FOREACT_TABLE_RATE_LIMITS). */
  rateLimitTable: string;
  /** Refresh rate limit per user (token bucket, shared by every instance through `rateLimitTable`). */
  refreshBurst: number;
  refreshPerMinute: number;
  /** How long a store's pointer row is cached per instance; 0 disables. */
  pointerCacheMs: number;
  /** Memory budget of the API's cache of immutable runs, per instance. */
  runCacheBytes: number;
  /** Most store × item × day values one /forecasts or /transport answer may hold (FOREACT_API_MAX_CELLS). */
  maxCells: number;
  /**
   * Client ids (lower case) whose app-only Entra tokens the API accepts, as the `operator` role
   * (FOREACT_TRUSTED_APP_IDS, comma-separated; empty = no app-only caller is accepted).
   */
  trustedAppIds: string[];
  /** The only stores an `operator` may see, refresh or check-run (FOREACT_OPERATOR_STORES; default `smoke`). */
  operatorStores: string[];
  /**
   * Origins (`https://host[:port]`) a state-changing request's `Origin` may name besides the request's own
   * (FOREACT_APP_ORIGIN, comma-separated: the Static Web App's host in Azure).
   */
  appOrigins: string[];
  /**
   * GET /attention's thresholds: a store-day or item-day is `heightened` at FOREACT_ATTENTION_HEIGHTENED_PERCENT
   * above its weekday's normal and FOREACT_ATTENTION_MIN_UNITS extra units; a store-day `changed` at
   * FOREACT_ATTENTION_CHANGED_PERCENT against the previous run; at most FOREACT_ATTENTION_MAX_ITEM_ENTRIES item-days per store.
   */
  attention: { heightenedPercent: number; minUnits: number; changedPercent: number; maxItemEntries: number };
}

export interface DispatchConfig {
  /** Where the morning run's batches train. */
  backend: 'local' | 'aks';
  /**
   * Where a one-store refresh trains (`FOREACT_REFRESH_DISPATCH`, default `local`): in the Function App's
   * own worker threads, so a planner's refresh never waits for a training node to boot (the pool rests at
   * 0 nodes). See docs/reliability.md "Refresh when the training pool is at zero".
   */
  refreshBackend: 'local' | 'aks';
  /** Sub-orchestrations (and so Jobs) running at once in the morning run. */
  morningConcurrency: number;
  /**
   * Stores per dispatched job (worker task / Job) in the morning run; undefined = derived from the
   * measured seconds per store (`morningBatchSize()` in orchestrations/morning-run.ts).
   */
  morningBatchSize: number | undefined;
  refreshDeadlineSeconds: number;
  /** A morning-run store whose job has not finished after this is failed (kept stale). */
  trainingTimeoutSeconds: number;
  pollSeconds: number;
  local: { workers: number };
  aks: {
    /** Required (checked at load) when `backend` is `aks`. */
    subscriptionId: string | undefined;
    resourceGroup: string | undefined;
    cluster: string | undefined;
    pool: string;
    namespace: string;
    image: string | undefined;
    serviceAccount: string;
    workloadClientId: string | undefined;
    poolMin: number;
    poolMax: number;
    podsPerNode: number;
    /** Seconds the morning run may take on the training pool; sizes the pool with the seconds per store. */
    windowSeconds: number;
    requestTimeoutMs: number;
    /** Memory (MiB, request = limit) of the pooled step's pod, which holds every store's history at once. */
    pooledMemoryMiB: number;
    /** Optional ARM endpoint override (sovereign clouds; a fake ARM server in tests). */
    armEndpoint: string | undefined;
    /** The app's settings a trainer pod needs (see `trainerEnv`), copied into every Job spec. */
    trainerEnv: Record<string, string>;
  };
  /** Used until a morning run has measured it. */
  secondsPerStore: number;
}

/**
 * Where spans, logs and metrics go. The OpenTelemetry SDK's standard variables: `OTEL_TRACES_EXPORTER`
 * (`console`, `otlp`, `none`, comma-separated; default `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, else none), `OTEL_SERVICE_NAME`; and Application Insights'
 * `APPLICATIONINSIGHTS_CONNECTION_STRING` (sent with an Entra token from DefaultAzureCredential, never
 * the connection string's key).
 */
export interface TelemetryConfig {
  serviceName: string;
  exporters: ('console' | 'otlp')[];
  /** OTLP/HTTP traces URL (`…/v1/traces`), when `otlp` is on. */
  otlpTracesUrl: string | undefined;
  /** Application Insights connection string (endpoint and component), when set. */
  azureMonitorConnectionString: string | undefined;
  /** Client id of a user-assigned identity for the Entra token (`APPLICATIONINSIGHTS_AUTHENTICATION_STRING` `ClientId=…`, else `AZURE_CLIENT_ID`). */
  azureMonitorClientId: string | undefined;
  /**
   * Log records also as JSON lines on stdout (the trainer's pod logs, `npm start`); off in the Function
   * App when Application Insights takes the records (the host would log the same line twice).
   */
  stdoutLogs: boolean;
  /**
   * The Functions host records each HTTP request itself (App Insights `requests`, which the 5xx alert
   * reads): in Azure the app's HTTP spans are then internal ones, so no request is counted twice.
   */
  hostRecordsRequests: boolean;
}

export interface AppConfig {
  storage: StorageConfig;
  telemetry: TelemetryConfig;
  forecast: {
    horizonDays: number;
    backtestFolds: number;
    /**
     * Relative slack for the champion gate: a candidate is promoted when its backtest error is at most
     * champion × (1 + tolerance). 0 = "not worse".
     */
    championTolerance: number;
    /** A champion older than this (days since it was trained) is not re-issued: the candidate is promoted. */
    championMaxAgeDays: number;
  };
  runs: { retentionDays: number };
  tables: TableNames;
  containers: ContainerNames;
  api: ApiConfig;
  dispatch: DispatchConfig;
  /** What an upload may hold (dates, reading limits): `IngestRules` of core/domain/ingestion.ts. */
  ingest: IngestConfig;
}

export interface IngestConfig {
  /** No sales or drivers day before 1 January of this year. */
  firstYear: number;
  /** Drivers may plan this many days ahead of today (sales: tomorrow at most). */
  driversAheadDays: number;
  /** An upload's size once decompressed (a gzip bomb stops here). */
  maxBytes: number;
  /** Rejected lines listed per upload (the rest are counted). */
  maxErrors: number;
  /** The largest sales or numeric driver value a row may hold (FOREACT_INGEST_MAX_VALUE). */
  maxValue: number;
  /** Distinct (store, item) series or driver scopes per upload (FOREACT_INGEST_MAX_SERIES). */
  maxSeries: number;
  /** Distinct stores per upload (FOREACT_INGEST_MAX_STORES). */
  maxStores: number;
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

/** A whole number when set; empty counts as unset (the code derives a value). */
function optionalIntSetting(min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max)).optional());
}

/** Trimmed text; empty counts as unset. */
function text(fallback?: string) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()));
}

function named(schema: z.ZodString, fallback: string) {
  return text(fallback).pipe(schema);
}

/** A comma-separated list (empty entries dropped); each entry must match `pattern`, else the entry is named. */
function commaList(fallback: string, pattern: RegExp, problem: string, normalise: (entry: string) => string = (e) => e) {
  return text(fallback).transform((v, ctx) => {
    const entries = [...new Set((v ?? '').split(',').map((e) => e.trim()).filter((e) => e !== ''))];
    const bad = entries.find((e) => !pattern.test(e));
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `"${bad.slice(0, 80)}" ${problem}` });
      return z.NEVER;
    }
    return [...new Set(entries.map(normalise))];
  });
}

/**
 * A setting a trainer pod needs too (where the data is, how to forecast, where telemetry goes):
 * `trainerEnv` copies it from the app's settings into every Job spec.
 */
function forTrainers<T extends z.ZodType>(schema: T): T {
  return schema.meta({ trainer: true });
}

const AKS_REQUIRED = ['FOREACT_AKS_SUBSCRIPTION_ID', 'FOREACT_AKS_RESOURCE_GROUP', 'FOREACT_AKS_CLUSTER', 'FOREACT_AKS_IMAGE'] as const;

/**
 * Every setting other than storage, keyed by the app-setting name, validated in one pass. Add a setting
 * here and map it into `AppConfig` in `loadConfig`; nothing else reads the environment.
 */
export const settingsSchema = z
  .object({
    // Forecasting and runs.
    FOREACT_HORIZON_DAYS: forTrainers(intSetting(28, 1, 730)),
    FOREACT_BACKTEST_FOLDS: forTrainers(intSetting(3, 0, 10)),
    FOREACT_CHAMPION_TOLERANCE: forTrainers(numberSetting(0, 0, 1)),
    FOREACT_CHAMPION_MAX_AGE_DAYS: forTrainers(intSetting(28, 1, 3650)),
    FOREACT_RUN_RETENTION_DAYS: intSetting(14, 1, 3650),
    // Storage names.
    FOREACT_TABLE_FORECASTS: forTrainers(named(tableName, 'forecasts')),
    FOREACT_TABLE_RUNS: forTrainers(named(tableName, 'runs')),
    FOREACT_TABLE_MODELS: forTrainers(named(tableName, 'models')),
    FOREACT_TABLE_STORES: forTrainers(named(tableName, 'stores')),
    FOREACT_TABLE_INGESTIONS: forTrainers(named(tableName, 'ingestions')),
    FOREACT_TABLE_REALISED: forTrainers(named(tableName, 'realised')),
    FOREACT_TABLE_OVERRIDES: forTrainers(named(tableName, 'overrides')),
    FOREACT_CONTAINER_SALES: forTrainers(named(containerName, 'sales')),
    FOREACT_CONTAINER_MODELS: forTrainers(named(containerName, 'models')),
    FOREACT_CONTAINER_REJECTED: forTrainers(named(containerName, 'rejected')),
    FOREACT_CONTAINER_DRIVERS: forTrainers(named(containerName, 'drivers')),
    // API.
    FOREACT_TABLE_ACCESS: forTrainers(named(tableName, 'access')),
    FOREACT_REFRESH_BURST: intSetting(5, 1, 1000),
    FOREACT_REFRESH_PER_MINUTE: numberSetting(5, 0.01, 10_000),
    FOREACT_API_POINTER_CACHE_MS: intSetting(2_000, 0, 60_000),
    FOREACT_API_RUN_CACHE_MB: intSetting(64, 0, 4_096),
    FOREACT_API_MAX_CELLS: intSetting(1_000_000, 1_000, 50_000_000),
    FOREACT_ATTENTION_HEIGHTENED_PERCENT: numberSetting(30, 1, 1000),
    FOREACT_ATTENTION_MIN_UNITS: numberSetting(10, 0, 1_000_000),
    FOREACT_ATTENTION_CHANGED_PERCENT: numberSetting(20, 1, 1000),
    FOREACT_ATTENTION_MAX_ITEM_ENTRIES: intSetting(10, 0, 1000),
    FOREACT_TABLE_RATE_LIMITS: named(tableName, 'ratelimits'),
    FOREACT_TRUSTED_APP_IDS: commaList('', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'is not a client id (a GUID)', (id) => id.toLowerCase()),
    FOREACT_OPERATOR_STORES: commaList('smoke', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'is not a store id (1–64 letters, digits, "_", "." or "-")'),
    FOREACT_APP_ORIGIN: commaList('', /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'is not an origin like https://app.example.net (scheme and host, no path)', (o) => o.toLowerCase()),
    // Orchestrations and training dispatch.
    FOREACT_DISPATCH: named(z.string(), 'local').pipe(z.enum(['local', 'aks'])),
    FOREACT_REFRESH_DISPATCH: named(z.string(), 'local').pipe(z.enum(['local', 'aks'])),
    FOREACT_MORNING_CONCURRENCY: intSetting(50, 1, 10_000),
    FOREACT_MORNING_BATCH_SIZE: optionalIntSetting(1, 1000),
    FOREACT_REFRESH_DEADLINE_SECONDS: intSetting(240, 10, 3600),
    FOREACT_TRAINING_TIMEOUT_SECONDS: intSetting(1800, 10, 86_400),
    FOREACT_POLL_SECONDS: numberSetting(5, 0.05, 600),
    FOREACT_LOCAL_WORKERS: intSetting(0, 0, 256),
    FOREACT_AKS_SUBSCRIPTION_ID: text(),
    FOREACT_AKS_RESOURCE_GROUP: text(),
    FOREACT_AKS_CLUSTER: text(),
    FOREACT_AKS_POOL: named(z.string(), 'training'),
    FOREACT_AKS_NAMESPACE: named(z.string(), 'foreact'),
    FOREACT_AKS_IMAGE: text(),
    FOREACT_AKS_SERVICE_ACCOUNT: named(z.string(), 'foreact-trainer'),
    FOREACT_AKS_WORKLOAD_CLIENT_ID: text(),
    FOREACT_AKS_POOL_MIN: intSetting(0, 0, 1000),
    FOREACT_AKS_POOL_MAX: intSetting(20, 1, 1000),
    FOREACT_AKS_PODS_PER_NODE: intSetting(4, 1, 250),
    FOREACT_AKS_WINDOW_SECONDS: intSetting(1800, 60, 86_400),
    FOREACT_SECONDS_PER_STORE: numberSetting(5, 0.01, 3600),
    FOREACT_K8S_REQUEST_TIMEOUT_MS: intSetting(15_000, 100, 600_000),
    FOREACT_AKS_POOLED_MEMORY_MIB: intSetting(4096, 512, 262_144),
    FOREACT_ARM_ENDPOINT: text(),
    // Ingestion.
    FOREACT_INGEST_FIRST_YEAR: intSetting(2000, 1900, 2100),
    FOREACT_INGEST_DRIVERS_AHEAD_DAYS: intSetting(400, 1, 3650),
    FOREACT_INGEST_MAX_MB: intSetting(2048, 1, 65_536),
    FOREACT_INGEST_MAX_ERRORS: intSetting(1000, 1, 1_000_000),
    FOREACT_INGEST_MAX_VALUE: intSetting(1_000_000_000, 1, Number.MAX_SAFE_INTEGER),
    FOREACT_INGEST_MAX_SERIES: intSetting(500_000, 1, 50_000_000),
    FOREACT_INGEST_MAX_STORES: intSetting(10_000, 1, 1_000_000),
    // Telemetry (the OpenTelemetry SDK's and Application Insights' standard names).
    // A trainer pod sends its telemetry where the app sends it (it authenticates with its own workload identity).
    OTEL_SERVICE_NAME: text(),
    OTEL_TRACES_EXPORTER: forTrainers(text()),
    OTEL_EXPORTER_OTLP_ENDPOINT: forTrainers(text().pipe(httpUrl.optional())),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: forTrainers(text().pipe(httpUrl.optional())),
    APPLICATIONINSIGHTS_CONNECTION_STRING: forTrainers(text().pipe(z.string().regex(/(^|;)\s*(InstrumentationKey|IngestionEndpoint)\s*=/i, 'must be an Application Insights connection string').optional())),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: text(),
    AZURE_CLIENT_ID: text(),
    // Test/drill hooks.
  })
  .superRefine((s, ctx) => {
    const aksBy = s.FOREACT_DISPATCH === 'aks' ? 'FOREACT_DISPATCH' : s.FOREACT_REFRESH_DISPATCH === 'aks' ? 'FOREACT_REFRESH_DISPATCH' : undefined;
    if (aksBy !== undefined) {
      for (const name of AKS_REQUIRED) {
        if (s[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `is required when ${aksBy}=aks` });
      }
    }
    for (const exporter of (s.OTEL_TRACES_EXPORTER ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')) {
      if (!['console', 'otlp', 'none'].includes(exporter)) ctx.addIssue({ code: 'custom', path: ['OTEL_TRACES_EXPORTER'], message: `"${exporter}" is not supported (console, otlp or none)` });
    }
    if (s.FOREACT_AKS_POOL_MIN > s.FOREACT_AKS_POOL_MAX) ctx.addIssue({ code: 'custom', path: ['FOREACT_AKS_POOL_MIN'], message: 'must not exceed FOREACT_AKS_POOL_MAX' });
  });

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The app's data (tables and containers) lives in the account named by the connection `FOREACT_STORAGE`,
 * apart from the host's own `AzureWebJobsStorage` (deployment package, task hub) so that a trainer pod
 * can be given rights on the data without any on the app's code. One account for both is fine locally:
 * without `FOREACT_STORAGE*` the data falls back to `AzureWebJobsStorage`, and with neither, on a
 * developer's machine only, to the local Azurite.
 */
function storageFrom(env: Env): StorageConfig {
  const hasPrefix = (prefix: string): boolean => Object.keys(env).some((k) => (k === prefix || k.startsWith(`${prefix}__`)) && env[k]?.trim());
  const prefix = hasPrefix(DATA_CONNECTION) ? DATA_CONNECTION : hasPrefix(HOST_CONNECTION) ? HOST_CONNECTION : undefined;
  if (prefix !== undefined) return connectionFrom(env, prefix);
  // In Azure (App Service sets WEBSITE_SITE_NAME; Kubernetes sets KUBERNETES_SERVICE_HOST in every pod) a
  // missing setting is a deployment error, never a reason to talk to a loopback emulator.
  if (env.WEBSITE_SITE_NAME?.trim() || env.KUBERNETES_SERVICE_HOST?.trim()) throw new ConfigError(DATA_CONNECTION, 'is not set (FOREACT_STORAGE__blobServiceUri and FOREACT_STORAGE__tableServiceUri, or a connection string); the local Azurite default applies only outside Azure');
  return { kind: 'connectionString', connectionString: LOCAL_AZURITE_CONNECTION_STRING, source: 'local-azurite-default' };
}

function connectionFrom(env: Env, prefix: StorageSource): StorageConfig {
  const connectionString = env[prefix]?.trim();
  if (connectionString) {
    if (!/(^|;)\s*(UseDevelopmentStorage\s*=\s*true|AccountName\s*=|BlobEndpoint\s*=|TableEndpoint\s*=)/i.test(connectionString)) {
      throw new ConfigError(prefix, 'is not a storage connection string (expected "UseDevelopmentStorage=true" or "AccountName=…;AccountKey=…" / endpoints)');
    }
    return { kind: 'connectionString', connectionString, source: prefix };
  }
  const accountName = env[`${prefix}__accountName`]?.trim();
  const blobUri = env[`${prefix}__blobServiceUri`]?.trim();
  const tableUri = env[`${prefix}__tableServiceUri`]?.trim();
  if (accountName && !/^[a-z0-9]{3,24}$/.test(accountName)) throw new ConfigError(`${prefix}__accountName`, 'must be 3–24 lowercase letters and digits');
  const check = (setting: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (!httpUrl.safeParse(value).success) throw new ConfigError(setting, `"${value}" is not an http(s) URL`);
    return value.replace(/\/+$/, '');
  };
  const blobServiceUri = check(`${prefix}__blobServiceUri`, blobUri) ?? (accountName ? `https://${accountName}.blob.core.windows.net` : undefined);
  const tableServiceUri = check(`${prefix}__tableServiceUri`, tableUri) ?? (accountName ? `https://${accountName}.table.core.windows.net` : undefined);
  if (blobServiceUri === undefined) throw new ConfigError(`${prefix}__blobServiceUri`, `is required when ${prefix}__accountName is not set`);
  if (tableServiceUri === undefined) throw new ConfigError(`${prefix}__tableServiceUri`, `is required when ${prefix}__accountName is not set (Tables hold forecasts, runs and models)`);
  const clientId = env[`${prefix}__clientId`]?.trim();
  return { kind: 'identity', blobServiceUri, tableServiceUri, ...(clientId ? { managedIdentityClientId: clientId } : {}) };
}

/** The schema's settings marked `forTrainers`. */
const TRAINER_SETTINGS: readonly string[] = Object.entries(settingsSchema.shape)
  .filter(([, schema]) => schema.meta()?.trainer === true)
  .map(([name]) => name);

/** Identity-based storage endpoints: a connection string (it may hold a key) is never copied into a Job spec. */
const TRAINER_STORAGE_SETTINGS: readonly string[] = [DATA_CONNECTION, HOST_CONNECTION].flatMap((prefix) => ['accountName', 'blobServiceUri', 'tableServiceUri'].map((part) => `${prefix}__${part}`));

/**
 * The settings a trainer pod needs, copied from the app's so the pod and the app agree on where things
 * are: the storage endpoints and the settings the schema marks `forTrainers`.
 */
export function trainerEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...TRAINER_STORAGE_SETTINGS, ...TRAINER_SETTINGS]) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Reads and validates the settings from `env` (pure: tests pass plain objects); throws a `ConfigError`
 * naming the first bad setting. The process's runtime (core/runtime.ts) reads `process.env` once.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const storage = storageFrom(env);
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? '(unknown)');
    // Cross-field rules name what is missing or in conflict; a bad value is quoted.
    throw new ConfigError(setting, issue.code === 'custom' ? issue.message : `${issue.message} (got "${env[setting] ?? ''}")`);
  }
  const s = parsed.data;
  return {
    storage,
    telemetry: telemetryFrom(s, env),
    forecast: { horizonDays: s.FOREACT_HORIZON_DAYS, backtestFolds: s.FOREACT_BACKTEST_FOLDS, championTolerance: s.FOREACT_CHAMPION_TOLERANCE, championMaxAgeDays: s.FOREACT_CHAMPION_MAX_AGE_DAYS },
    runs: { retentionDays: s.FOREACT_RUN_RETENTION_DAYS },
    tables: {
      forecasts: s.FOREACT_TABLE_FORECASTS,
      runs: s.FOREACT_TABLE_RUNS,
      models: s.FOREACT_TABLE_MODELS,
      stores: s.FOREACT_TABLE_STORES,
      ingestions: s.FOREACT_TABLE_INGESTIONS,
      realised: s.FOREACT_TABLE_REALISED,
      overrides: s.FOREACT_TABLE_OVERRIDES,
    },
    containers: { sales: s.FOREACT_CONTAINER_SALES, models: s.FOREACT_CONTAINER_MODELS, uploads: 'uploads', rejected: s.FOREACT_CONTAINER_REJECTED, drivers: s.FOREACT_CONTAINER_DRIVERS },
    api: {
      accessTable: s.FOREACT_TABLE_ACCESS,
      refreshBurst: s.FOREACT_REFRESH_BURST,
      refreshPerMinute: s.FOREACT_REFRESH_PER_MINUTE,
      pointerCacheMs: s.FOREACT_API_POINTER_CACHE_MS,
      runCacheBytes: s.FOREACT_API_RUN_CACHE_MB * 1024 * 1024,
      maxCells: s.FOREACT_API_MAX_CELLS,
      rateLimitTable: s.FOREACT_TABLE_RATE_LIMITS,
      trustedAppIds: s.FOREACT_TRUSTED_APP_IDS,
      operatorStores: s.FOREACT_OPERATOR_STORES,
      appOrigins: s.FOREACT_APP_ORIGIN,
      attention: {
        heightenedPercent: s.FOREACT_ATTENTION_HEIGHTENED_PERCENT,
        minUnits: s.FOREACT_ATTENTION_MIN_UNITS,
        changedPercent: s.FOREACT_ATTENTION_CHANGED_PERCENT,
        maxItemEntries: s.FOREACT_ATTENTION_MAX_ITEM_ENTRIES,
      },
    },
    dispatch: {
      backend: s.FOREACT_DISPATCH,
      refreshBackend: s.FOREACT_REFRESH_DISPATCH,
      morningConcurrency: s.FOREACT_MORNING_CONCURRENCY,
      morningBatchSize: s.FOREACT_MORNING_BATCH_SIZE,
      refreshDeadlineSeconds: s.FOREACT_REFRESH_DEADLINE_SECONDS,
      trainingTimeoutSeconds: s.FOREACT_TRAINING_TIMEOUT_SECONDS,
      pollSeconds: s.FOREACT_POLL_SECONDS,
      local: { workers: s.FOREACT_LOCAL_WORKERS },
      aks: {
        subscriptionId: s.FOREACT_AKS_SUBSCRIPTION_ID,
        resourceGroup: s.FOREACT_AKS_RESOURCE_GROUP,
        cluster: s.FOREACT_AKS_CLUSTER,
        pool: s.FOREACT_AKS_POOL,
        namespace: s.FOREACT_AKS_NAMESPACE,
        image: s.FOREACT_AKS_IMAGE,
        serviceAccount: s.FOREACT_AKS_SERVICE_ACCOUNT,
        workloadClientId: s.FOREACT_AKS_WORKLOAD_CLIENT_ID,
        poolMin: s.FOREACT_AKS_POOL_MIN,
        poolMax: s.FOREACT_AKS_POOL_MAX,
        podsPerNode: s.FOREACT_AKS_PODS_PER_NODE,
        windowSeconds: s.FOREACT_AKS_WINDOW_SECONDS,
        requestTimeoutMs: s.FOREACT_K8S_REQUEST_TIMEOUT_MS,
        pooledMemoryMiB: s.FOREACT_AKS_POOLED_MEMORY_MIB,
        armEndpoint: s.FOREACT_ARM_ENDPOINT,
        trainerEnv: trainerEnv(env),
      },
      secondsPerStore: s.FOREACT_SECONDS_PER_STORE,
    },
    ingest: {
      firstYear: s.FOREACT_INGEST_FIRST_YEAR,
      driversAheadDays: s.FOREACT_INGEST_DRIVERS_AHEAD_DAYS,
      maxBytes: s.FOREACT_INGEST_MAX_MB * 1024 * 1024,
      maxErrors: s.FOREACT_INGEST_MAX_ERRORS,
      maxValue: s.FOREACT_INGEST_MAX_VALUE,
      maxSeries: s.FOREACT_INGEST_MAX_SERIES,
      maxStores: s.FOREACT_INGEST_MAX_STORES,
    },
  };
}

function telemetryFrom(s: z.output<typeof settingsSchema>, env: Env): TelemetryConfig {
  const otlpTracesUrl = s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (s.OTEL_EXPORTER_OTLP_ENDPOINT ? `${s.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  const named = (s.OTEL_TRACES_EXPORTER ?? (otlpTracesUrl ? 'otlp' : 'none')).split(',').map((e) => e.trim());
  const exporters = (['console', 'otlp'] as const).filter((e) => named.includes(e));
  if (exporters.includes('otlp') && otlpTracesUrl === undefined) throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', 'is required when OTEL_TRACES_EXPORTER includes otlp');
  const clientId = /(^|;)\s*ClientId\s*=\s*([^;]+)/i.exec(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '')?.[2]?.trim() ?? s.AZURE_CLIENT_ID;
  const inFunctionApp = Boolean(env.WEBSITE_SITE_NAME?.trim());
  return {
    serviceName: s.OTEL_SERVICE_NAME ?? 'foreact',
    exporters: [...exporters],
    otlpTracesUrl,
    azureMonitorConnectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING,
    azureMonitorClientId: clientId,
    stdoutLogs: !(inFunctionApp && s.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined),
    hostRecordsRequests: inFunctionApp,
  };
}
