// Must come first: it installs the core API stand-in before the orchestrations register anything.
import { activity, HistoryBuilder, registeredOrchestratorHandler, replay, timer, type RetryPolicy } from '../../support/replay.js';
import { describe, expect, it } from 'vitest';
import { POOLED_TRAINING_ORCHESTRATION, pooledInstanceId } from '../../../orchestrations/names.js';
import { POOLED_RESULT_ACTIVITY, pooledTrainingOrchestrator, type PooledTrainingInput } from '../../../orchestrations/pooled-training.js';
import { TRAINING_DISPATCH_ACTIVITY, TRAINING_STATUS_ACTIVITY } from '../../../orchestrations/training-batch.js';

const T0 = Date.parse('2024-05-01T05:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

const runId = 'morning-2024-05-01';
const input: PooledTrainingInput = { runId, timeoutSeconds: 600, pollSeconds: 30, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
const instanceId = pooledInstanceId(runId);
/** The job the step dispatches: the pooled mode, no stores, the run's trace context. */
const request = { runId, mode: 'pooled', stores: [], trigger: 'morning', traceparent: input.traceparent };
const statusInput = { handle: 'aks/foreact/train-pooled', traceparent: input.traceparent, runId, trigger: 'morning' };
const retry: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 15_000 };
const start = () => new HistoryBuilder({ startedAt: at(0), input, name: POOLED_TRAINING_ORCHESTRATION });
const run = (h: HistoryBuilder) => replay(pooledTrainingOrchestrator, h, { instanceId, parentInstanceId: runId });

describe('pooled step (the morning run’s sub-orchestration), replayed without a host', () => {
  it('dispatches one pooled job, polls it with durable timers, and returns the version it recorded', async () => {
    const h = start();
    let r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_DISPATCH_ACTIVITY, request, retry)]);

    h.episode(at(1)).activityCompleted(h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request), { handle: statusInput.handle, alreadyRunning: false });
    r = await run(h);
    expect(r.newActions).toEqual([timer(at(31))]);
    expect(r.customStatus).toEqual({ stage: 'dispatched', runId, pooled: true });

    h.episode(at(31)).timerFired(h.timerCreated(at(31)));
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_STATUS_ACTIVITY, statusInput, retry)]);
    h.episode(at(32)).activityCompleted(h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusInput), { state: 'running' });
    r = await run(h);
    expect(r.newActions).toEqual([timer(at(62))]);
    expect(r.customStatus).toEqual({ stage: 'training', runId, pooled: true });

    h.episode(at(62)).timerFired(h.timerCreated(at(62)));
    h.episode(at(63)).activityCompleted(h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusInput), { state: 'succeeded' });
    r = await run(h);
    const resultInput = { runId, handle: statusInput.handle, jobError: null, traceparent: input.traceparent };
    expect(r.newActions).toEqual([activity(POOLED_RESULT_ACTIVITY, resultInput, retry)]);

    const recorded = { version: runId, durationMs: 50_000, stores: 10, series: 500, groups: 3, rows: 365_000 };
    h.episode(at(64)).activityCompleted(h.activityScheduled(POOLED_RESULT_ACTIVITY, resultInput), recorded);
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual({ ...recorded, stepMs: 64_000 });
    expect(r.customStatus).toEqual({ stage: 'done', runId, pooled: true });
    expect(await replay(pooledTrainingOrchestrator, h, { instanceId, parentInstanceId: runId, handler: registeredOrchestratorHandler(POOLED_TRAINING_ORCHESTRATION) })).toEqual(r);
  });

  it('a job past its deadline is reported (and cancelled by the result activity), not waited for', async () => {
    const h = start();
    h.episode(at(1)).activityCompleted(h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request), { handle: statusInput.handle, alreadyRunning: false });
    let t = 1;
    // Running at every poll until the deadline (600 s from the start).
    while (t + 30 < 600) {
      h.episode(at(t + 30)).timerFired(h.timerCreated(at(t + 30)));
      h.episode(at(t + 30)).activityCompleted(h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusInput), { state: 'running' });
      t += 30;
    }
    // The last timer fires at the deadline; that poll still says running, and the step gives up.
    h.episode(at(600)).timerFired(h.timerCreated(at(600)));
    h.episode(at(600)).activityCompleted(h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusInput), { state: 'running' });
    let r = await run(h);
    const resultInput = { runId, handle: statusInput.handle, jobError: 'deadline of 600 s exceeded', traceparent: input.traceparent };
    expect(r.newActions).toEqual([activity(POOLED_RESULT_ACTIVITY, resultInput, retry)]);
    h.episode(at(601)).activityCompleted(h.activityScheduled(POOLED_RESULT_ACTIVITY, resultInput), { error: 'deadline of 600 s exceeded' });
    r = await run(h);
    expect(r.output).toEqual({ error: 'deadline of 600 s exceeded', stepMs: 601_000 });
    expect(r.customStatus).toEqual({ stage: 'failed', runId, pooled: true });
  });
});
