import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { describeError, failStoreRun } from '../core/domain/runs.js';
import type { RunStatus } from '../core/domain/run-stages.js';
import type { DispatchResult, TrainingRequest, TrainingStatus } from '../core/ports/training-dispatcher.js';
import { tracedActivity, type Runtime } from '../core/runtime.js';
import { TRAINING_BATCH_ORCHESTRATION } from './names.js';
import { currentTraceparent, type Telemetry, type TracedInput } from '../core/adapters/telemetry.js';
import type { StoreCatalog } from '../core/ports/index.js';

export const TRAINING_DISPATCH_ACTIVITY = 'training-dispatch';
export const TRAINING_STATUS_ACTIVITY = 'training-status';
export const TRAINING_RESULT_ACTIVITY = 'training-result';

/** The orchestration reports progress in the shared run vocabulary. */
export type TrainingStage = RunStatus;

/** One store (the refresh, run inline). */
export interface StoreTrainingInput {
  runId: string;
  store: string;
  trigger: TrainingRequest['trigger'];
  /** Seconds from the start after which the store is failed (kept stale) and its job cancelled. */
  timeoutSeconds: number;
  pollSeconds: number;
  /** The run's W3C trace context (from the HTTP request), handed to each activity. */
  traceparent?: string;
}

/** A batch of stores dispatched as one job (the morning run's `training-batch` sub-orchestration). */
export interface BatchTrainingInput extends TrainingRequest {
  /** Seconds from the start after which the job is cancelled and its stores without a published run fail. */
  timeoutSeconds: number;
  pollSeconds: number;
}

export interface StoreRunResult {
  store: string;
  runId: string;
  status: 'succeeded' | 'failed';
  /** Orchestration time from dispatch to the end of the store's job (what the store's batch cost the run). */
  durationMs: number;
  /** Training time reported by the trainer's run record, when it wrote one. */
  trainingMs?: number;
  error?: string;
  alreadyRunning?: boolean;
}

/** What the result activity reads for each store of a finished (or abandoned) job. */
export interface StoreOutcome {
  store: string;
  status: 'succeeded' | 'failed';
  trainingMs?: number;
  error?: string;
}

export interface TrainingResultInput extends TrainingRequest {
  /** The job's handle, cancelled first when `jobError` is set (deadline, job failed or lost). */
  handle: string | null;
  /** Why the job as a whole did not succeed; null when it ran to the end. */
  jobError: string | null;
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

/** How a dispatched job ended: its handle (when the dispatch got through), and why it did not succeed. */
export interface JobRun {
  dispatch: DispatchResult | undefined;
  /** Undefined when the job ran to the end; else the job's failure, deadline, loss or dispatch error. */
  failure: string | undefined;
}

/**
 * Dispatch one job → poll its status with durable timers until it finishes or the deadline passes; a job the
 * backend lost is dispatched again (at most MAX_REDISPATCH times). Shared by store batches and the morning
 * run's pooled step: the durable work (dispatch, polls) is the same whatever the job trains.
 */
export function* runJob(context: OrchestrationContext, request: TrainingRequest, timing: { timeoutSeconds: number; pollSeconds: number }, onStage: (stage: TrainingStage) => void): Generator<df.Task, JobRun, unknown> {
  const deadline = context.df.currentUtcDateTime.getTime() + timing.timeoutSeconds * 1000;
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
        yield context.df.createTimer(new Date(Math.min(deadline, now + timing.pollSeconds * 1000)));
        try {
          const statusInput: StatusInput = { handle: dispatch.handle, runId: request.runId, trigger: request.trigger, ...(request.stores.length === 1 ? { store: request.stores[0] } : {}), ...(request.traceparent ? { traceparent: request.traceparent } : {}) };
          status = (yield context.df.callActivityWithRetry(TRAINING_STATUS_ACTIVITY, retry, statusInput)) as TrainingStatus;
        } catch {
          // Reading a job's status is idempotent: a control plane down for longer than the retries is no
          // reason to give up on a job that may well be publishing. Poll again until the job's deadline.
          continue;
        }
        if (status.state === 'running' && !announcedTraining) {
          announcedTraining = true;
          onStage('training');
        }
        if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'unknown') break;
      }
      if (status?.state === 'unknown' && dispatches <= MAX_REDISPATCH) continue;
      if (status?.state === 'succeeded') break;
      failure = status?.state === 'failed' ? (status.reason ?? 'training failed') : status?.state === 'unknown' ? `job lost: ${status.reason ?? 'unknown'}` : `deadline of ${timing.timeoutSeconds} s exceeded`;
      break;
    }
  } catch (error) {
    // Activities exhausted their retries (API server down): the job's stores fail, the others go on.
    failure = `dispatch failed: ${describeError(error)}`;
  }
  return { dispatch, failure };
}

/**
 * Dispatch one job for the stores → poll with durable timers until it finishes or the deadline passes →
 * read each store's outcome from the runs table (failing, and so keeping stale, the stores that did not
 * publish). The durable work (dispatch, polls, result) is paid once per job, whatever the number of stores.
 */
export function* trainBatch(context: OrchestrationContext, input: BatchTrainingInput, onStage: (stage: TrainingStage) => void): Generator<df.Task, StoreRunResult[], unknown> {
  const started = context.df.currentUtcDateTime.getTime();
  const request: TrainingRequest = { runId: input.runId, stores: input.stores, trigger: input.trigger, ...(input.batch !== undefined ? { batch: input.batch } : {}), ...(input.pooled !== undefined ? { pooled: input.pooled } : {}), ...(input.traceparent ? { traceparent: input.traceparent } : {}) };
  const { dispatch, failure } = yield* runJob(context, request, input, onStage);
  if (failure === undefined) onStage('publishing');
  const resultInput: TrainingResultInput = { ...request, handle: dispatch?.handle ?? null, jobError: failure ?? null };
  const outcomes = (yield context.df.callActivityWithRetry(TRAINING_RESULT_ACTIVITY, transientRetry(), resultInput)) as StoreOutcome[];
  onStage(outcomes.some((o) => o.status === 'succeeded') ? 'done' : 'failed');
  const durationMs = context.df.currentUtcDateTime.getTime() - started;
  return outcomes.map((o) => ({
    store: o.store,
    runId: input.runId,
    status: o.status,
    durationMs,
    ...(o.trainingMs !== undefined ? { trainingMs: o.trainingMs } : {}),
    ...(o.error !== undefined ? { error: o.error } : {}),
    ...(dispatch?.alreadyRunning && o.status === 'succeeded' ? { alreadyRunning: true } : {}),
  }));
}

/** One store: the refresh runs this inline (`yield*`) and mirrors each stage in its own custom status. */
export function* trainSingleStore(context: OrchestrationContext, input: StoreTrainingInput, onStage: (stage: TrainingStage) => void): Generator<df.Task, StoreRunResult, unknown> {
  const [result] = yield* trainBatch(context, { runId: input.runId, stores: [input.store], trigger: input.trigger, timeoutSeconds: input.timeoutSeconds, pollSeconds: input.pollSeconds, ...(input.traceparent ? { traceparent: input.traceparent } : {}) }, onStage);
  return result ?? { store: input.store, runId: input.runId, status: 'failed', durationMs: 0, error: 'no outcome' };
}

/** The morning run's sub-orchestration: one job for a batch of stores; the output has one result per store. */
export const trainingBatchOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<BatchTrainingInput>();
  return yield* trainBatch(context, input, (stage) => context.df.setCustomStatus({ stage, stores: input.stores.length, batch: input.batch ?? null, runId: input.runId }));
};

export async function dispatchActivity(request: TrainingRequest, runtime: Runtime): Promise<DispatchResult> {
  const deps = await runtime.deps();
  // The trainer's RunTracker keeps these records' createdAt, so queueing time shows in the run's timings.
  const now = deps.clock.now().toISOString();
  await Promise.all(
    request.stores.map(async (store) => {
      if (await deps.storage.runs.get(request.runId, store)) return;
      await deps.storage.runs.put({ runId: request.runId, store, trigger: request.trigger, status: 'queued', stage: 'queued', progress: 0, stages: [{ stage: 'queued', startedAt: now }], createdAt: now });
    }),
  );
  // The job continues this activity's span (Job env TRACEPARENT, the worker's request).
  const traceparent = currentTraceparent() ?? request.traceparent;
  const result = await (await deps.dispatch()).dispatcher.dispatch({ ...request, ...(traceparent ? { traceparent } : {}) });
  runtime.telemetry.logger({ runId: request.runId, trigger: request.trigger }).info(request.mode === 'pooled' ? 'dispatched the pooled job' : `dispatched ${request.stores.length} store(s)`, { stores: request.stores.join(','), handle: result.handle, alreadyRunning: result.alreadyRunning });
  return result;
}

/** The job's handle, with the run (and its trace context) the job works for. */
export interface StatusInput extends TracedInput {
  handle: string;
  trigger: TrainingRequest['trigger'];
  /** A one-store job's store (its span's attribute). */
  store?: string;
}

export async function statusActivity(input: StatusInput, runtime: Runtime): Promise<TrainingStatus> {
  return (await (await runtime.deps()).dispatch()).dispatcher.status(input.handle);
}

/** `foreact.stores.stale_share` after a run (docs/operations.md): stale stores ÷ stores. */
export async function recordStaleShare(stores: Pick<StoreCatalog, 'list'>, telemetry: Telemetry): Promise<{ stale: number; stores: number }> {
  const all = await stores.list();
  const stale = all.filter((s) => s.stale).length;
  if (all.length > 0) telemetry.gauge('foreact.stores.stale_share', stale / all.length);
  return { stale, stores: all.length };
}

/**
 * Each store's outcome, from its run record (the trainer's own measure of its work for a published store).
 * A job that did not run to the end is cancelled first, so no store can publish behind the orchestration's
 * back. Every store without a succeeded record is failed with `failStoreRun` (previous forecast kept,
 * stale with the reason): the trainer's own error for a store that failed inside a batch that went on,
 * else the job's. A one-store job that succeeded is the store's success (as the trainer exits 0 only then).
 */
export async function resultActivity(input: TrainingResultInput, runtime: Runtime): Promise<StoreOutcome[]> {
  const deps = await runtime.deps();
  if (input.jobError !== null && input.handle !== null) await (await deps.dispatch()).dispatcher.cancel(input.handle);
  const single = input.stores.length === 1;
  return Promise.all(
    input.stores.map(async (store): Promise<StoreOutcome> => {
      const record = await deps.storage.runs.get(input.runId, store);
      if (record?.status === 'succeeded') return { store, status: 'succeeded', ...(record.durationMs !== undefined ? { trainingMs: record.durationMs } : {}) };
      if (input.jobError === null && single) return { store, status: 'succeeded' };
      const own = record?.status === 'failed' ? record.error : undefined;
      const reason = (single ? (input.jobError ?? own) : (own ?? input.jobError)) ?? 'the job ended without a run record for this store';
      await failStoreRun(deps.storage, deps.clock, { runId: input.runId, store, trigger: input.trigger, reason });
      runtime.telemetry.logger({ runId: input.runId, store, trigger: input.trigger }).warn(`store failed: ${reason}`);
      return { store, status: 'failed', error: reason };
    }),
  );
}

/** The result activity, then (a refresh: the morning run records it in its summary) the stale share. */
async function resultAndStaleShare(input: TrainingResultInput, runtime: Runtime): Promise<StoreOutcome[]> {
  const outcomes = await resultActivity(input, runtime);
  if (input.trigger !== 'morning') await recordStaleShare((await runtime.deps()).storage.stores, runtime.telemetry).catch(() => undefined);
  return outcomes;
}

df.app.activity(TRAINING_DISPATCH_ACTIVITY, { handler: tracedActivity(TRAINING_DISPATCH_ACTIVITY, dispatchActivity) });
df.app.activity(TRAINING_STATUS_ACTIVITY, { handler: tracedActivity(TRAINING_STATUS_ACTIVITY, statusActivity) });
df.app.activity(TRAINING_RESULT_ACTIVITY, { handler: tracedActivity(TRAINING_RESULT_ACTIVITY, resultAndStaleShare) });
df.app.orchestration(TRAINING_BATCH_ORCHESTRATION, trainingBatchOrchestrator);
