import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { describeError } from '../core/domain/runs.js';
import type { PooledUse } from '../core/ports/index.js';
import { batchInstanceId, MORNING_LANE_ORCHESTRATION, TRAINING_BATCH_ORCHESTRATION } from './names.js';
import { TRAINING_RESULT_ACTIVITY, transientRetry, type BatchTrainingInput, type StoreOutcome, type StoreRunResult, type TrainingResultInput } from './training-batch.js';

export interface MorningLaneInput {
  runId: string;
  /** The morning run's instance id: batch instance ids are numbered across the run under it. */
  morningInstance: string;
  lane: number;
  /** This lane's batches, in plan order, with their index in the run. */
  batches: { index: number; stores: string[] }[];
  timeoutSeconds: number;
  pollSeconds: number;
  /** The pooled artifact every store of the run trains with (absent: the latest, as for a check run). */
  pooled?: PooledUse;
  traceparent?: string;
}

/**
 * One lane of the morning run: its batches, one `training-batch` after another. The morning run starts
 * `concurrency` lanes and waits for all of them, so at most `concurrency` jobs are in flight without a
 * sliding window over `Task.any`: durable-functions sends every task of a new `Task.any` to the extension
 * again, including those an earlier one already scheduled (Azure/azure-functions-durable-js#574). And no
 * history holds more than a lane's share of the batches — the parent's holds one entry per lane — so a
 * 5,000-store run no longer replays a history that grows with every job (docs/capacity.md §2).
 */
/**
 * The outcome of stores whose orchestration crashed: their jobs may still have trained and published
 * (nobody cancelled them), so each store's run record says what happened — a control-plane blip does not
 * report healthy stores as failed or skew tomorrow's batch sizing. Only if the records cannot be read
 * either do the stores fail with `error`.
 */
export function* outcomesFromRunRecords(context: OrchestrationContext, run: { runId: string; stores: string[]; traceparent?: string }, error: string): Generator<df.Task, StoreRunResult[], unknown> {
  const crashed: TrainingResultInput = { runId: run.runId, stores: run.stores, trigger: 'morning', handle: null, jobError: error, ...(run.traceparent ? { traceparent: run.traceparent } : {}) };
  try {
    const outcomes = (yield context.df.callActivityWithRetry(TRAINING_RESULT_ACTIVITY, transientRetry(), crashed)) as StoreOutcome[];
    return outcomes.map((o) => ({ ...o, runId: run.runId, durationMs: 0 }));
  } catch {
    return run.stores.map((store) => ({ store, runId: run.runId, status: 'failed' as const, durationMs: 0, error }));
  }
}

export const morningLaneOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<MorningLaneInput>();
  const results: StoreRunResult[] = [];
  const total = input.batches.reduce((n, b) => n + b.stores.length, 0);
  for (const batch of input.batches) {
    context.df.setCustomStatus({ stage: 'training', runId: input.runId, lane: input.lane, done: results.length, total });
    const sub: BatchTrainingInput = { runId: input.runId, stores: batch.stores, trigger: 'morning', ...(batch.stores.length > 1 ? { batch: batch.index } : {}), timeoutSeconds: input.timeoutSeconds, pollSeconds: input.pollSeconds, ...(input.pooled !== undefined ? { pooled: input.pooled } : {}), ...(input.traceparent ? { traceparent: input.traceparent } : {}) };
    try {
      results.push(...((yield context.df.callSubOrchestrator(TRAINING_BATCH_ORCHESTRATION, sub, batchInstanceId(input.morningInstance, batch.index))) as StoreRunResult[]));
    } catch (crash) {
      // The sub-orchestration handles its own failures; reaching here means it crashed outright.
      results.push(...(yield* outcomesFromRunRecords(context, { runId: input.runId, stores: batch.stores, ...(input.traceparent ? { traceparent: input.traceparent } : {}) }, `sub-orchestration failed: ${describeError(crash)}`)));
    }
  }
  context.df.setCustomStatus({ stage: 'done', runId: input.runId, lane: input.lane, done: results.length, total });
  return results;
};

df.app.orchestration(MORNING_LANE_ORCHESTRATION, morningLaneOrchestrator);
