// Must come first: it installs the core API stand-in before the orchestrations register anything.
import { activity, HistoryBuilder, leafActions, registeredOrchestratorHandler, replay, subOrchestration, type ReplayAction, type RetryPolicy } from '../../support/replay.js';
import { describe, expect, it } from 'vitest';
import { MORNING_LANE_ORCHESTRATION, MORNING_RUN_ORCHESTRATION, morningInstanceId, POOLED_TRAINING_ORCHESTRATION } from '../../../orchestrations/names.js';
import type { PooledStepOutcome, PooledTrainingInput } from '../../../orchestrations/pooled-training.js';
import type { MorningLaneInput } from '../../../orchestrations/morning-lane.js';
import {
  MORNING_CLEANUP_ACTIVITY,
  MORNING_PLAN_ACTIVITY,
  MORNING_SCALE_DOWN_ACTIVITY,
  MORNING_SCALE_UP_ACTIVITY,
  MORNING_SUMMARY_ACTIVITY,
  morningRunOrchestrator,
  type MorningPlan,
  type MorningRunInput,
  type MorningSummary,
} from '../../../orchestrations/morning-run.js';
import { TRAINING_RESULT_ACTIVITY, type StoreRunResult } from '../../../orchestrations/training-batch.js';

const T0 = Date.parse('2024-05-01T05:00:00.000Z');
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);

const input: MorningRunInput = { date: '2024-05-01' };
const instanceId = morningInstanceId('2024-05-01');
const runId = 'morning-2024-05-01';
const retry: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 15_000 };
const CONCURRENCY = 2;
const plan: MorningPlan = {
  stores: ['s1', 's2', 's3', 's4', 's5'],
  skipped: [{ store: 's6', reason: 'no sales history' }],
  concurrency: CONCURRENCY,
  batchSize: 2,
  timeoutSeconds: 3600,
  pollSeconds: 30,
  secondsPerStore: 12,
};
const scaling = { previous: { count: 1, minCount: 1, maxCount: 3, autoscaling: true }, target: { count: 3, minCount: 3, maxCount: 3, autoscaling: true } };

const pooledInput: PooledTrainingInput = { runId, timeoutSeconds: 3600, pollSeconds: 30 };
const pooledStep = subOrchestration(POOLED_TRAINING_ORCHESTRATION, `${instanceId}:pooled`, pooledInput);
const POOLED: PooledStepOutcome = { version: runId, durationMs: 40_000, stepMs: 55_000, stores: 5, series: 20, groups: 2, rows: 8000 };

type LaneBatch = MorningLaneInput['batches'][number];
const laneInput = (n: number, batches: LaneBatch[], pooled: MorningLaneInput['pooled'] = { version: runId }): MorningLaneInput => ({ runId, morningInstance: instanceId, lane: n, batches, timeoutSeconds: 3600, pollSeconds: 30, pooled });
const lane = (n: number, batches: LaneBatch[], pooled?: MorningLaneInput['pooled']): ReplayAction => subOrchestration(MORNING_LANE_ORCHESTRATION, `${instanceId}:l${n}`, laneInput(n, batches, pooled));
const whenAll = (...tasks: ReplayAction[]): ReplayAction => ({ type: 'whenAll', tasks });
const ok = (store: string, trainingMs: number, durationMs: number): StoreRunResult => ({ store, runId, status: 'succeeded', durationMs, trainingMs });

const run = (h: HistoryBuilder, options: { freshHandler?: boolean } = {}) => replay(morningRunOrchestrator, h, { instanceId, ...options });

/** Plan at +1 min, pool scaled up at +2 min, the pooled step done at +3 min (`pooled`, by default a success). */
function planned(p: MorningPlan = plan, pooled: PooledStepOutcome = POOLED): HistoryBuilder {
  const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
  const planTask = h.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' });
  h.episode(at(1)).activityCompleted(planTask, p);
  const up = h.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: p.stores.length, secondsPerStore: p.secondsPerStore });
  h.episode(at(2)).activityCompleted(up, scaling);
  const step = h.subOrchestrationCreated(POOLED_TRAINING_ORCHESTRATION, `${instanceId}:pooled`, pooledInput);
  h.episode(at(3)).subOrchestrationCompleted(step, pooled);
  return h;
}

describe('morning run, replayed without a host', () => {
  it('plans, scales up, deals the batches round-robin to `concurrency` lanes, waits for all, summarises and scales down', async () => {
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
    let r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' }, retry)]);
    expect(r.customStatus).toEqual({ stage: 'planning', runId });

    const planTask = h.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' });
    h.episode(at(1)).activityCompleted(planTask, plan);
    r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_SCALE_UP_ACTIVITY, { stores: 5, secondsPerStore: 12 }, retry)]);

    const up = h.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: 5, secondsPerStore: 12 });
    h.episode(at(2)).activityCompleted(up, scaling);
    r = await run(h);
    // The pooled step comes before any store: one sub-orchestration, its own history for its polls.
    expect(r.newActions).toEqual([pooledStep]);
    expect(r.customStatus).toEqual({ stage: 'pooling', runId, stores: 5 });

    const step = h.subOrchestrationCreated(POOLED_TRAINING_ORCHESTRATION, `${instanceId}:pooled`, pooledInput);
    h.episode(at(3)).subOrchestrationCompleted(step, POOLED);
    r = await run(h);
    // Batches of 2 in plan order: b0 (s1, s2), b1 (s3, s4), b2 (s5); two lanes, batch i in lane i mod 2.
    const lane0 = [{ index: 0, stores: ['s1', 's2'] }, { index: 2, stores: ['s5'] }];
    const lane1 = [{ index: 1, stores: ['s3', 's4'] }];
    expect(r.newActions).toEqual([whenAll(lane(0, lane0), lane(1, lane1))]);
    expect(r.customStatus).toEqual({ stage: 'training', runId, done: 0, total: 5, lanes: CONCURRENCY });

    const l0 = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, lane0));
    const l1 = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l1`, laneInput(1, lane1));
    // Lane 1 finishes first: nothing new to start, the run waits for lane 0.
    h.episode(at(10)).subOrchestrationCompleted(l1, [ok('s3', 20_000, 480_000), ok('s4', 30_000, 480_000)]);
    r = await run(h);
    expect(r.newActions).toEqual([]);
    expect(r.isDone).toBe(false);

    const error = 'sub-orchestration failed: out of memory';
    h.episode(at(30)).subOrchestrationCompleted(l0, [ok('s1', 40_000, 0), { store: 's2', runId, status: 'failed', durationMs: 0, error }, ok('s5', 10_000, 1_200_000)]);
    r = await run(h);
    // The pool goes back first, so that a failed scale-down lands in the summary.
    expect(r.newActions).toEqual([activity(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous, retry)]);
    const down = h.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous);
    h.episode(at(30)).activityCompleted(down, null);
    r = await run(h);
    const summary: MorningSummary = {
      runId,
      date: '2024-05-01',
      startedAt: at(0).toISOString(),
      finishedAt: at(30).toISOString(),
      totalMs: 30 * 60_000,
      succeeded: 4,
      failed: 1,
      skipped: 1,
      sumTrainingMs: 100_000,
      secondsPerStore: 25,
      maxStoreMs: 40_000,
      batchSize: 2,
      batches: 3,
      failures: [{ store: 's2', error }],
      skippedStores: [{ store: 's6', reason: 'no sales history' }],
      scaling,
      pooled: POOLED,
    };
    expect(r.newActions).toEqual([activity(MORNING_SUMMARY_ACTIVITY, summary, retry)]);
    expect(r.customStatus).toEqual({ stage: 'summarising', runId });

    const sum = h.activityScheduled(MORNING_SUMMARY_ACTIVITY, summary);
    h.episode(at(31)).activityCompleted(sum, null);
    r = await run(h);
    // Cleanup is stamped with the run's finish, not with the time the summary was written.
    expect(r.newActions).toEqual([activity(MORNING_CLEANUP_ACTIVITY, { now: at(30).toISOString() }, retry)]);

    const clean = h.activityScheduled(MORNING_CLEANUP_ACTIVITY, { now: at(30).toISOString() });
    h.episode(at(32)).activityCompleted(clean, { deleted: 4 });
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.newActions).toEqual([]);
    expect(r.output).toEqual(summary);
    expect(r.customStatus).toEqual({ stage: 'done', runId, succeeded: 4, failed: 1, skipped: 1 });

    // Determinism: the same history replays to the same decisions, on the cached, a new and the registered handler.
    expect(await run(h)).toEqual(r);
    expect(await run(h, { freshHandler: true })).toEqual(r);
    expect(await replay(morningRunOrchestrator, h, { instanceId, handler: registeredOrchestratorHandler(MORNING_RUN_ORCHESTRATION) })).toEqual(r);
  });

  it('never starts more lanes than batches, nor more than `concurrency`; every batch is in exactly one lane', async () => {
    for (const [stores, batchSize, concurrency, lanes] of [[7, 1, 3, 3], [3, 2, 5, 2], [9, 4, 1, 1], [50, 1, 50, 50]] as const) {
      const p: MorningPlan = { ...plan, stores: Array.from({ length: stores }, (_, i) => `x${String(i).padStart(2, '0')}`), skipped: [], batchSize, concurrency };
      const r = await run(planned(p));
      const started = leafActions(r.newActions);
      expect(started).toHaveLength(lanes);
      const dealt = started.flatMap((a) => (a.type === 'subOrchestration' ? (a.input as MorningLaneInput).batches : []));
      expect(dealt.map((b) => b.index).sort((a, b) => a - b)).toEqual(Array.from({ length: Math.ceil(stores / batchSize) }, (_, i) => i));
      expect(dealt.flatMap((b) => b.stores).sort()).toEqual(p.stores);
      // Round-robin: lane sizes differ by at most one batch.
      const sizes = started.map((a) => (a.type === 'subOrchestration' ? (a.input as MorningLaneInput).batches.length : 0));
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('a lane that crashed outright: every store takes its outcome from its run record', async () => {
    const p: MorningPlan = { ...plan, stores: ['s1', 's2'], skipped: [], batchSize: 1 };
    const h = planned(p);
    const l0 = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, [{ index: 0, stores: ['s1'] }]));
    h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l1`, laneInput(1, [{ index: 1, stores: ['s2'] }]));
    h.episode(at(10)).subOrchestrationFailed(l0, 'boom', '');
    let r = await run(h);
    const error = 'lane failed: boom \n ';
    const all = { runId, stores: ['s1', 's2'], trigger: 'morning', handle: null, jobError: error };
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, all, retry)]);
    h.episode(at(11)).activityCompleted(h.activityScheduled(TRAINING_RESULT_ACTIVITY, all), [{ store: 's1', status: 'succeeded', trainingMs: 3000 }, { store: 's2', status: 'failed', error }]);
    r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous, retry)]);
    h.episode(at(12)).activityCompleted(h.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous), null);
    r = await run(h);
    expect(leafActions(r.newActions)[0]).toMatchObject({ type: 'activity', name: MORNING_SUMMARY_ACTIVITY, input: { succeeded: 1, failed: 1, failures: [{ store: 's2', error }] } });
  });

  it('reports a failed scale-down in the summary (scaling.error) instead of swallowing it', async () => {
    const p: MorningPlan = { ...plan, stores: ['s1'], skipped: [], batchSize: 4 };
    const h = planned(p);
    let r = await run(h);
    expect(r.newActions).toEqual([whenAll(lane(0, [{ index: 0, stores: ['s1'] }]))]);
    const l0 = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, [{ index: 0, stores: ['s1'] }]));
    h.episode(at(10)).subOrchestrationCompleted(l0, [ok('s1', 5000, 400_000)]);
    r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous, retry)]);
    // Every attempt fails (ARM refuses the PUT).
    let t = at(10).getTime();
    for (const delay of [1, 2, 4, 8]) {
      const attempt = h.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous);
      t += 1000;
      h.episode(new Date(t)).activityFailed(attempt, 'OperationNotAllowed', '');
      const wait = h.timerCreated(new Date(t + delay * 1000));
      t += delay * 1000;
      h.episode(new Date(t)).timerFired(wait);
    }
    r = await run(h);
    expect(r.error).toBeUndefined();
    const summary = leafActions(r.newActions)[0];
    expect(summary).toMatchObject({ type: 'activity', name: MORNING_SUMMARY_ACTIVITY, input: { succeeded: 1, scaling: { ...scaling, error: expect.stringMatching(/^scale-down failed: OperationNotAllowed/) as unknown } } });
    const sum = h.activityScheduled(MORNING_SUMMARY_ACTIVITY, summary?.type === 'activity' ? summary.input : null);
    h.episode(at(12)).activityCompleted(sum, null);
    const clean = h.activityScheduled(MORNING_CLEANUP_ACTIVITY, { now: at(10).toISOString() });
    h.episode(at(13)).activityCompleted(clean, { deleted: 0 });
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toMatchObject({ scaling: { error: expect.stringMatching(/scale-down failed/) as unknown } });
  });

  it('trains on the pool as it is when scaling up fails, and then does not scale down', async () => {
    const p: MorningPlan = { ...plan, stores: ['s1'], skipped: [], batchSize: 4 };
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
    const planTask = h.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' });
    h.episode(at(1)).activityCompleted(planTask, p);
    // Every attempt fails (1, 2, 4 s apart, then the last retry timer).
    let now = at(1).getTime();
    for (const delay of [1, 2, 4, 8]) {
      const attempt = h.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: 1, secondsPerStore: 12 });
      now += 1000;
      h.episode(new Date(now)).activityFailed(attempt, 'AuthorizationFailed', '');
      const wait = h.timerCreated(new Date(now + delay * 1000));
      now += delay * 1000;
      h.episode(new Date(now)).timerFired(wait);
    }
    let r = await run(h);
    expect(r.error).toBeUndefined();
    expect(r.newActions).toEqual([pooledStep]);
    h.episode(new Date(now + 60_000)).subOrchestrationCompleted(h.subOrchestrationCreated(POOLED_TRAINING_ORCHESTRATION, `${instanceId}:pooled`, pooledInput), POOLED);
    r = await run(h);
    expect(r.newActions).toEqual([whenAll(lane(0, [{ index: 0, stores: ['s1'] }]))]);

    const l0 = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, [{ index: 0, stores: ['s1'] }]));
    h.episode(at(10)).subOrchestrationCompleted(l0, [ok('s1', 5000, 400_000)]);
    r = await run(h);
    const summary = leafActions(r.newActions)[0];
    expect(summary).toMatchObject({ type: 'activity', name: MORNING_SUMMARY_ACTIVITY, input: { succeeded: 1, failed: 0, scaling: { error: 'AuthorizationFailed \n ' } } });

    const sum = h.activityScheduled(MORNING_SUMMARY_ACTIVITY, summary?.type === 'activity' ? summary.input : null);
    h.episode(at(11)).activityCompleted(sum, null);
    // Cleanup fails for good: the run still ends, without a scale-down (nothing was scaled).
    let t = at(11).getTime();
    for (const delay of [1, 2, 4, 8]) {
      const attempt = h.activityScheduled(MORNING_CLEANUP_ACTIVITY, { now: at(10).toISOString() });
      t += 1000;
      h.episode(new Date(t)).activityFailed(attempt, 'table unavailable', '');
      const wait = h.timerCreated(new Date(t + delay * 1000));
      t += delay * 1000;
      h.episode(new Date(t)).timerFired(wait);
    }
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.newActions).toEqual([]);
    expect(leafActions(r.actions).some((a) => a.type === 'activity' && a.name === MORNING_SCALE_DOWN_ACTIVITY)).toBe(false);
    expect(r.output).toMatchObject({ succeeded: 1, failed: 0, skipped: 0, batches: 1, batchSize: 4, scaling: { error: 'AuthorizationFailed \n ' }, pooled: POOLED });
    expect(r.customStatus).toEqual({ stage: 'done', runId, succeeded: 1, failed: 0, skipped: 0 });
  });

  it('a failed pooled step never blocks the run: the stores train without an artifact, and the summary says why', async () => {
    const p: MorningPlan = { ...plan, stores: ['s1', 's2'], skipped: [], batchSize: 2 };
    const failed: PooledStepOutcome = { error: 'BackoffLimitExceeded: Job has reached the specified backoff limit', stepMs: 90_000 };
    let r = await run(planned(p, failed));
    // 'none', not the latest: yesterday's artifact is not what this run learned.
    expect(r.newActions).toEqual([whenAll(lane(0, [{ index: 0, stores: ['s1', 's2'] }], 'none'))]);
    const h = planned(p, failed);
    const l0 = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, [{ index: 0, stores: ['s1', 's2'] }], 'none'));
    h.episode(at(10)).subOrchestrationCompleted(l0, [ok('s1', 5000, 400_000), ok('s2', 5000, 400_000)]);
    h.episode(at(10)).activityCompleted(h.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous), null);
    r = await run(h);
    expect(leafActions(r.newActions)[0]).toMatchObject({ type: 'activity', name: MORNING_SUMMARY_ACTIVITY, input: { succeeded: 2, failed: 0, pooled: failed } });

    // A pooled sub-orchestration that crashed outright is a failed step too, with its time.
    const crashed = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
    crashed.episode(at(1)).activityCompleted(crashed.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' }), p);
    crashed.episode(at(2)).activityCompleted(crashed.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: 2, secondsPerStore: 12 }), scaling);
    crashed.episode(at(4)).subOrchestrationFailed(crashed.subOrchestrationCreated(POOLED_TRAINING_ORCHESTRATION, `${instanceId}:pooled`, pooledInput), 'boom', '');
    r = await run(crashed);
    expect(r.error).toBeUndefined();
    expect(r.newActions).toEqual([whenAll(lane(0, [{ index: 0, stores: ['s1', 's2'] }], 'none'))]);
    crashed.episode(at(10)).subOrchestrationCompleted(crashed.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, [{ index: 0, stores: ['s1', 's2'] }], 'none')), [ok('s1', 5000, 0), ok('s2', 5000, 0)]);
    crashed.episode(at(10)).activityCompleted(crashed.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous), null);
    r = await run(crashed);
    expect(leafActions(r.newActions)[0]).toMatchObject({ type: 'activity', name: MORNING_SUMMARY_ACTIVITY, input: { pooled: { error: expect.stringMatching(/^pooled step crashed: boom/) as unknown, stepMs: 2 * 60_000 } } });
  });

  it('no stores, no pooled step', async () => {
    const p: MorningPlan = { ...plan, stores: [], skipped: [{ store: 's6', reason: 'no sales history' }] };
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
    h.episode(at(1)).activityCompleted(h.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' }), p);
    h.episode(at(2)).activityCompleted(h.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: 0, secondsPerStore: 12 }), null);
    const r = await run(h);
    expect(leafActions(r.newActions)).toMatchObject([{ type: 'activity', name: MORNING_SUMMARY_ACTIVITY }]);
    expect(leafActions(r.newActions)[0]).not.toHaveProperty('input.pooled');
  });
  it('skips the pooled step when no store would read its models (no drivers): stores train without, the summary says why', async () => {
    const skipPooled = 'no store has drivers: the learned family, the only reader of pooled models, is not a candidate for any store';
    const p: MorningPlan = { ...plan, stores: ['s1'], skipped: [], batchSize: 2, skipPooled };
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
    h.episode(at(1)).activityCompleted(h.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30' }), p);
    h.episode(at(2)).activityCompleted(h.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: 1, secondsPerStore: 12 }), scaling);
    let r = await run(h);
    expect(r.newActions).toEqual([whenAll(lane(0, [{ index: 0, stores: ['s1'] }], 'none'))]);
    h.episode(at(10)).subOrchestrationCompleted(h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput(0, [{ index: 0, stores: ['s1'] }], 'none')), [ok('s1', 5000, 0)]);
    h.episode(at(10)).activityCompleted(h.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous), null);
    r = await run(h);
    expect(leafActions(r.newActions)[0]).toMatchObject({ type: 'activity', name: MORNING_SUMMARY_ACTIVITY, input: { succeeded: 1, pooled: { skipped: skipPooled } } });
  });
});
