import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { entryPoints } from '../../core/adapters/entry-points.js';
import { fitPooledTask, trainStore, type PooledFitResult, type PooledFitTask, type SeriesForecast, type SeriesHistory, type TrainOptions } from '../../engine/index.js';
import type { PooledMessage, PooledTaskMessage, TrainReply, TrainRequest } from '../train-worker.js';

/** One store to train, with its own options (its drivers). */
export interface StoreJob {
  series: SeriesHistory[];
  options: TrainOptions;
}

/**
 * Training threads started ahead of the work: a worker takes ~0.1 s to load the engine, which then happens
 * while this thread reads the files instead of after. Close it in a `finally` (a live worker keeps the process
 * running). Without a build, or with fewer than two threads, it holds none.
 */
export class TrainPool {
  private idle: Worker[];
  private failure: Error | undefined;

  constructor(threads = availableParallelism()) {
    const workerFile = entryPoints().forecastWorker;
    this.idle = threads >= 2 && existsSync(workerFile) ? Array.from({ length: threads }, () => new Worker(workerFile)) : [];
    // A worker that fails while it waits would never answer: remember why, and say it when the work starts.
    for (const worker of this.idle) worker.once('error', (error) => (this.failure ??= error));
  }

  /** Up to `count` workers for a batch of work (the rest are stopped); the caller terminates them. */
  async take(count: number): Promise<Worker[]> {
    if (this.failure !== undefined) throw this.failure;
    const taken = this.idle.slice(0, count);
    const rest = this.idle.slice(count);
    this.idle = [];
    await Promise.all(rest.map((w) => w.terminate()));
    return taken;
  }

  /** Gives workers back after a batch that did not end them (the pooled step's fits), for the next batch. */
  release(workers: readonly Worker[]): void {
    for (const worker of workers) worker.removeAllListeners('message');
    this.idle.push(...workers);
  }

  async close(): Promise<void> {
    await this.take(0).catch(() => undefined);
  }
}

/**
 * Trains the stores on worker threads, one per core, when there is more than one; results come back in
 * input order. The workers run the compiled `cli/train-worker.js`, found through `entryPoints()` (or come from
 * `pool`, started earlier); without a build (or for one store) the stores train in this thread.
 */
export async function trainStoreJobs(jobs: readonly StoreJob[], threads = availableParallelism(), pool?: TrainPool): Promise<SeriesForecast[]> {
  const workerFile = entryPoints().forecastWorker;
  const workerCount = Math.min(threads, jobs.length);
  const started = pool === undefined ? [] : await pool.take(workerCount < 2 ? 0 : workerCount);
  if (workerCount < 2 || (started.length === 0 && !existsSync(workerFile))) return jobs.flatMap((job) => trainStore(job.series, job.options).forecasts);
  const workers = [...started, ...Array.from({ length: workerCount - started.length }, () => new Worker(workerFile))];
  // Every store of a run reads the same pooled artifact: each worker gets it once, not once per store.
  const pooled = jobs[0]?.options.pooled;
  const shared = pooled !== undefined && jobs.every((job) => job.options.pooled === pooled);
  if (shared) for (const worker of workers) worker.postMessage({ pooled } satisfies PooledMessage);
  try {
    const results = await onWorkers(workers, jobs.length, (worker, id) => {
      const job = jobs[id]!;
      const options = shared ? { ...job.options, pooled: undefined } : job.options;
      worker.postMessage({ id, series: job.series, options } satisfies TrainRequest, job.series.map((s) => s.values.buffer) as ArrayBuffer[]);
    }, (reply, id) => {
      if ('error' in reply) throw new Error(`training store ${jobs[id]?.series[0]?.store ?? id} failed: ${reply.error}`);
      return 'forecasts' in reply ? reply.forecasts : [];
    });
    return results.flat();
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Hands `count` pieces of work to the workers, the next one to whichever answers first; `read` turns a reply into
 * the piece's result (or throws its error). Results come back in work order.
 */
function onWorkers<R>(workers: readonly Worker[], count: number, send: (worker: Worker, id: number) => void, read: (reply: TrainReply, id: number) => R): Promise<R[]> {
  const results = new Array<R>(count);
  let next = 0;
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const sendNext = (): void => {
            if (next >= count) resolve();
            else send(worker, next++);
          };
          worker.on('message', (reply: TrainReply) => {
            try {
              results[reply.id] = read(reply, reply.id);
              sendNext();
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
          worker.once('error', reject);
          sendNext();
        }),
    ),
  ).then(() => results);
}

/**
 * The pooled step's fits (one per group of stores and cut) spread over the pool's worker threads, results in task
 * order; in this thread without a pool or a build. On two cores the two cuts of a one-store file fit side by side.
 */
export async function runPooledTasks(tasks: readonly PooledFitTask[], threads = availableParallelism(), pool?: TrainPool): Promise<PooledFitResult[]> {
  const workers = pool === undefined || tasks.length < 2 ? [] : await pool.take(Math.min(threads, tasks.length));
  if (workers.length < 2) {
    if (pool !== undefined) pool.release(workers);
    return tasks.map(fitPooledTask);
  }
  try {
    return await onWorkers(workers, tasks.length, (worker, id) => worker.postMessage({ id, task: tasks[id]! } satisfies PooledTaskMessage), (reply) => {
      if ('error' in reply) throw new Error(`the pooled step failed: ${reply.error}`);
      return 'result' in reply ? reply.result : undefined;
    });
  } finally {
    pool!.release(workers);
  }
}

/** Every store with the same options, or each with its own (its attributes). */
export function trainStores(stores: readonly SeriesHistory[][], options: TrainOptions | ((store: string) => TrainOptions), threads = availableParallelism(), pool?: TrainPool): Promise<SeriesForecast[]> {
  return trainStoreJobs(
    stores.map((series) => ({ series, options: typeof options === 'function' ? options(series[0]!.store) : options })),
    threads,
    pool,
  );
}
