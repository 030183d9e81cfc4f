import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { entryPoints } from '../entry-points.js';
import type { DispatchResult, TrainingDispatcher, TrainingRequest, TrainingStatus } from '../../ports/training-dispatcher.js';

/**
 * Runs the trainer's in-process entry points (exported by the compiled trainer module) in a pool of worker
 * threads, one request per worker at a time: `trainAndPublishStore({ store, runId, trigger })` for a
 * one-store request, `trainAndPublishBatch({ stores, runId, trigger })` for a batch (one worker task per
 * batch; the stores run one after another, and a failing store does not stop the others).
 *
 * The worker's code is evaluated from a string so the pool works the same from compiled JS and from
 * vitest's TypeScript sources; the trainer itself must be compiled JS, because workers do not inherit a
 * TypeScript loader.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
let trainer;
parentPort.on('message', async (msg) => {
  try {
    trainer ??= await import(msg.moduleUrl);
    if (msg.warm) return;
    if (msg.stores.length === 1) {
      const fn = trainer.trainAndPublishStore ?? trainer.default?.trainAndPublishStore;
      if (typeof fn !== 'function') throw new Error('trainer module ' + msg.moduleUrl + ' exports no trainAndPublishStore');
      await fn({ store: msg.stores[0], runId: msg.runId, trigger: msg.trigger });
      parentPort.postMessage({ id: msg.id, ok: true });
      return;
    }
    // A batch: the stores one after another; each store's outcome is its run record.
    const batch = trainer.trainAndPublishBatch ?? trainer.default?.trainAndPublishBatch;
    if (typeof batch !== 'function') throw new Error('trainer module ' + msg.moduleUrl + ' exports no trainAndPublishBatch');
    const outcomes = await batch({ stores: msg.stores, runId: msg.runId, trigger: msg.trigger });
    const ok = outcomes.some((o) => o.status !== 'failed');
    parentPort.postMessage({ id: msg.id, ok, error: ok ? undefined : 'every store of the batch failed: ' + outcomes.map((o) => o.store + ': ' + o.error).join('; ') });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, ok: false, error: error && error.message ? error.message : String(error) });
  }
});
`;

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
  /** Compiled trainer module; default the package's compiled trainer (`entryPoints()`). */
  trainerModule?: string;
  /** Finished jobs are forgotten after this many (bounded memory over a long-lived host). */
  keepFinished?: number;
  /** Environment of the workers (default: the process's at spawn time). */
  env?: Record<string, string | undefined>;
}


export class LocalDispatcher implements TrainingDispatcher {
  readonly kind = 'local' as const;
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private readonly size: number;
  private readonly moduleUrl: string;
  private readonly keepFinished: number;
  private readonly env: Record<string, string | undefined> | undefined;
  private nextMessage = 0;
  private readonly pending = new Map<number, { job: Job; slot: Slot }>();
  /** Sum of training time across finished jobs, for the benchmark's overhead figure. */
  trainingMs = 0;

  constructor(options: LocalDispatcherOptions = {}) {
    this.size = options.workers && options.workers > 0 ? options.workers : availableParallelism();
    this.moduleUrl = pathToFileURL(options.trainerModule ?? entryPoints().trainerModule).href;
    this.keepFinished = options.keepFinished ?? 10_000;
    this.env = options.env;
  }

  /** One store: (run, store), as before batches; a batch: (run, batch index, its stores). */
  static handleOf(request: TrainingRequest): string {
    const [only] = request.stores;
    if (request.stores.length === 1 && only !== undefined) return `local/${request.runId}/${encodeURIComponent(only)}`;
    const hash = createHash('sha256').update(request.stores.join('\u0000')).digest('hex').slice(0, 10);
    return `local/${request.runId}/batch-${request.batch ?? 0}-${hash}`;
  }

  dispatch(request: TrainingRequest): Promise<DispatchResult> {
    if (request.stores.length === 0) return Promise.reject(new Error('a training request needs at least one store'));
    const handle = LocalDispatcher.handleOf(request);
    const existing = this.jobs.get(handle);
    if (existing && existing.state !== 'failed') return Promise.resolve({ handle, alreadyRunning: true });
    const job: Job = { handle, request, state: 'pending' };
    this.jobs.set(handle, job);
    this.queue.push(job);
    this.pump();
    return Promise.resolve({ handle, alreadyRunning: false });
  }

  status(handle: string): Promise<TrainingStatus> {
    const job = this.jobs.get(handle);
    if (!job) return Promise.resolve({ state: 'unknown', reason: 'no such local job (host restarted?)' });
    return Promise.resolve({ state: job.state, ...(job.reason !== undefined ? { reason: job.reason } : {}), attempts: 1 });
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
    while (this.slots.length < this.size) this.spawn().worker.postMessage({ id: -1, warm: true, moduleUrl: this.moduleUrl });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, ...(this.env ? { env: { ...process.env, ...this.env } } : {}) });
    const slot: Slot = { worker, busy: false };
    worker.on('message', (msg: { id: number; ok: boolean; error?: string }) => {
      const entry = this.pending.get(msg.id);
      if (!entry) return;
      this.pending.delete(msg.id);
      this.finish(entry.job, msg.ok, msg.error);
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
    this.trainingMs += job.durationMs;
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
      slot.worker.postMessage({ id, moduleUrl: this.moduleUrl, stores: job.request.stores, runId: job.request.runId, trigger: job.request.trigger });
    }
    for (const s of this.slots) if (!s.busy) s.worker.unref();
  }
}
