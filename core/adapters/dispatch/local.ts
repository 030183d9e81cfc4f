import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AppConfig } from '../../config.js';
import type { StoreTrainingOutcome, TrainStoresRequest } from '../../domain/train-and-publish.js';
import type { PooledJobOutcome, PooledJobRequest } from '../../domain/pooled-step.js';
import { entryPoints } from '../entry-points.js';
import type { ForwardedSpan, Telemetry } from '../telemetry.js';
import type { DispatchResult, TrainingDispatcher, TrainingRequest, TrainingStatus } from '../../ports/training-dispatcher.js';
import type { RunRepository } from '../../ports/run-repository.js';

/**
 * Runs training requests in a pool of worker threads, one request per worker at a time. Each worker runs
 * the compiled entry `k8s-training/worker.ts` (found through `entryPoints()`), which builds its own deps
 * from the configuration passed here and calls the same "train these stores" contract as a Job's pod
 * (`trainAndPublishStores`). Workers need compiled JS: they do not inherit a TypeScript loader.
 */

/** What a training worker is started with (`workerData`). */
export interface TrainingWorkerData {
  config: AppConfig;
}

/** Parent → worker. `warm` loads the worker's modules and storage clients without training. */
export type TrainingWorkerMessage =
  | { id: number; warm: true }
  | { id: number; warm?: false; request: TrainStoresRequest; traceparent?: string }
  | { id: number; warm?: false; pooled: PooledJobRequest; traceparent?: string };

/** Worker → parent: each store's outcome (or the pooled job's), or why the request as a whole failed. */
export type TrainingWorkerReply = { id: number; outcomes: StoreTrainingOutcome[] } | { id: number; pooled: PooledJobOutcome } | { id: number; error: string };

/** Worker → parent, before its reply: the worker's ended spans, exported by the parent's exporters. */
export interface TrainingWorkerSpans {
  spans: ForwardedSpan[];
}

interface Job {
  handle: string;
  request: TrainingRequest;
  state: TrainingStatus['state'];
  reason?: string;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

export interface LocalDispatcherOptions {
  /** Worker threads; default = available cores. */
  workers?: number;
  /** The configuration the workers build their deps from (storage, forecast settings). */
  config: AppConfig;
  /** Compiled worker entry; default the package's `k8s-training/worker.js` (`entryPoints()`). */
  workerModule?: string;
  /** Finished jobs are forgotten after this many (bounded memory over a long-lived host). */
  keepFinished?: number;
  /**
   * Where a one-store job's run record is, for a status asked of an instance whose pool never had the
   * job: a Function App scaled out may run a refresh's status activity on another instance than the one
   * training it. The record (written by the worker wherever it runs) then answers.
   */
  runs?: Pick<RunRepository, 'get'>;
  /** Exports the spans the workers forward (the process's telemetry); without it they are dropped. */
  telemetry?: Pick<Telemetry, 'exportForwarded'>;
}

/** Whether a request's outcomes make its job a success, and if not, why (the orchestration's reason). */
export function jobResult(stores: readonly string[], outcomes: readonly StoreTrainingOutcome[]): { ok: boolean; error?: string } {
  if (stores.length === 1) {
    const [only] = outcomes;
    return only !== undefined && only.status !== 'failed' ? { ok: true } : { ok: false, error: only?.error ?? 'trainer failed' };
  }
  if (outcomes.some((o) => o.status !== 'failed')) return { ok: true };
  return { ok: false, error: `every store of the batch failed: ${outcomes.map((o) => `${o.store}: ${o.error ?? ''}`).join('; ')}` };
}


export class LocalDispatcher implements TrainingDispatcher {
  readonly kind = 'local' as const;
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private readonly size: number;
  private readonly workerModule: string;
  private readonly workerData: TrainingWorkerData;
  private readonly keepFinished: number;
  private readonly runs: Pick<RunRepository, 'get'> | undefined;
  private readonly telemetry: Pick<Telemetry, 'exportForwarded'> | undefined;
  private nextMessage = 0;
  private readonly pending = new Map<number, { job: Job; slot: Slot }>();

  constructor(options: LocalDispatcherOptions) {
    this.size = options.workers && options.workers > 0 ? options.workers : availableParallelism();
    this.workerModule = options.workerModule ?? entryPoints().trainingWorker;
    this.workerData = { config: options.config };
    this.keepFinished = options.keepFinished ?? 10_000;
    this.runs = options.runs;
    this.telemetry = options.telemetry;
  }

  /** One store: (run, store), as before batches; a batch: (run, batch index, its stores). */
  static handleOf(request: TrainingRequest): string {
    // Three segments: no store's handle (its id URI-encoded, "/" included) can be this one.
    if (request.mode === 'pooled') return `local/${request.runId}/pooled/job`;
    const [only] = request.stores;
    if (request.stores.length === 1 && only !== undefined) return `local/${request.runId}/${encodeURIComponent(only)}`;
    const hash = createHash('sha256').update(request.stores.join('\u0000')).digest('hex').slice(0, 10);
    return `local/${request.runId}/batch-${request.batch ?? 0}-${hash}`;
  }

  dispatch(request: TrainingRequest): Promise<DispatchResult> {
    if (request.stores.length === 0 && request.mode !== 'pooled') return Promise.reject(new Error('a training request needs at least one store'));
    const handle = LocalDispatcher.handleOf(request);
    const existing = this.jobs.get(handle);
    if (existing && existing.state !== 'failed') return Promise.resolve({ handle, alreadyRunning: true });
    const job: Job = { handle, request, state: 'pending' };
    this.jobs.set(handle, job);
    this.queue.push(job);
    this.pump();
    return Promise.resolve({ handle, alreadyRunning: false });
  }

  async status(handle: string): Promise<TrainingStatus> {
    const job = this.jobs.get(handle);
    if (job) return { state: job.state, ...(job.reason !== undefined ? { reason: job.reason } : {}), attempts: 1 };
    const unknown: TrainingStatus = { state: 'unknown', reason: 'no such local job (host restarted?)' };
    const single = /^local\/([^/]+)\/([^/]+)$/.exec(handle);
    if (this.runs === undefined || single === null || single[2]!.startsWith('batch-')) return unknown;
    // Neither re-dispatch a job that is training on another instance nor miss one that finished there.
    const record = await this.runs.get(single[1]!, decodeURIComponent(single[2]!));
    if (record?.status === 'succeeded') return { state: 'succeeded' };
    if (record?.status === 'failed') return { state: 'failed', reason: record.error ?? 'training failed' };
    if (record?.status === 'running') return { state: 'running', reason: 'training on another instance' };
    return unknown;
  }

  cancel(handle: string): Promise<void> {
    const job = this.jobs.get(handle);
    if (job?.state === 'pending') {
      const at = this.queue.indexOf(job);
      if (at >= 0) this.queue.splice(at, 1);
      job.state = 'failed';
      job.reason = 'cancelled';
    } else if (job?.state === 'running') {
      // A run past its deadline must not publish later behind the orchestration's back (it already told
      // the store it stays stale). Killing the worker is safe: publishing switches the pointer last.
      job.state = 'failed';
      job.reason = 'cancelled';
      for (const entry of this.pending.values()) if (entry.job === job) void entry.slot.worker.terminate();
    }
    return Promise.resolve();
  }

  /**
   * Starts every worker and loads the trainer (Azure SDKs, engine) in it now, so the first refresh does
   * not pay the cold start (~1–2 s) on the user's clock.
   */
  warm(): void {
    while (this.slots.length < this.size) this.spawn().worker.postMessage({ id: -1, warm: true } satisfies TrainingWorkerMessage);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerModule, { workerData: this.workerData });
    const slot: Slot = { worker, busy: false };
    worker.on('message', (reply: TrainingWorkerReply | TrainingWorkerSpans) => {
      if ('spans' in reply) {
        this.telemetry?.exportForwarded(reply.spans);
        return;
      }
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      const result = 'error' in reply ? { ok: false, error: reply.error } : 'pooled' in reply ? { ok: true } : jobResult(entry.job.request.stores, reply.outcomes);
      this.finish(entry.job, result.ok, result.error);
      slot.busy = false;
      this.pump();
    });
    worker.on('error', (error) => this.lose(slot, error.message));
    worker.on('exit', (code) => this.lose(slot, `worker exited with code ${code}`));
    // Idle workers must not keep a host (or a test) alive.
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private lose(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    for (const [id, entry] of this.pending) {
      if (entry.slot === slot) {
        this.pending.delete(id);
        this.finish(entry.job, false, reason);
      }
    }
    this.pump();
  }

  private finish(job: Job, ok: boolean, error: string | undefined): void {
    if (job.reason === 'cancelled') return;
    job.finishedAt = Date.now();
    job.durationMs = job.finishedAt - (job.startedAt ?? job.finishedAt);
    job.state = ok ? 'succeeded' : 'failed';
    if (!ok) job.reason = error ?? 'trainer failed';
    this.forgetOld();
  }

  private forgetOld(): void {
    if (this.jobs.size <= this.keepFinished) return;
    for (const [handle, job] of this.jobs) {
      if (this.jobs.size <= this.keepFinished) break;
      if (job.state === 'succeeded' || job.state === 'failed') this.jobs.delete(handle);
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = true;
      job.state = 'running';
      job.startedAt = Date.now();
      const id = this.nextMessage++;
      this.pending.set(id, { job, slot });
      slot.worker.ref();
      const traced = job.request.traceparent ? { traceparent: job.request.traceparent } : {};
      if (job.request.mode === 'pooled') {
        slot.worker.postMessage({ id, pooled: { runId: job.request.runId, trigger: job.request.trigger }, ...traced } satisfies TrainingWorkerMessage);
        continue;
      }
      const request: TrainStoresRequest = { stores: job.request.stores, runId: job.request.runId, trigger: job.request.trigger, ...(job.request.pooled !== undefined ? { pooled: job.request.pooled } : {}) };
      slot.worker.postMessage({ id, request, ...traced } satisfies TrainingWorkerMessage);
    }
    for (const s of this.slots) if (!s.busy) s.worker.unref();
  }
}
