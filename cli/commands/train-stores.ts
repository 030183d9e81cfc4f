import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { trainStore, type SeriesForecast, type SeriesHistory, type TrainOptions } from '../../engine/index.js';
import type { TrainReply, TrainRequest } from '../train-worker.js';

/**
 * Trains every store, spreading stores over worker threads (one per core) when there is more than one
 * store; results come back in input order. Worker threads need compiled JS, so under a TypeScript loader
 * (tests) or for a single store this stays in-process.
 */
export async function trainStores(stores: readonly SeriesHistory[][], options: TrainOptions, threads = availableParallelism()): Promise<SeriesForecast[]> {
  const workerFile = join(__dirname, '../train-worker.js');
  const workerCount = Math.min(threads, stores.length);
  if (workerCount < 2 || !__filename.endsWith('.js')) return stores.flatMap((store) => trainStore(store, options).forecasts);
  const results: SeriesForecast[][] = new Array<SeriesForecast[]>(stores.length);
  let next = 0;
  const workers = Array.from({ length: workerCount }, () => new Worker(workerFile));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next >= stores.length) {
                resolve();
                return;
              }
              const id = next++;
              const series = stores[id]!;
              worker.postMessage({ id, series, options } satisfies TrainRequest, series.map((s) => s.values.buffer) as ArrayBuffer[]);
            };
            worker.on('message', (reply: TrainReply) => {
              if ('error' in reply) {
                reject(new Error(`training store ${stores[reply.id]?.[0]?.store ?? reply.id} failed: ${reply.error}`));
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
