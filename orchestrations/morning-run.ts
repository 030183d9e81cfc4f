import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import type { RunRecord } from '../core/domain/model.js';
import { cleanupExpiredRuns, describeError, type CleanupResult } from '../core/domain/runs.js';
import { morningBatchSize, type PoolSize } from '../core/ports/training-dispatcher.js';
import { tracedActivity, type Runtime } from '../core/runtime.js';
import { cleanupPooledArtifacts, pooledStepNotNeeded } from '../core/domain/pooled-step.js';
import { laneInstanceId, MORNING_LANE_ORCHESTRATION, MORNING_RUN_ORCHESTRATION, morningRunId, POOLED_TRAINING_ORCHESTRATION, pooledInstanceId, type MorningRunInput } from './names.js';
// Also registers the lanes and the pooled step wherever the morning run is registered (a host given only this
// module, the tests).
import './pooled-training.js';
import { outcomesFromRunRecords, type MorningLaneInput } from './morning-lane.js';
import type { PooledStepOutcome, PooledTrainingInput } from './pooled-training.js';
import type { PooledUse } from '../core/ports/index.js';
import { recordStaleShare, transientRetry, type StoreRunResult } from './training-batch.js';
import type { TracedInput } from '../core/adapters/telemetry.js';

export const MORNING_PLAN_ACTIVITY = 'morning-plan';
export const MORNING_SCALE_UP_ACTIVITY = 'morning-scale-up';
export const MORNING_SCALE_DOWN_ACTIVITY = 'morning-scale-down';
export const MORNING_SUMMARY_ACTIVITY = 'morning-summary';
export const MORNING_CLEANUP_ACTIVITY = 'morning-cleanup';

export type { MorningRunInput } from './names.js';

export interface MorningPlan {
  stores: string[];
  skipped: { store: string; reason: string }[];
  /** Jobs (batches) in flight. */
  concurrency: number;
  /** Stores per job: the setting, else derived from `secondsPerStore` (`morningBatchSize` in core/ports/training-dispatcher.ts). */
  batchSize: number;
  /** Per job (batch). */
  timeoutSeconds: number;
  pollSeconds: number;
  /** Measured by yesterday's run when there was one, else the setting. */
  secondsPerStore: number;
  /** Where the batches train (FOREACT_DISPATCH), so a check run can say which backend it proved. */
  backend?: 'local' | 'aks';
  /**
   * Why the pooled step is skipped, when it is: the pooled models are read only by the engine's learned family,
   * which is a candidate only for a store with drivers (`learnedFamilyWanted`); with none, pooling is pure cost.
   */
  skipPooled?: string;
}

export interface MorningSummary {
  runId: string;
  date: string;
  startedAt: string;
  finishedAt: string;
  totalMs: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Sum of per-store durations (trainer-reported where available). */
  sumTrainingMs: number;
  secondsPerStore: number | null;
  /** Longest store (trainer-reported where available, else its job's time). */
  maxStoreMs: number;
  /** Stores per job and the number of jobs dispatched. */
  batchSize: number;
  batches: number;
  failures: { store: string; error: string }[];
  skippedStores: { store: string; reason: string }[];
  /**
   * The pool sizing: what it was scaled to and what it was restored to (the configured resting size), with
   * `error` when the scale-down failed (the pool may still be scaled up: an operator must look); or only
   * `error` when the scale-up failed (the run trained on the pool as it was).
   */
  scaling?: ScalingOutcome;
  /**
   * The pooled step (before the fan-out): the version every store trained with and what it learned from, or
   * why there was none (the stores then trained without one), or why it was skipped (no store would read it).
   * Absent for a check run, whose stores use the latest pooled artifact, and for a run without stores.
   */
  pooled?: PooledStepOutcome;
  /** The run's W3C trace context (its trace id is the run's App Insights operation id). */
  traceparent?: string;
  /** A check run only: the stores it was asked for, those that published, and the backend that trained them. */
  check?: { stores: string[]; published: string[]; backend?: 'local' | 'aks' };
}

export type ScalingOutcome = { previous: PoolSize; target: PoolSize; error?: string } | { error: string };

function previousDay(date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`) - 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

export const morningRunOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<MorningRunInput>();
  // A check run: the same run restricted to its stores, under its own run id (orchestrations/names.ts).
  const check = input.stores;
  const runId = input.runId ?? morningRunId(input.date);
  const startedAt = context.df.currentUtcDateTime;
  const retry = transientRetry();
  // Orchestrators make no spans (replays): the run's trace context rides in every activity's input.
  const traced = input.traceparent ? { traceparent: input.traceparent, runId, trigger: 'morning' as const } : {};
  context.df.setCustomStatus({ stage: 'planning', runId });
  const plan = (yield context.df.callActivityWithRetry(MORNING_PLAN_ACTIVITY, retry, { previousRunId: morningRunId(previousDay(input.date)), ...(check ? { only: check } : {}), ...traced })) as MorningPlan;

  let scaling: ScalingOutcome | undefined;
  try {
    scaling = ((yield context.df.callActivityWithRetry(MORNING_SCALE_UP_ACTIVITY, retry, { stores: plan.stores.length, secondsPerStore: plan.secondsPerStore, ...traced })) as ScalingOutcome | null) ?? undefined;
  } catch (error) {
    // Training on the pool as it is beats not training: the autoscaler still reacts to pending pods.
    scaling = { error: describeError(error) };
  }

  // The pooled step: one job learns what the stores share before any of them trains. It never blocks the
  // run: without an artifact the stores train alone (the engine fits per store), and the summary says why.
  // A check run (a store or two after a deploy) trains on the latest artifact instead of pooling again.
  let pooled: PooledStepOutcome | undefined;
  if (!check && plan.stores.length > 0 && plan.skipPooled !== undefined) pooled = { skipped: plan.skipPooled };
  else if (!check && plan.stores.length > 0) {
    context.df.setCustomStatus({ stage: 'pooling', runId, stores: plan.stores.length, ...(plan.backend ? { backend: plan.backend } : {}) });
    const pooledStarted = context.df.currentUtcDateTime.getTime();
    const pooledInput: PooledTrainingInput = { runId, timeoutSeconds: plan.timeoutSeconds, pollSeconds: plan.pollSeconds, ...(input.traceparent ? { traceparent: input.traceparent } : {}) };
    try {
      pooled = (yield context.df.callSubOrchestrator(POOLED_TRAINING_ORCHESTRATION, pooledInput, pooledInstanceId(context.df.instanceId))) as PooledStepOutcome;
    } catch (crash) {
      pooled = { error: `pooled step crashed: ${describeError(crash)}`, stepMs: context.df.currentUtcDateTime.getTime() - pooledStarted };
    }
    if ('error' in pooled && !context.df.isReplaying) context.warn(`morning run ${runId}: pooled step failed (${pooled.error}); stores train without a pooled artifact`);
  }
  const pooledUse: PooledUse | undefined = pooled === undefined ? undefined : 'version' in pooled ? { version: pooled.version } : 'none';

  // Batches in plan order (the plan's store list is sorted), so batch i is the same stores on a replay.
  const batchSize = plan.batchSize >= 1 ? plan.batchSize : 1;
  const batches: string[][] = [];
  for (let i = 0; i < plan.stores.length; i += batchSize) batches.push(plan.stores.slice(i, i + batchSize));
  // `concurrency` lanes, batch i in lane i mod lanes: at most `concurrency` jobs in flight, each lane's
  // batches one after another (morning-lane.ts says why lanes and not a sliding window over Task.any).
  const laneCount = Math.max(1, Math.min(plan.concurrency, batches.length));
  const lanes: MorningLaneInput[] = Array.from({ length: batches.length === 0 ? 0 : laneCount }, (_, lane) => ({
    runId,
    morningInstance: context.df.instanceId,
    lane,
    batches: batches.flatMap((stores, index) => (index % laneCount === lane ? [{ index, stores }] : [])),
    timeoutSeconds: plan.timeoutSeconds,
    pollSeconds: plan.pollSeconds,
    ...(pooledUse !== undefined ? { pooled: pooledUse } : {}),
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  }));
  context.df.setCustomStatus({ stage: 'training', runId, done: 0, total: plan.stores.length, lanes: lanes.length, ...(plan.backend ? { backend: plan.backend } : {}) });
  const results: StoreRunResult[] = [];
  if (lanes.length > 0) {
    try {
      const perLane = (yield context.df.Task.all(lanes.map((lane) => context.df.callSubOrchestrator(MORNING_LANE_ORCHESTRATION, lane, laneInstanceId(context.df.instanceId, lane.lane))))) as StoreRunResult[][];
      for (const laneResults of perLane) results.push(...laneResults);
    } catch (crash) {
      // A lane catches its batches' crashes; one that crashed itself (a bug) fails the whole wait. The run
      // records still say which stores published.
      results.push(...(yield* outcomesFromRunRecords(context, { runId, stores: plan.stores, ...(input.traceparent ? { traceparent: input.traceparent } : {}) }, `lane failed: ${describeError(crash)}`)));
    }
  }

  const finishedAt = context.df.currentUtcDateTime;
  // Restore the pool before the summary, so that a failed scale-down is in the summary (not swallowed):
  // a pool left scaled up costs money every hour until someone looks.
  if (scaling && 'previous' in scaling) {
    try {
      yield context.df.callActivityWithRetry(MORNING_SCALE_DOWN_ACTIVITY, retry, scaling.previous);
    } catch (error) {
      scaling = { ...scaling, error: `scale-down failed: ${describeError(error)}` };
      if (!context.df.isReplaying) context.error(`morning run ${runId}: pool scale-down failed: ${describeError(error)}`);
    }
  }
  const succeeded = results.filter((r) => r.status === 'succeeded');
  const sumTrainingMs = succeeded.reduce((s, r) => s + (r.trainingMs ?? r.durationMs), 0);
  const summary: MorningSummary = {
    runId,
    date: input.date,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totalMs: finishedAt.getTime() - startedAt.getTime(),
    succeeded: succeeded.length,
    failed: results.length - succeeded.length,
    skipped: plan.skipped.length,
    sumTrainingMs,
    secondsPerStore: succeeded.length > 0 ? sumTrainingMs / succeeded.length / 1000 : null,
    maxStoreMs: results.reduce((m, r) => Math.max(m, r.trainingMs ?? r.durationMs), 0),
    batchSize,
    batches: batches.length,
    failures: results.filter((r) => r.status === 'failed').map((r) => ({ store: r.store, error: r.error ?? 'failed' })),
    skippedStores: plan.skipped,
    ...(scaling ? { scaling } : {}),
    ...(pooled ? { pooled } : {}),
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    ...(check ? { check: { stores: check, published: succeeded.map((r) => r.store).sort(), ...(plan.backend ? { backend: plan.backend } : {}) } } : {}),
  };
  context.df.setCustomStatus({ stage: 'summarising', runId });
  yield context.df.callActivityWithRetry(MORNING_SUMMARY_ACTIVITY, retry, summary);
  try {
    // Once a day is enough, and the morning run is the one job that runs daily over every store.
    if (!check) yield context.df.callActivityWithRetry(MORNING_CLEANUP_ACTIVITY, retry, { now: finishedAt.toISOString(), ...traced });
  } catch {
    // Old runs cost storage, not correctness: tomorrow's run tries again.
  }
  context.df.setCustomStatus({ stage: 'done', runId, succeeded: summary.succeeded, failed: summary.failed, skipped: summary.skipped, ...(plan.backend && check ? { backend: plan.backend } : {}) });
  return summary;
};

/** `only`: a check run's stores (the others are not planned at all; one not in the catalogue is skipped). */
export async function planActivity(input: { previousRunId: string; only?: string[] } & TracedInput, runtime: Runtime): Promise<MorningPlan> {
  const deps = await runtime.deps();
  const only = input.only === undefined ? undefined : new Set(input.only);
  const states = (await deps.storage.stores.list()).filter((s) => only === undefined || only.has(s.store));
  const stores: string[] = [];
  const skipped: MorningPlan['skipped'] = [];
  for (const store of only ?? []) if (!states.some((s) => s.store === store)) skipped.push({ store, reason: 'not in the store catalogue' });
  for (const s of states) {
    if (!s.history) skipped.push({ store: s.store, reason: 'no sales history' });
    else stores.push(s.store);
  }
  stores.sort();
  // A check run does not pool (its stores read the latest artifact): only a full run's stores matter here.
  const skipPooled = pooledStepNotNeeded(states);
  const previous = await deps.storage.runs.get(input.previousRunId, undefined).catch(() => undefined);
  const measured = previous?.details?.secondsPerStore;
  const secondsPerStore = typeof measured === 'number' && measured > 0 ? measured : deps.config.dispatch.secondsPerStore;
  return {
    stores,
    skipped,
    concurrency: deps.config.dispatch.morningConcurrency,
    batchSize: morningBatchSize(deps.config.dispatch.morningBatchSize, secondsPerStore),
    timeoutSeconds: deps.config.dispatch.trainingTimeoutSeconds,
    pollSeconds: deps.config.dispatch.pollSeconds,
    secondsPerStore,
    backend: deps.config.dispatch.backend,
    ...(skipPooled !== undefined ? { skipPooled } : {}),
  };
}

export async function scaleUpActivity(input: { stores: number; secondsPerStore: number } & TracedInput, runtime: Runtime): Promise<MorningSummary['scaling'] | null> {
  const deps = await runtime.deps();
  const { scaler } = await deps.dispatch();
  if (!scaler || input.stores === 0) return null;
  return scaler.scaleUp(input.stores, input.secondsPerStore);
}

/** Restores the pool to its configured resting size; a failure is logged by the activity wrapper and reported in the summary. */
export async function scaleDownActivity(previous: PoolSize & TracedInput, runtime: Runtime): Promise<void> {
  await (await (await runtime.deps()).dispatch()).scaler?.restore(previous);
}

/** Deletes runs older than the retention (never a store's current or previous run), and pooled artifacts (never the latest). */
export async function cleanupActivity(input: { now: string } & TracedInput, runtime: Runtime): Promise<CleanupResult & { pooledDeleted: number }> {
  const deps = await runtime.deps();
  const now = new Date(input.now);
  const result = await cleanupExpiredRuns(deps.storage, now, deps.config.runs.retentionDays);
  return { ...result, pooledDeleted: await cleanupPooledArtifacts(deps.storage, now, deps.config.runs.retentionDays) };
}

export async function summaryActivity(summary: MorningSummary, runtime: Runtime): Promise<void> {
  const deps = await runtime.deps();
  const record: RunRecord = {
    runId: summary.runId,
    trigger: 'morning',
    status: summary.failed > 0 && summary.succeeded === 0 && summary.failed + summary.succeeded > 0 ? 'failed' : 'succeeded',
    stage: 'done',
    progress: 1,
    stages: [],
    createdAt: summary.startedAt,
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    durationMs: summary.totalMs,
    details: { ...summary },
  };
  await deps.storage.runs.put(record);
  // What the morning-run alert reads (docs/operations.md section 5): the event, then the stale share. A
  // check run (a store or two after a deploy) is not the morning run the alert is about.
  const { stale, stores } = await recordStaleShare(deps.storage.stores, runtime.telemetry);
  runtime.telemetry.event(summary.check ? 'CheckRunCompleted' : 'MorningRunCompleted', { runId: summary.runId, succeeded: summary.succeeded, failed: summary.failed, stale, stores, finishedAt: summary.finishedAt });
  const log = runtime.telemetry.logger({ runId: summary.runId, trigger: 'morning' });
  for (const f of summary.failures) log.warn(`store failed: ${f.error}`, { store: f.store });
}

df.app.activity(MORNING_PLAN_ACTIVITY, { handler: tracedActivity(MORNING_PLAN_ACTIVITY, planActivity) });
df.app.activity(MORNING_SCALE_UP_ACTIVITY, { handler: tracedActivity(MORNING_SCALE_UP_ACTIVITY, scaleUpActivity) });
df.app.activity(MORNING_SCALE_DOWN_ACTIVITY, { handler: tracedActivity(MORNING_SCALE_DOWN_ACTIVITY, scaleDownActivity) });
df.app.activity(MORNING_SUMMARY_ACTIVITY, { handler: tracedActivity(MORNING_SUMMARY_ACTIVITY, summaryActivity) });
df.app.activity(MORNING_CLEANUP_ACTIVITY, { handler: tracedActivity(MORNING_CLEANUP_ACTIVITY, cleanupActivity) });
df.app.orchestration(MORNING_RUN_ORCHESTRATION, morningRunOrchestrator);
