import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiException, BatchV1Api, KubeConfig, loadYaml, type V1EnvVar, type V1Job } from '@kubernetes/client-node';
import { entryPoints } from '../entry-points.js';
import type { DispatchResult, TrainingDispatcher, TrainingRequest, TrainingStatus } from '../../ports/training-dispatcher.js';

/**
 * One batch/v1 Job per training request: one store (a refresh) or a batch of stores (the morning run; see
 * docs/orchestration.md "Batches"). The Job name is derived from (run, store) for one store and from
 * (run, batch index, its stores) for a batch, so dispatching again after a lost answer or a retried
 * activity meets a 409 and joins the Job that is already there.
 */

export interface AksDispatcherOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  image: string;
  serviceAccount: string;
  pool: string;
  /** Extra env for the trainer container (storage endpoints; never secrets in production: workload identity). */
  env?: Record<string, string>;
  /** Client id of the trainer's user-assigned identity (annotation for workload identity). */
  workloadClientId?: string;
  /** The Job template; default the package's k8s-training/job.yaml (`entryPoints()`). */
  templatePath?: string;
  /** Per API call: a hung API server must fail the activity (which is retried), not block it forever. */
  requestTimeoutMs?: number;
  /** The pooled step's pod memory (MiB, request = limit; default 4096): it holds every store's history. */
  pooledMemoryMiB?: number;
}

/** A Kubernetes label value: ≤ 63 chars of [A-Za-z0-9._-], alphanumeric at both ends. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (cleaned.length <= 63 && cleaned === text) return cleaned;
  // Two different ids must not share a label after cleaning: keep a hash of the original.
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, 54).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`.replace(/^-/, 'x');
}

/** DNS-1123 Job name: `train-` + a readable prefix + a hash of the parts that make it unique. */
function dnsJobName(readable: string, parts: readonly (string | number)[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 10);
  const cleaned = readable.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-');
  return `train-${cleaned.slice(0, 40).replace(/-+$/, '')}-${hash}`.replace(/--+/g, '-');
}

/** DNS-1123 Job name, deterministic in (run, store). */
export function jobName(runId: string, store: string): string {
  return dnsJobName(`${runId}-${store}`, [runId, store]);
}

/** DNS-1123 Job name of a batch, deterministic in (run, batch index, stores). */
export function batchJobName(runId: string, batch: number, stores: readonly string[]): string {
  return dnsJobName(`${runId}-b${batch}`, [runId, batch, ...stores]);
}

/** DNS-1123 Job name of a run's pooled step (one per run, so a re-dispatch joins it). */
export function pooledJobName(runId: string): string {
  return dnsJobName(`${runId}-pooled`, [runId, '\u0000pooled']);
}

/** The Job name of a request: per store when it has one store, per batch otherwise, per run for the pooled step. */
export function requestJobName(request: TrainingRequest): string {
  if (request.mode === 'pooled') return pooledJobName(request.runId);
  const [only] = request.stores;
  if (only === undefined) throw new Error('a training request needs at least one store');
  return request.stores.length === 1 ? jobName(request.runId, only) : batchJobName(request.runId, request.batch ?? 0, request.stores);
}

export class AksDispatcher implements TrainingDispatcher {
  readonly kind = 'aks' as const;
  private readonly api: BatchV1Api;
  private readonly template: V1Job;
  private readonly timeoutMs: number;

  constructor(private readonly options: AksDispatcherOptions) {
    this.api = options.kubeConfig.makeApiClient(BatchV1Api);
    this.template = loadYaml<V1Job>(readFileSync(options.templatePath ?? entryPoints().jobTemplate, 'utf8'));
    this.timeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  /**
   * The manifest for a request: the template with names, labels, image and arguments filled. One store:
   * `--store=<id>` and the `foreact/store` label; a batch: `--store=a --store=b …`, the `foreact/batch`
   * label, and the store list in the `foreact/stores` annotation and `FOREACT_STORES`.
   */
  manifest(request: TrainingRequest): V1Job {
    const job = structuredClone(this.template);
    const name = requestJobName(request);
    const pooled = request.mode === 'pooled';
    const single = !pooled && request.stores.length === 1 ? request.stores[0] : undefined;
    const labels: Record<string, string> = { 'foreact/run': labelValue(request.runId), ...(single !== undefined ? { 'foreact/store': labelValue(single) } : pooled ? { 'foreact/pooled': 'true' } : { 'foreact/batch': String(request.batch ?? 0) }) };
    const annotations: Record<string, string> = { ...(single !== undefined ? { 'foreact/store': single } : pooled ? {} : { 'foreact/stores': request.stores.join(',') }), 'foreact/run': request.runId, 'foreact/trigger': request.trigger };
    // A batch has no `foreact/store` label: drop the template's placeholder.
    const withLabels = (template: Record<string, string> | undefined): Record<string, string> => ({ ...Object.fromEntries(Object.entries(template ?? {}).filter(([k]) => single !== undefined || k !== 'foreact/store')), ...labels });
    job.metadata = { ...job.metadata, name, namespace: this.options.namespace, labels: withLabels(job.metadata?.labels), annotations: { ...job.metadata?.annotations, ...annotations } };
    const spec = job.spec;
    if (!spec) throw new Error('job template has no spec');
    spec.template.metadata = { ...spec.template.metadata, labels: withLabels(spec.template.metadata?.labels) };
    const pod = spec.template.spec;
    if (!pod) throw new Error('job template has no pod spec');
    pod.serviceAccountName = this.options.serviceAccount;
    pod.nodeSelector = { ...pod.nodeSelector, agentpool: this.options.pool };
    const container = pod.containers[0];
    if (!container) throw new Error('job template has no container');
    container.image = this.options.image;
    // `--name=value`: a value is never read as an option, whatever it starts with.
    const pooledArgs = request.pooled === undefined || request.pooled === 'latest' ? [] : request.pooled === 'none' ? ['--no-pooled'] : [`--pooled-version=${request.pooled.version}`];
    container.args = pooled ? ['--pooled', `--run=${request.runId}`, `--trigger=${request.trigger}`] : [...request.stores.map((store) => `--store=${store}`), `--run=${request.runId}`, `--trigger=${request.trigger}`, ...pooledArgs];
    const env: V1EnvVar[] = (container.env ?? []).filter((e) => !(e.name in (this.options.env ?? {})));
    for (const [k, v] of Object.entries(this.options.env ?? {})) env.push({ name: k, value: v });
    if (!pooled) env.push(single !== undefined ? { name: 'FOREACT_STORE', value: single } : { name: 'FOREACT_STORES', value: request.stores.join(',') });
    env.push({ name: 'FOREACT_RUN_ID', value: request.runId }, { name: 'FOREACT_RUN_TRIGGER', value: request.trigger });
    if (pooled) {
      // Every store's history in one process (docs/capacity.md): memory request = limit (no OOM kill from a
      // neighbour's burst), and a V8 heap that leaves the rest of the limit to buffers and the runtime.
      const mib = this.options.pooledMemoryMiB ?? 4096;
      container.resources = { ...container.resources, requests: { ...container.resources?.requests, memory: `${mib}Mi` }, limits: { ...container.resources?.limits, memory: `${mib}Mi` } };
      const heap = Math.floor(mib * 0.8);
      const nodeOptions = env.find((e) => e.name === 'NODE_OPTIONS');
      if (nodeOptions) nodeOptions.value = (nodeOptions.value ?? '').replace(/--max-old-space-size=\d+/, '').trim().concat(` --max-old-space-size=${heap}`).trim();
      else env.push({ name: 'NODE_OPTIONS', value: `--max-old-space-size=${heap}` });
    }
    // The trainer's spans continue the dispatching activity's trace (W3C trace context).
    if (request.traceparent) env.push({ name: 'TRACEPARENT', value: request.traceparent });
    if (this.options.workloadClientId) env.push({ name: 'AZURE_CLIENT_ID', value: this.options.workloadClientId });
    container.env = env;
    return job;
  }

  async dispatch(request: TrainingRequest): Promise<DispatchResult> {
    if (request.mode !== 'pooled' && request.stores.length === 0) throw new Error('a training request needs at least one store');
    const body = this.manifest(request);
    const name = body.metadata!.name!;
    const handle = `aks/${this.options.namespace}/${name}`;
    try {
      await this.call('create job', () => this.api.createNamespacedJob({ namespace: this.options.namespace, body }));
      return { handle, alreadyRunning: false };
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return { handle, alreadyRunning: true };
      throw error;
    }
  }

  async status(handle: string): Promise<TrainingStatus> {
    const { namespace, name } = parseHandle(handle);
    let job: V1Job;
    try {
      job = await this.call('read job', () => this.api.readNamespacedJob({ namespace, name }));
    } catch (error) {
      // Gone (ttlSecondsAfterFinished, or deleted by hand) before we saw it finish: dispatch again.
      if (error instanceof ApiException && error.code === 404) return { state: 'unknown', reason: `job ${name} not found` };
      throw error;
    }
    return jobStatus(job);
  }

  async cancel(handle: string): Promise<void> {
    const { namespace, name } = parseHandle(handle);
    try {
      // Background propagation: the pods go too, without making this call wait for them.
      await this.call('delete job', () => this.api.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' }));
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw error;
    }
  }

  /** Jobs of a run (by label), e.g. to clean up after a morning run. */
  async listRun(runId: string): Promise<V1Job[]> {
    const list = await this.call('list jobs', () => this.api.listNamespacedJob({ namespace: this.options.namespace, labelSelector: `foreact/run=${labelValue(runId)}` }));
    return list.items;
  }

  private call<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`kubernetes API: ${what} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([run(), timeout]).finally(() => clearTimeout(timer));
  }
}

export function jobStatus(job: V1Job): TrainingStatus {
  const conditions = job.status?.conditions ?? [];
  const attempts = (job.status?.failed ?? 0) + (job.status?.succeeded ?? 0) + (job.status?.active ?? 0);
  const has = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return { state: 'succeeded', attempts };
  const failed = has('Failed');
  if (failed) return { state: 'failed', reason: [failed.reason, failed.message].filter(Boolean).join(': ') || 'job failed', attempts };
  if ((job.status?.active ?? 0) > 0 || job.status?.startTime) return { state: 'running', attempts };
  return { state: 'pending', attempts };
}

function parseHandle(handle: string): { namespace: string; name: string } {
  const match = /^aks\/([^/]+)\/([^/]+)$/.exec(handle);
  if (!match) throw new Error(`not an aks job handle: ${handle}`);
  return { namespace: match[1]!, name: match[2]! };
}

/** A KubeConfig from the kubeconfig YAML that ARM returns (or a test writes). */
export function kubeConfigFromYaml(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return kc;
}
