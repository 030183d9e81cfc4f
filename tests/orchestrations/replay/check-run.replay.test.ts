// Must come first: it installs the core API stand-in before the orchestrations register anything.
import { activity, HistoryBuilder, replay, subOrchestration, type RetryPolicy } from '../../support/replay.js';
import { describe, expect, it } from 'vitest';
import { checkInstanceId, MORNING_LANE_ORCHESTRATION, MORNING_RUN_ORCHESTRATION } from '../../../orchestrations/names.js';
import type { MorningLaneInput } from '../../../orchestrations/morning-lane.js';
import { MORNING_PLAN_ACTIVITY, MORNING_SCALE_DOWN_ACTIVITY, MORNING_SCALE_UP_ACTIVITY, MORNING_SUMMARY_ACTIVITY, morningRunOrchestrator, type MorningPlan, type MorningRunInput, type MorningSummary } from '../../../orchestrations/morning-run.js';

/**
 * A check run (issue 18 item 4) is the morning run restricted to its stores, under its own run id: the
 * plan is asked for those stores only, the lanes train under the check run's id, the summary names the
 * stores that published and the backend, and the daily cleanup is left to the scheduled run.
 */
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
const retry: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 15_000 };
const runId = 'check-20240501T100000000Z-abcdef.smoke';
const instanceId = checkInstanceId(runId);
const input: MorningRunInput = { date: '2024-05-01', runId, stores: ['smoke'] };
const plan: MorningPlan = { stores: ['smoke'], skipped: [], concurrency: 50, batchSize: 4, timeoutSeconds: 1800, pollSeconds: 5, secondsPerStore: 600, backend: 'aks' };
const scaling = { previous: { count: 0, autoscaling: false }, target: { count: 1, autoscaling: false } };
const laneInput: MorningLaneInput = { runId, morningInstance: instanceId, lane: 0, batches: [{ index: 0, stores: ['smoke'] }], timeoutSeconds: 1800, pollSeconds: 5 };

describe('a check run, replayed without a host', () => {
  it('plans only its stores, trains them under its own run id, reports what published and skips the cleanup', async () => {
    const run = (h: HistoryBuilder) => replay(morningRunOrchestrator, h, { instanceId });
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_RUN_ORCHESTRATION });
    let r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30', only: ['smoke'] }, retry)]);
    expect(r.customStatus).toEqual({ stage: 'planning', runId });

    h.episode(at(1)).activityCompleted(h.activityScheduled(MORNING_PLAN_ACTIVITY, { previousRunId: 'morning-2024-04-30', only: ['smoke'] }), plan);
    r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_SCALE_UP_ACTIVITY, { stores: 1, secondsPerStore: 600 }, retry)]);
    h.episode(at(2)).activityCompleted(h.activityScheduled(MORNING_SCALE_UP_ACTIVITY, { stores: 1, secondsPerStore: 600 }), scaling);
    r = await run(h);
    expect(r.newActions).toEqual([{ type: 'whenAll', tasks: [subOrchestration(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput)] }]);
    expect(r.customStatus).toEqual({ stage: 'training', runId, done: 0, total: 1, lanes: 1, backend: 'aks' });

    const lane = h.subOrchestrationCreated(MORNING_LANE_ORCHESTRATION, `${instanceId}:l0`, laneInput);
    h.episode(at(6)).subOrchestrationCompleted(lane, [{ store: 'smoke', runId, status: 'succeeded', durationMs: 240_000, trainingMs: 30_000 }]);
    r = await run(h);
    expect(r.newActions).toEqual([activity(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous, retry)]);
    h.episode(at(6)).activityCompleted(h.activityScheduled(MORNING_SCALE_DOWN_ACTIVITY, scaling.previous), null);
    r = await run(h);
    const summary: MorningSummary = {
      runId,
      date: '2024-05-01',
      startedAt: at(0).toISOString(),
      finishedAt: at(6).toISOString(),
      totalMs: 6 * 60_000,
      succeeded: 1,
      failed: 0,
      skipped: 0,
      sumTrainingMs: 30_000,
      secondsPerStore: 30,
      maxStoreMs: 30_000,
      batchSize: 4,
      batches: 1,
      failures: [],
      skippedStores: [],
      scaling,
      check: { stores: ['smoke'], published: ['smoke'], backend: 'aks' },
    };
    expect(r.newActions).toEqual([activity(MORNING_SUMMARY_ACTIVITY, summary, retry)]);

    h.episode(at(7)).activityCompleted(h.activityScheduled(MORNING_SUMMARY_ACTIVITY, summary), null);
    r = await run(h);
    // No cleanup activity: that is the scheduled run's, once a day.
    expect(r.newActions).toEqual([]);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual(summary);
    expect(r.customStatus).toEqual({ stage: 'done', runId, succeeded: 1, failed: 0, skipped: 0, backend: 'aks' });
    expect(await replay(morningRunOrchestrator, h, { instanceId, freshHandler: true })).toEqual(r);
  });
});
