import { ContainerServiceClient, type AgentPool, type ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/identity';
import { nodesFor, type PoolScaler, type PoolSize } from '../../ports/training-dispatcher.js';
import { kubeConfigFromYaml } from './aks.js';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/**
 * The ARM side of the aks backend: cluster credentials (listClusterUserCredentials) and proactive sizing
 * of the training agent pool. `endpoint` points the SDK at a sovereign cloud, or a fake ARM in tests.
 */
export interface AksClusterOptions {
  credential: TokenCredential;
  subscriptionId: string;
  resourceGroup: string;
  cluster: string;
  endpoint?: string;
  /** Pipeline options (e.g. `tlsOptions.ca` for a private endpoint's CA). */
  clientOptions?: ContainerServiceClientOptionalParams;
}

function armClient(options: AksClusterOptions): ContainerServiceClient {
  return new ContainerServiceClient(options.credential, options.subscriptionId, { ...options.clientOptions, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
}

/** The AKS AAD server application: the audience of Entra tokens for any AKS API server. */
const AKS_API_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

/**
 * With Entra ID auth on the cluster (our default), the kubeconfig ARM returns tells the client to run
 * `kubelogin`, which a Functions host does not have. The app's own identity gets the token instead, fresh
 * for every request (the credential caches it), so a worker that lives for days never holds an expired one.
 */
class EntraKubeConfig extends KubeConfig {
  constructor(private readonly credential: TokenCredential) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const token = await this.credential.getToken(AKS_API_SCOPE);
    if (!token) throw new Error('no Entra ID token for the AKS API server');
    context.setHeaderParam('Authorization', `Bearer ${token.token}`);
  }
}

export async function clusterKubeConfig(options: AksClusterOptions): Promise<KubeConfig> {
  const result = await armClient(options).managedClusters.listClusterUserCredentials(options.resourceGroup, options.cluster);
  const value = result.kubeconfigs?.[0]?.value;
  if (!value) throw new Error(`listClusterUserCredentials for ${options.cluster} returned no kubeconfig`);
  const loaded = kubeConfigFromYaml(Buffer.from(value).toString('utf8'));
  if (!loaded.users.some((user) => user.exec !== undefined)) return loaded;
  const entra = new EntraKubeConfig(options.credential);
  entra.loadFromOptions({
    clusters: loaded.clusters,
    contexts: loaded.contexts,
    currentContext: loaded.currentContext,
    users: loaded.users.map((user) => ({ name: user.name })),
  });
  return entra;
}

export interface PoolScalerOptions extends AksClusterOptions {
  pool: string;
  minNodes: number;
  maxNodes: number;
  podsPerNode: number;
  windowSeconds: number;
}

function sizeOf(pool: AgentPool): PoolSize {
  return {
    count: pool.count ?? 0,
    autoscaling: pool.enableAutoScaling === true,
    ...(pool.minCount !== undefined ? { minCount: pool.minCount } : {}),
    ...(pool.maxCount !== undefined ? { maxCount: pool.maxCount } : {}),
  };
}

/**
 * With the cluster autoscaler on, raising `minCount` makes nodes come up before the pods exist (the
 * autoscaler alone only reacts to pending pods, minutes late); without it, `count` is set directly.
 *
 * What the pool goes back to after a morning run is its **configured resting size**
 * (`FOREACT_AKS_POOL_MIN`/`_MAX`), never the size it happened to have when the run started: a pool that
 * was still scaled up when a run began (yesterday's scale-down failed, an overlapping run) would otherwise
 * be "restored" to that size and stay there for good.
 */
export class AksPoolScaler implements PoolScaler {
  private readonly client: ContainerServiceClient;

  constructor(private readonly options: PoolScalerOptions) {
    this.client = armClient(options);
  }

  /**
   * The configured resting size of the pool: autoscaler bounds `[min, max]` (the live node count clamped
   * into them, since the autoscaler owns the count), or `count = min` for a fixed-size pool.
   */
  resting(live: PoolSize): PoolSize {
    const { minNodes, maxNodes } = this.options;
    return live.autoscaling
      ? { count: Math.min(maxNodes, Math.max(minNodes, live.count)), autoscaling: true, minCount: minNodes, maxCount: maxNodes }
      : { count: minNodes, autoscaling: false };
  }

  /** `previous` is what `restore` will go back to: the configured resting size, not the live size. */
  async scaleUp(stores: number, secondsPerStore: number): Promise<{ previous: PoolSize; target: PoolSize }> {
    const pool = await this.client.agentPools.get(this.options.resourceGroup, this.options.cluster, this.options.pool);
    const live = sizeOf(pool);
    const nodes = nodesFor({ stores, secondsPerStore, windowSeconds: this.options.windowSeconds, podsPerNode: this.options.podsPerNode, minNodes: this.options.minNodes, maxNodes: this.options.maxNodes });
    const target: PoolSize = live.autoscaling
      ? { count: Math.min(this.options.maxNodes, Math.max(live.count, nodes)), autoscaling: true, minCount: nodes, maxCount: this.options.maxNodes }
      : { count: nodes, autoscaling: false };
    await this.apply(pool, target);
    return { previous: this.resting(live), target };
  }

  /**
   * Back to the configured resting size, whatever `previous` says (a summary of an older version of the
   * app may carry the live size it saw); returns what was applied. Throws when ARM refuses: the caller
   * reports it (the morning summary's `scaling.error`).
   */
  async restore(_previous?: PoolSize): Promise<void> {
    const pool = await this.client.agentPools.get(this.options.resourceGroup, this.options.cluster, this.options.pool);
    await this.apply(pool, this.resting(sizeOf(pool)));
  }

  private async apply(pool: AgentPool, size: PoolSize): Promise<void> {
    const body: AgentPool = size.autoscaling
      ? { ...pool, enableAutoScaling: true, minCount: size.minCount, maxCount: size.maxCount, count: size.count }
      : { ...pool, enableAutoScaling: false, count: size.count };
    await this.client.agentPools.beginCreateOrUpdateAndWait(this.options.resourceGroup, this.options.cluster, this.options.pool, body, { updateIntervalInMs: 500 });
  }
}
