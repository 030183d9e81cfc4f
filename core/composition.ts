import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import { getConfig, type AppConfig } from './config.js';
import { openStorage, type AzureStorage } from './adapters/azure/index.js';
import { TableAccessRepository } from './adapters/azure/api-access-table.js';
import { AksDispatcher } from './adapters/dispatch/aks.js';
import { AksPoolScaler, clusterKubeConfig, type AksClusterOptions } from './adapters/dispatch/aks-cluster.js';
import { LocalDispatcher } from './adapters/dispatch/local.js';
import type { AccessRepository } from './domain/api-access.js';
import { trainAndPublishStores, type StoreTrainingOutcome, type TrainerSettings, type TrainStoresRequest } from './domain/train-and-publish.js';
import { systemClock, type Clock } from './ports/index.js';
import type { PoolScaler, TrainingDispatcher } from './ports/training-dispatcher.js';

/**
 * The one composition root: every entry point (functions, activities, the trainer, the CLI) gets its
 * dependencies from `buildDeps(config)`, and nothing else constructs adapters. Runtime entry points call
 * `appDeps()`, which builds once from the process's settings; a host or a test that built its own (other
 * settings, a fake cluster's credential) installs them with `provideAppDeps` instead of editing the
 * environment.
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
  access: AccessRepository;
  /** The training backend, built on first use (the aks backend asks ARM for the cluster's credentials). */
  dispatch(): Promise<Dispatch>;
  /** "Train these stores" in this process, with this configuration's storage and settings. */
  trainStores(request: TrainStoresRequest, onStore?: (store: string) => void): Promise<StoreTrainingOutcome[]>;
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
  return { horizonDays: config.forecast.horizonDays, backtestFolds: config.forecast.backtestFolds, championTolerance: config.forecast.championTolerance };
}

async function buildDispatch(config: AppConfig, overrides: DepsOverrides): Promise<Dispatch> {
  const settings = config.dispatch;
  if (settings.backend === 'local' || overrides.dispatcher !== undefined) {
    if (overrides.dispatcher !== undefined) return { dispatcher: overrides.dispatcher, scaler: overrides.scaler ?? undefined };
    const local = new LocalDispatcher({ workers: settings.local.workers, config });
    local.warm();
    return { dispatcher: local, scaler: overrides.scaler ?? undefined };
  }
  const { aks } = settings;
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
    env: aks.trainerEnv,
    ...(aks.workloadClientId ? { workloadClientId: aks.workloadClientId } : {}),
  });
  const scaler = overrides.scaler === null ? undefined : (overrides.scaler ?? new AksPoolScaler({ ...cluster, pool: aks.pool, minNodes: aks.poolMin, maxNodes: aks.poolMax, podsPerNode: aks.podsPerNode, windowSeconds: aks.windowSeconds }));
  return { dispatcher, scaler };
}

export async function buildDeps(config: AppConfig, overrides: DepsOverrides = {}): Promise<AppDeps> {
  const storage = await openStorage(config);
  const clock = overrides.clock ?? systemClock;
  const settings = trainerSettings(config);
  let dispatch: Promise<Dispatch> | undefined;
  return {
    config,
    clock,
    storage,
    access: new TableAccessRepository(storage.clients.table(config.api.accessTable)),
    dispatch: () => {
      dispatch ??= buildDispatch(config, overrides).catch((error: unknown) => {
        // ARM unreachable now is no reason to fail every later activity of this worker.
        dispatch = undefined;
        throw error;
      });
      return dispatch;
    },
    trainStores: (request, onStore) => trainAndPublishStores({ ...storage, clock }, settings, request, onStore),
  };
}

let current: Promise<AppDeps> | undefined;

/** The process's dependencies: the ones a host provided, else built once from the settings. */
export function appDeps(): Promise<AppDeps> {
  current ??= buildDeps(getConfig()).catch((error: unknown) => {
    current = undefined;
    throw error;
  });
  return current;
}

/** For a host or a test that built its own (`buildDeps(loadConfig({...}), overrides)`). */
export function provideAppDeps(deps: AppDeps | Promise<AppDeps> | undefined): void {
  current = deps === undefined ? undefined : Promise.resolve(deps);
}
