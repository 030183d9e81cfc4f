import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { entryPoints } from '../../core/adapters/entry-points.js';
import { trainStore, type SeriesForecast, type SeriesHistory, type TrainOptions } from '../../engine/index.js';
import type { TrainReply, TrainRequest } from '../train-worker.js';

/** One store to train, with its own options (its drivers). */
export interface StoreJob {
  series: SeriesHistory[];
  options: TrainOptions;
}

/**
 * Trains the stores on worker threads, one per core, when there is more than one; results come back in
 * input order. The workers run the compiled `cli/train-worker.js`, found through `entryPoints()`; without
 * a build (or for one store) the stores train in this thread.
 */
export async function trainStoreJobs(jobs: readonly StoreJob[], threads = availableParallelism()): Promise<SeriesForecast[]> {
  const workerFile = entryPoints().forecastWorker;
  const workerCount = Math.min(threads, jobs.length);
  if (workerCount < 2 || !existsSync(workerFile)) return jobs.flatMap((job) => trainStore(job.series, job.options).forecasts);
  const results = new Array<SeriesForecast[]>(jobs.length);
  let next = 0;
  const workers = Array.from({ length: workerCount }, () => new Worker(workerFile));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next >= jobs.length) {
                resolve();
                return;
              }
              const id = next++;
              const job = jobs[id]!;
              worker.postMessage({ id, series: job.series, options: job.options } satisfies TrainRequest, job.series.map((s) => s.values.buffer) as ArrayBuffer[]);
            };
            worker.on('message', (reply: TrainReply) => {
              if ('error' in reply) {
                reject(new Error(`training store ${jobs[reply.id]?.series[0]?.store ?? reply.id} failed: ${reply.error}`));
                return;
              }
              results[reply.id] = reply.forecasts;
              send();
            });
            worker.on('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results.flat();
}

/** Every store with the same options. */
export function trainStores(stores: readonly SeriesHistory[][], options: TrainOptions, threads = availableParallelism()): Promise<SeriesForecast[]> {
  return trainStoreJobs(
    stores.map((series) => ({ series, options })),
    threads,
  );
}
