import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import type { AppConfig } from './config.js';
import { openStorage, type AzureStorage } from './adapters/azure/index.js';
import { TableAccessRepository } from './adapters/azure/api-access-table.js';
import { TableRateLimiter } from './adapters/azure/rate-limit-table.js';
import { AksDispatcher } from './adapters/dispatch/aks.js';
import { AksPoolScaler, clusterKubeConfig, type AksClusterOptions } from './adapters/dispatch/aks-cluster.js';
import { LocalDispatcher } from './adapters/dispatch/local.js';
import { otelMetrics, otelTracer, type Telemetry } from './adapters/telemetry.js';
import type { AccessRepository } from './domain/api-access.js';
import { trainAndPublishStores, type StoreTrainingOutcome, type TrainerSettings, type TrainStoresRequest } from './domain/train-and-publish.js';
import { trainAndPublishPooled, type PooledJobOutcome, type PooledJobRequest } from './domain/pooled-step.js';
import { LegacyPointerAdoption } from './domain/upload-trigger.js';
import { systemClock, type Clock, type Metrics, type RunRepository } from './ports/index.js';
import type { DispatchResult, PoolScaler, TrainingDispatcher, TrainingRequest, TrainingStatus } from './ports/training-dispatcher.js';
import type { RateLimiter } from './ports/rate-limiter.js';

/**
 * The one composition root: every entry point (functions, activities, the trainer, the CLI) gets its
 * dependencies from `buildDeps(config)`, through its runtime (core/runtime.ts), and nothing else
 * constructs adapters. A test that needs other adapters (a fake cluster's credential, its own dispatcher)
 * passes `DepsOverrides` to the runtime it builds.
 */

export interface Dispatch {
  dispatcher: TrainingDispatcher;
  /** Undefined: nothing to scale (local backend). */
  scaler: PoolScaler | undefined;
}

export interface AppDeps {
  config: AppConfig;
  clock: Clock;
  storage: AzureStorage;
  /** Readings the alerts read (Application Insights customMetrics), for domain code that emits one. */
  metrics: Metrics;
  access: AccessRepository;
  /** Refreshes per user, one token bucket shared by every instance (table FOREACT_TABLE_RATE_LIMITS). */
  refreshLimiter: RateLimiter;
  /** The training backend, built on first use (the aks backend asks ARM for the cluster's credentials). */
  dispatch(): Promise<Dispatch>;
  /** "Train these stores" in this process, with this configuration's storage and settings. */
  trainStores(request: TrainStoresRequest, onStore?: (store: string) => void): Promise<StoreTrainingOutcome[]>;
  /** The morning run's pooled step in this process: every store's history → the run's pooled artifact. */
  trainPooled(request: PooledJobRequest): Promise<PooledJobOutcome>;
  /** Legacy store pointers, adopted once before the first upload these deps ingest. */
  legacyPointers: LegacyPointerAdoption;
}

export interface DepsOverrides {
  clock?: Clock;
  /** Replaces the configured backend (a test's own dispatcher). */
  dispatcher?: TrainingDispatcher;
  /** `null`: no pool scaling even with the aks backend. */
  scaler?: PoolScaler | null;
  /** Credential for ARM (default: the app's managed identity through DefaultAzureCredential). */
  credential?: TokenCredential;
  /** ARM client options (a private CA, a fake ARM's certificate in tests). */
  armClientOptions?: ContainerServiceClientOptionalParams;
}

export function trainerSettings(config: AppConfig): TrainerSettings {
  return { horizonDays: config.forecast.horizonDays, backtestFolds: config.forecast.backtestFolds, championTolerance: config.forecast.championTolerance, championMaxAgeDays: config.forecast.championMaxAgeDays };
}

/**
 * Sends a refresh (one store, on a planner's clock) to one backend and everything else (the morning run's
 * batches) to another: `FOREACT_REFRESH_DISPATCH=local` with `FOREACT_DISPATCH=aks` trains refreshes in
 * the Function App's worker threads and the morning fan-out on the AKS pool. Handles carry their backend
 * (`local/…`, `aks/…`), so status and cancel go where the job went.

 */
export class RoutingDispatcher implements TrainingDispatcher {
  readonly kind: 'local' | 'aks';

  constructor(private readonly backends: { morning: TrainingDispatcher; refresh: TrainingDispatcher }) {
    this.kind = backends.morning.kind;
  }

  private byHandle(handle: string): TrainingDispatcher {
    const kind = handle.slice(0, handle.indexOf('/'));
    const found = [this.backends.refresh, this.backends.morning].find((d) => d.kind === kind);
    if (found === undefined) throw new Error(`no backend for job handle ${handle}`);
    return found;
  }

  dispatch(request: TrainingRequest): Promise<DispatchResult> {
    return (request.trigger === 'refresh' ? this.backends.refresh : this.backends.morning).dispatch(request);
  }

  status(handle: string): Promise<TrainingStatus> {
    return this.byHandle(handle).status(handle);
  }

  cancel(handle: string): Promise<void> {
    return this.byHandle(handle).cancel(handle);
  }

  /** Stops the backends that hold resources (worker threads). */
  async close(): Promise<void> {
    for (const backend of new Set([this.backends.morning, this.backends.refresh])) if (backend instanceof LocalDispatcher) await backend.close();
  }
}

function localDispatcher(config: AppConfig, runs: RunRepository, telemetry: Telemetry | undefined): LocalDispatcher {
  const local = new LocalDispatcher({ workers: config.dispatch.local.workers, config, runs, ...(telemetry ? { telemetry } : {}) });
  local.warm();
  return local;
}

async function aksDispatch(config: AppConfig, overrides: DepsOverrides): Promise<{ dispatcher: AksDispatcher; scaler: PoolScaler | undefined }> {
  const { aks } = config.dispatch;
  const cluster: AksClusterOptions = {
    credential: overrides.credential ?? new DefaultAzureCredential(),
    subscriptionId: aks.subscriptionId!,
    resourceGroup: aks.resourceGroup!,
    cluster: aks.cluster!,
    ...(aks.armEndpoint ? { endpoint: aks.armEndpoint } : {}),
    ...(overrides.armClientOptions ? { clientOptions: overrides.armClientOptions } : {}),
  };
  const dispatcher = new AksDispatcher({
    kubeConfig: await clusterKubeConfig(cluster),
    namespace: aks.namespace,
    image: aks.image!,
    serviceAccount: aks.serviceAccount,
    pool: aks.pool,
    requestTimeoutMs: aks.requestTimeoutMs,
    pooledMemoryMiB: aks.pooledMemoryMiB,
    env: aks.trainerEnv,
    ...(aks.workloadClientId ? { workloadClientId: aks.workloadClientId } : {}),
  });
  const scaler = overrides.scaler === null ? undefined : (overrides.scaler ?? new AksPoolScaler({ ...cluster, pool: aks.pool, minNodes: aks.poolMin, maxNodes: aks.poolMax, podsPerNode: aks.podsPerNode, windowSeconds: aks.windowSeconds }));
  return { dispatcher, scaler };
}

/**
 * The training backends: `FOREACT_DISPATCH` for the morning run, `FOREACT_REFRESH_DISPATCH` for a refresh
 * (default `local`: the Function App trains a single store itself, in about a second, instead of waiting
 * minutes for a node of a pool resting at zero). The pool scaler sizes the morning run's pool only.
 */
async function buildDispatch(config: AppConfig, overrides: DepsOverrides, runs: RunRepository, telemetry: Telemetry | undefined): Promise<Dispatch> {
  const settings = config.dispatch;
  if (overrides.dispatcher !== undefined) return { dispatcher: overrides.dispatcher, scaler: overrides.scaler ?? undefined };
  const wanted = new Set([settings.backend, settings.refreshBackend]);
  const aks = wanted.has('aks') ? await aksDispatch(config, overrides) : undefined;
  const local = wanted.has('local') ? localDispatcher(config, runs, telemetry) : undefined;
  const pick = (kind: 'local' | 'aks'): TrainingDispatcher => (kind === 'aks' ? aks!.dispatcher : local!);
  const morning = pick(settings.backend);
  const refresh = pick(settings.refreshBackend);
  const dispatcher = morning === refresh ? morning : new RoutingDispatcher({ morning, refresh });
  const scaler = settings.backend === 'aks' ? aks!.scaler : (overrides.scaler ?? undefined);
  return { dispatcher, scaler };
}

/** `telemetry`: the runtime's, which exports the spans the local backend's worker threads forward. */
export async function buildDeps(config: AppConfig, overrides: DepsOverrides = {}, telemetry?: Telemetry): Promise<AppDeps> {
  const storage = await openStorage(config);
  const clock = overrides.clock ?? systemClock;
  const settings = trainerSettings(config);
  let dispatch: Promise<Dispatch> | undefined;
  return {
    config,
    clock,
    storage,
    metrics: otelMetrics,
    access: new TableAccessRepository(storage.clients.table(config.api.accessTable)),
    legacyPointers: new LegacyPointerAdoption(),
    refreshLimiter: new TableRateLimiter(storage.clients.table(config.api.rateLimitTable), config.api.refreshBurst, config.api.refreshPerMinute),
    dispatch: () => {
      dispatch ??= buildDispatch(config, overrides, storage.runs, telemetry).catch((error: unknown) => {
        // ARM unreachable now is no reason to fail every later activity of this worker.
        dispatch = undefined;
        throw error;
      });
      return dispatch;
    },
    trainStores: async (request, onStore) => {
      const outcomes = await trainAndPublishStores({ ...storage, clock, tracer: otelTracer }, settings, request, onStore);
      // Training seconds per store (the trainer's own measure), by trigger: what sizes the morning pool.
      for (const o of outcomes) if (o.status === 'succeeded' && o.durationMs !== undefined) otelMetrics.gauge('foreact.store.training_seconds', o.durationMs / 1000, { store: o.store, trigger: request.trigger });
      return outcomes;
    },
    trainPooled: async (request) => {
      const outcome = await trainAndPublishPooled({ ...storage, clock, tracer: otelTracer }, settings, request);
      otelMetrics.gauge('foreact.pooled.training_seconds', outcome.durationMs / 1000, { trigger: request.trigger });
      return outcome;
    },
  };
}

// bench/ and scripts/start.ts predate the runtime and still ask here.
