// Must come first: it installs the core API stand-in before the orchestrations register anything.
import { activity, HistoryBuilder, registeredOrchestratorHandler, replay, subOrchestration, type RetryPolicy } from '../../support/replay.js';
import { describe, expect, it } from 'vitest';
import { MORNING_LANE_ORCHESTRATION, TRAINING_BATCH_ORCHESTRATION } from '../../../orchestrations/names.js';
import { morningLaneOrchestrator, type MorningLaneInput } from '../../../orchestrations/morning-lane.js';
import { TRAINING_RESULT_ACTIVITY, type StoreRunResult } from '../../../orchestrations/training-batch.js';

const T0 = Date.parse('2024-05-01T05:00:00.000Z');
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
const morning = 'morning-2024-05-01';
const runId = 'morning-2024-05-01';
const instanceId = `${morning}:l0`;
const retry: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 15_000 };
const input: MorningLaneInput = { runId, morningInstance: morning, lane: 0, batches: [{ index: 0, stores: ['s1', 's2'] }, { index: 2, stores: ['s5'] }], timeoutSeconds: 3600, pollSeconds: 30 };

const batchInput = (batch: number, stores: string[]) => ({ runId, stores, trigger: 'morning', ...(stores.length > 1 ? { batch } : {}), timeoutSeconds: 3600, pollSeconds: 30 });
const ok = (store: string, trainingMs: number): StoreRunResult => ({ store, runId, status: 'succeeded', durationMs: 60_000, trainingMs });
const run = (h: HistoryBuilder, options: { freshHandler?: boolean } = {}) => replay(morningLaneOrchestrator, h, { instanceId, parentInstanceId: morning, ...options });

describe('a lane of the morning run, replayed without a host', () => {
  it('trains its batches one after another, in order, under run-wide batch ids, and returns every store’s result', async () => {
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_LANE_ORCHESTRATION });
    let r = await run(h);
    expect(r.newActions).toEqual([subOrchestration(TRAINING_BATCH_ORCHESTRATION, `${morning}:b0`, batchInput(0, ['s1', 's2']))]);
    expect(r.customStatus).toEqual({ stage: 'training', runId, lane: 0, done: 0, total: 3 });

    const b0 = h.subOrchestrationCreated(TRAINING_BATCH_ORCHESTRATION, `${morning}:b0`, batchInput(0, ['s1', 's2']));
    h.episode(at(10)).subOrchestrationCompleted(b0, [ok('s1', 1000), ok('s2', 2000)]);
    r = await run(h);
    // A one-store batch has no batch index (its Job is named by the store), but its instance id is still b2.
    expect(r.newActions).toEqual([subOrchestration(TRAINING_BATCH_ORCHESTRATION, `${morning}:b2`, batchInput(2, ['s5']))]);
    expect(r.customStatus).toEqual({ stage: 'training', runId, lane: 0, done: 2, total: 3 });

    const b2 = h.subOrchestrationCreated(TRAINING_BATCH_ORCHESTRATION, `${morning}:b2`, batchInput(2, ['s5']));
    h.episode(at(20)).subOrchestrationCompleted(b2, [ok('s5', 3000)]);
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual([ok('s1', 1000), ok('s2', 2000), ok('s5', 3000)]);
    expect(r.customStatus).toEqual({ stage: 'done', runId, lane: 0, done: 3, total: 3 });
    expect(await run(h, { freshHandler: true })).toEqual(r);
    expect(await replay(morningLaneOrchestrator, h, { instanceId, parentInstanceId: morning, handler: registeredOrchestratorHandler(MORNING_LANE_ORCHESTRATION) })).toEqual(r);
  });

  it('a crashed batch: its stores take their outcome from their run records (a job that published succeeded), and the lane goes on', async () => {
    const h = new HistoryBuilder({ startedAt: at(0), input, name: MORNING_LANE_ORCHESTRATION });
    const b0 = h.subOrchestrationCreated(TRAINING_BATCH_ORCHESTRATION, `${morning}:b0`, batchInput(0, ['s1', 's2']));
    h.episode(at(10)).subOrchestrationFailed(b0, `Sub-orchestration ${morning}:b0 failed: out of memory`, 'at trainBatch');
    let r = await run(h);
    const error = `sub-orchestration failed: Sub-orchestration ${morning}:b0 failed: out of memory \n at trainBatch`;
    const crashed = { runId, stores: ['s1', 's2'], trigger: 'morning', handle: null, jobError: error };
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, crashed, retry)]);
    h.episode(at(11)).activityCompleted(h.activityScheduled(TRAINING_RESULT_ACTIVITY, crashed), [{ store: 's1', status: 'succeeded', trainingMs: 4000 }, { store: 's2', status: 'failed', error }]);
    r = await run(h);
    expect(r.newActions).toEqual([subOrchestration(TRAINING_BATCH_ORCHESTRATION, `${morning}:b2`, batchInput(2, ['s5']))]);
    const b2 = h.subOrchestrationCreated(TRAINING_BATCH_ORCHESTRATION, `${morning}:b2`, batchInput(2, ['s5']));
    h.episode(at(20)).subOrchestrationCompleted(b2, [ok('s5', 3000)]);
    r = await run(h);
    expect(r.output).toEqual([{ store: 's1', runId, status: 'succeeded', durationMs: 0, trainingMs: 4000 }, { store: 's2', runId, status: 'failed', durationMs: 0, error }, ok('s5', 3000)]);
  });

  it('fails a crashed batch’s stores with the crash reason when their run records cannot be read either', async () => {
    const h = new HistoryBuilder({ startedAt: at(0), input: { ...input, batches: [{ index: 3, stores: ['s7', 's8'] }] }, name: MORNING_LANE_ORCHESTRATION });
    const b3 = h.subOrchestrationCreated(TRAINING_BATCH_ORCHESTRATION, `${morning}:b3`, batchInput(3, ['s7', 's8']));
    h.episode(at(10)).subOrchestrationFailed(b3, 'boom', '');
    const error = 'sub-orchestration failed: boom \n ';
    const crashed = { runId, stores: ['s7', 's8'], trigger: 'morning', handle: null, jobError: error };
    let t = at(10).getTime();
    for (const delay of [1, 2, 4, 8]) {
      const attempt = h.activityScheduled(TRAINING_RESULT_ACTIVITY, crashed);
      t += 1000;
      h.episode(new Date(t)).activityFailed(attempt, 'table unavailable', '');
      const wait = h.timerCreated(new Date(t + delay * 1000));
      t += delay * 1000;
      h.episode(new Date(t)).timerFired(wait);
    }
    const r = await run(h);
    expect(r.error).toBeUndefined();
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual([{ store: 's7', runId, status: 'failed', durationMs: 0, error }, { store: 's8', runId, status: 'failed', durationMs: 0, error }]);
  });
});
