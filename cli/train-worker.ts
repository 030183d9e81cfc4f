import { parentPort, type MessagePort } from 'node:worker_threads';
import { fitPooledTask, trainStore, type PooledArtifact, type PooledFitResult, type PooledFitTask, type SeriesForecast, type SeriesHistory, type TrainOptions } from '../engine/index.js';

export interface TrainRequest {
  id: number;
  series: SeriesHistory[];
  options: TrainOptions;
}

/** Sent once before the stores: the pooled artifact every store of the run reads (megabytes, not copied per store). */
export interface PooledMessage {
  pooled: PooledArtifact;
}

/** One fit of the pooled step (a group of stores at one cut), before the stores train. */
export interface PooledTaskMessage {
  id: number;
  task: PooledFitTask;
}

export type TrainReply = { id: number; forecasts: SeriesForecast[] } | { id: number; result: PooledFitResult } | { id: number; error: string };

/** One store per message; the arrays travel as transferred buffers, so nothing large is copied. */
function serve(port: MessagePort): void {
  // This thread's pooled artifact, sent once before the stores.
  let pooled: PooledArtifact | undefined;
  port.on('message', (request: TrainRequest | PooledMessage | PooledTaskMessage) => {
    if ('pooled' in request) {
      pooled = request.pooled;
      return;
    }
    if ('task' in request) {
      try {
        port.postMessage({ id: request.id, result: fitPooledTask(request.task) } satisfies TrainReply);
      } catch (error) {
        port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies TrainReply);
      }
      return;
    }
    try {
      const { forecasts } = trainStore(request.series, pooled === undefined ? request.options : { ...request.options, pooled });
      const transfer = forecasts.flatMap((f) => [f.forecast.buffer, f.p10.buffer, f.p90.buffer]) as ArrayBuffer[];
      port.postMessage({ id: request.id, forecasts } satisfies TrainReply, transfer);
    } catch (error) {
      port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies TrainReply);
    }
  });
}

if (parentPort !== null) serve(parentPort);
