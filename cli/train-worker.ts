import { parentPort } from 'node:worker_threads';
import { trainStore, type PooledArtifact, type SeriesForecast, type SeriesHistory, type TrainOptions } from '../engine/index.js';

export interface TrainRequest {
  id: number;
  series: SeriesHistory[];
  options: TrainOptions;
}

/** Sent once before the stores: the pooled artifact every store of the run reads (megabytes, not copied per store). */
export interface PooledMessage {
  pooled: PooledArtifact;
}

export type TrainReply = { id: number; forecasts: SeriesForecast[] } | { id: number; error: string };

let pooled: PooledArtifact | undefined;

// One store per message; the arrays travel as transferred buffers, so nothing large is copied.
parentPort?.on('message', (request: TrainRequest | PooledMessage) => {
  if ('pooled' in request) {
    pooled = request.pooled;
    return;
  }
  try {
    const { forecasts } = trainStore(request.series, pooled === undefined ? request.options : { ...request.options, pooled });
    const transfer = forecasts.flatMap((f) => [f.forecast.buffer, f.p10.buffer, f.p90.buffer]) as ArrayBuffer[];
    parentPort!.postMessage({ id: request.id, forecasts } satisfies TrainReply, transfer);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies TrainReply);
  }
});
