import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { tracedActivity, type Runtime } from '../core/runtime.js';
import type { TrainingRequest } from '../core/ports/training-dispatcher.js';
import { POOLED_TRAINING_ORCHESTRATION } from './names.js';
import { runJob, transientRetry } from './training-batch.js';

export const POOLED_RESULT_ACTIVITY = 'pooled-result';

export interface PooledTrainingInput {
  runId: string;
  /** Seconds from the start after which the pooled job is cancelled and the run goes on without it. */
  timeoutSeconds: number;
  pollSeconds: number;
  traceparent?: string;
}

/**
 * What the morning run's summary records of its pooled step: the version written and what it learned from
 * (`durationMs` = the job's own time, `stepMs` = dispatch to result, pod start and polls included), or why
 * there is none — the stores then train without a pooled artifact.
 */
export type PooledStepOutcome = { version: string; durationMs: number; stepMs: number; stores: number; series: number; groups: number; rows: number } | { error: string; stepMs: number } | { skipped: string };

export interface PooledResultInput {
  runId: string;
  handle: string | null;
  jobError: string | null;
  traceparent?: string;
}

type PooledRecord = Extract<PooledStepOutcome, { version: string }>;

/**
 * The pooled step as its own sub-orchestration (instance `<morning instance>:pooled`): one job (`mode:
 * 'pooled'`) dispatched and polled like a batch, then its outcome read from the pooled registry. Its polls
 * stay in its own history, not in the morning run's, which every lane's completion replays.
 */
export const pooledTrainingOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<PooledTrainingInput>();
  const started = context.df.currentUtcDateTime.getTime();
  const request: TrainingRequest = { runId: input.runId, mode: 'pooled', stores: [], trigger: 'morning', ...(input.traceparent ? { traceparent: input.traceparent } : {}) };
  const { dispatch, failure } = yield* runJob(context, request, input, (stage) => context.df.setCustomStatus({ stage, runId: input.runId, pooled: true }));
  const resultInput: PooledResultInput = { runId: input.runId, handle: dispatch?.handle ?? null, jobError: failure ?? null, ...(input.traceparent ? { traceparent: input.traceparent } : {}) };
  const recorded = (yield context.df.callActivityWithRetry(POOLED_RESULT_ACTIVITY, transientRetry(), resultInput)) as Omit<PooledRecord, 'stepMs'> | { error: string };
  const stepMs = context.df.currentUtcDateTime.getTime() - started;
  const outcome: PooledStepOutcome = { ...recorded, stepMs };
  context.df.setCustomStatus({ stage: 'error' in outcome ? 'failed' : 'done', runId: input.runId, pooled: true });
  return outcome;
};

/**
 * The pooled job's outcome: its version record when it wrote one (the record is written after the blob and
 * before the pointer, so a record means a whole artifact, used even if the job then missed its deadline), else
 * the job's failure. A job that did not run to
 * the end is cancelled first, so it cannot move the latest pointer behind the run's back.
 */
export async function pooledResultActivity(input: PooledResultInput, runtime: Runtime): Promise<Omit<PooledRecord, 'stepMs'> | { error: string }> {
  const deps = await runtime.deps();
  if (input.jobError !== null && input.handle !== null) await (await deps.dispatch()).dispatcher.cancel(input.handle);
  const written = await deps.storage.pooled.get(input.runId);
  const log = runtime.telemetry.logger({ runId: input.runId, trigger: 'morning' });
  // A record means a whole artifact, even from a job that was past its deadline when it wrote it.
  if (written === undefined) {
    const error = input.jobError ?? 'the pooled job ended without recording its artifact';
    log.warn(`pooled step failed: ${error}; stores train without a pooled artifact`);
    return { error };
  }
  return { version: written.version, durationMs: written.durationMs, stores: written.stores, series: written.series, groups: written.groups, rows: written.rows };
}

df.app.activity(POOLED_RESULT_ACTIVITY, { handler: tracedActivity(POOLED_RESULT_ACTIVITY, pooledResultActivity) });
df.app.orchestration(POOLED_TRAINING_ORCHESTRATION, pooledTrainingOrchestrator);
