import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { describeError, failStoreRun } from '../core/domain/runs.js';
import type { DispatchResult, TrainingRequest, TrainingStatus } from '../core/ports/training-dispatcher.js';
import { orchestrationDeps } from './deps.js';
import { STORE_TRAINING_ORCHESTRATION } from './names.js';

export const TRAINING_DISPATCH_ACTIVITY = 'training-dispatch';
export const TRAINING_STATUS_ACTIVITY = 'training-status';
export const TRAINING_FAIL_ACTIVITY = 'training-fail';
export const TRAINING_RESULT_ACTIVITY = 'training-result';

export type TrainingStage = 'queued' | 'dispatched' | 'training' | 'publishing' | 'done' | 'failed';

export interface StoreTrainingInput extends TrainingRequest {
  /** Seconds from the start after which the store is failed (kept stale) and its job cancelled. */
  timeoutSeconds: number;
  pollSeconds: number;
}

export interface StoreTrainingResult {
  store: string;
  runId: string;
  status: 'succeeded' | 'failed';
  /** Orchestration time from dispatch to the end (what the store cost the run). */
  durationMs: number;
  /** Training time reported by the trainer's run record, when it wrote one. */
  trainingMs?: number;
  error?: string;
  alreadyRunning?: boolean;
}

/** Transient failures (API 5xx, timeouts, throttling): a few quick retries, then the store fails. */
export function transientRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(1000, 4);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 15_000;
  return retry;
}

/** A backend that lost the job (host restart, Job garbage-collected) gets it dispatched again this often. */
const MAX_REDISPATCH = 2;

/**
 * Dispatch → poll with durable timers until the job finishes or the deadline passes → record the outcome.
 * A generator so the refresh orchestration can run it inline (`yield*`) and mirror each stage in its own
 * custom status, while the morning run runs it as a sub-orchestration per store.
 */
export function* trainStore(context: OrchestrationContext, input: StoreTrainingInput, onStage: (stage: TrainingStage) => void): Generator<df.Task, StoreTrainingResult, unknown> {
  const started = context.df.currentUtcDateTime.getTime();
  const deadline = started + input.timeoutSeconds * 1000;
  const request: TrainingRequest = { runId: input.runId, store: input.store, trigger: input.trigger };
  const retry = transientRetry();
  let dispatch: DispatchResult | undefined;
  let failure: string | undefined;
  try {
    for (let dispatches = 0; ; ) {
      dispatch = (yield context.df.callActivityWithRetry(TRAINING_DISPATCH_ACTIVITY, retry, request)) as DispatchResult;
      dispatches++;
      onStage('dispatched');
      let status: TrainingStatus | undefined;
      let announcedTraining = false;
      for (;;) {
        const now = context.df.currentUtcDateTime.getTime();
        if (now >= deadline) break;
        yield context.df.createTimer(new Date(Math.min(deadline, now + input.pollSeconds * 1000)));
        status = (yield context.df.callActivityWithRetry(TRAINING_STATUS_ACTIVITY, retry, dispatch.handle)) as TrainingStatus;
        if (status.state === 'running' && !announcedTraining) {
          announcedTraining = true;
          onStage('training');
        }
        if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'unknown') break;
      }
      if (status?.state === 'unknown' && dispatches <= MAX_REDISPATCH) continue;
      if (status?.state === 'succeeded') break;
      failure = status?.state === 'failed' ? (status.reason ?? 'training failed') : status?.state === 'unknown' ? `job lost: ${status.reason ?? 'unknown'}` : `deadline of ${input.timeoutSeconds} s exceeded`;
      break;
    }
  } catch (error) {
    // Activities exhausted their retries (API server down): the store fails, the others go on.
    failure = `dispatch failed: ${describeError(error)}`;
  }
  if (failure === undefined) {
    onStage('publishing');
    const trainingMs = (yield context.df.callActivityWithRetry(TRAINING_RESULT_ACTIVITY, retry, request)) as number | null;
    onStage('done');
    return { store: input.store, runId: input.runId, status: 'succeeded', durationMs: context.df.currentUtcDateTime.getTime() - started, ...(trainingMs !== null ? { trainingMs } : {}), ...(dispatch?.alreadyRunning ? { alreadyRunning: true } : {}) };
  }
  yield context.df.callActivityWithRetry(TRAINING_FAIL_ACTIVITY, retry, { ...request, reason: failure, handle: dispatch?.handle ?? null });
  onStage('failed');
  return { store: input.store, runId: input.runId, status: 'failed', durationMs: context.df.currentUtcDateTime.getTime() - started, error: failure };
}

export const storeTrainingOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<StoreTrainingInput>();
  return yield* trainStore(context, input, (stage) => context.df.setCustomStatus({ stage, store: input.store, runId: input.runId }));
};

export async function dispatchActivity(request: TrainingRequest): Promise<DispatchResult> {
  const deps = await orchestrationDeps();
  const existing = await deps.storage.runs.get(request.runId, request.store);
  if (!existing) {
    // The trainer's RunTracker keeps this record's createdAt, so queueing time shows in the run's timings.
    const now = deps.clock.now().toISOString();
    await deps.storage.runs.put({ runId: request.runId, store: request.store, trigger: request.trigger, status: 'queued', stage: 'queued', progress: 0, stages: [{ stage: 'queued', startedAt: now }], createdAt: now });
  }
  return deps.dispatcher.dispatch(request);
}

export async function statusActivity(handle: string): Promise<TrainingStatus> {
  return (await orchestrationDeps()).dispatcher.status(handle);
}

export async function failActivity(input: TrainingRequest & { reason: string; handle: string | null }): Promise<void> {
  const deps = await orchestrationDeps();
  if (input.handle !== null) await deps.dispatcher.cancel(input.handle);
  await failStoreRun(deps.storage, deps.clock, { runId: input.runId, store: input.store, trigger: input.trigger, reason: input.reason });
}

/** The trainer's own measure of its work, for the run summary (null when it kept no record). */
export async function resultActivity(request: TrainingRequest): Promise<number | null> {
  const deps = await orchestrationDeps();
  const record = await deps.storage.runs.get(request.runId, request.store);
  return record?.status === 'succeeded' && record.durationMs !== undefined ? record.durationMs : null;
}

df.app.activity(TRAINING_DISPATCH_ACTIVITY, { handler: dispatchActivity });
df.app.activity(TRAINING_STATUS_ACTIVITY, { handler: statusActivity });
df.app.activity(TRAINING_FAIL_ACTIVITY, { handler: failActivity });
df.app.activity(TRAINING_RESULT_ACTIVITY, { handler: resultActivity });
df.app.orchestration(STORE_TRAINING_ORCHESTRATION, storeTrainingOrchestrator);
