import { DefaultAzureCredential } from '@azure/identity';
import type { Clock, StoragePorts } from '../core/ports/index.js';
import { systemClock } from '../core/ports/index.js';
import type { PoolScaler, TrainingDispatcher } from '../core/ports/training-dispatcher.js';
import { LocalDispatcher } from '../core/adapters/dispatch/local.js';
import { AksDispatcher } from '../core/adapters/dispatch/aks.js';
import { AksPoolScaler, clusterKubeConfig } from '../core/adapters/dispatch/aks-cluster.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { getConfig, type DispatchConfig } from '../core/config.js';

/**
 * What the activities need, built once per worker process. Tests, the benchmark and `npm start` replace
 * parts with `configureOrchestrationDeps`; production builds everything from the app settings.
 */
export interface OrchestrationDeps {
  config: DispatchConfig;
  dispatcher: TrainingDispatcher;
  /** Undefined: nothing to scale (local backend). */
  scaler: PoolScaler | undefined;
  storage: Pick<StoragePorts, 'runs' | 'stores' | 'forecasts'>;
  clock: Clock;
}

type Overrides = Partial<OrchestrationDeps>;

let overrides: Overrides = {};
let built: Promise<OrchestrationDeps> | undefined;

export function configureOrchestrationDeps(next: Overrides): void {
  overrides = next;
  built = undefined;
}

export function orchestrationDeps(): Promise<OrchestrationDeps> {
  built ??= build().catch((error: unknown) => {
    // A failed build (ARM unreachable) must not be cached for the life of the worker.
    built = undefined;
    throw error;
  });
  return built;
}

async function build(): Promise<OrchestrationDeps> {
  const config = overrides.config ?? getConfig().dispatch;
  // Storage over Tables/Blobs (Azurite locally), opened once per process with tables ensured.
  const storage = overrides.storage ?? (await openStorage(getConfig()));
  let dispatcher = overrides.dispatcher;
  let scaler = 'scaler' in overrides ? overrides.scaler : undefined;
  if (config.backend === 'aks' && (!dispatcher || !('scaler' in overrides))) {
    const credential = new DefaultAzureCredential();
    const cluster = { credential, subscriptionId: config.aks.subscriptionId!, resourceGroup: config.aks.resourceGroup!, cluster: config.aks.cluster!, ...(config.aks.armEndpoint ? { endpoint: config.aks.armEndpoint } : {}) };
    dispatcher ??= new AksDispatcher({
      kubeConfig: await clusterKubeConfig(cluster),
      namespace: config.aks.namespace,
      image: config.aks.image!,
      serviceAccount: config.aks.serviceAccount,
      pool: config.aks.pool,
      requestTimeoutMs: config.aks.requestTimeoutMs,
      env: config.aks.trainerEnv,
      ...(config.aks.workloadClientId ? { workloadClientId: config.aks.workloadClientId } : {}),
    });
    if (!('scaler' in overrides)) scaler = new AksPoolScaler({ ...cluster, pool: config.aks.pool, minNodes: config.aks.poolMin, maxNodes: config.aks.poolMax, podsPerNode: config.aks.podsPerNode, windowSeconds: config.aks.windowSeconds });
  }
  if (!dispatcher) {
    const local = new LocalDispatcher({ workers: config.local.workers, ...(config.local.trainerModule ? { trainerModule: config.local.trainerModule } : {}) });
    local.warm();
    dispatcher = local;
  }
  return { config, dispatcher, scaler, storage, clock: overrides.clock ?? systemClock };
}
