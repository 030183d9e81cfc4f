// Must come first: it installs the core API stand-in before the orchestrations register anything.
import { activity, HistoryBuilder, registeredOrchestratorHandler, replay, timer, type RetryPolicy } from '../../support/replay.js';
import { describe, expect, it } from 'vitest';
import { refreshInstanceId, STORE_REFRESH_ORCHESTRATION } from '../../../orchestrations/names.js';
import { REFRESH_SETTINGS_ACTIVITY, storeRefreshOrchestrator, type StoreRefreshInput } from '../../../orchestrations/store-refresh.js';
import { TRAINING_DISPATCH_ACTIVITY, TRAINING_RESULT_ACTIVITY, TRAINING_STATUS_ACTIVITY } from '../../../orchestrations/training-batch.js';

const T0 = Date.parse('2024-05-01T09:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();

const input: StoreRefreshInput = { store: 'north', runId: 'refresh-north-1', requestedBy: 'planner@example.com' };
const instanceId = refreshInstanceId('north');
const request = { runId: 'refresh-north-1', stores: ['north'], trigger: 'refresh' };
/** The status activity's input: the job's handle, with the run its span belongs to. */
const statusOf = (handle: string) => ({ handle, runId: 'refresh-north-1', trigger: 'refresh', store: 'north' });
/** transientRetry(): 1 s, doubling, at most 15 s apart, 4 attempts. */
const retry: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 15_000 };

const run = (h: HistoryBuilder, options: { freshHandler?: boolean } = {}) => replay(storeRefreshOrchestrator, h, { instanceId, ...options });
const stages = (...list: [string, number][]) => list.map(([stage, s]) => ({ stage, at: iso(s) }));
const status = (stage: string, reached: [string, number][], extra: Record<string, unknown> = {}) => ({ stage, runId: 'refresh-north-1', store: 'north', startedAt: iso(0), stages: stages(...reached), ...extra });

/** Episodes 1–2: the settings activity answered at +1 s, so the training part starts (and its deadline counts) from +1 s. */
function startedWith(settings: { deadlineSeconds: number; pollSeconds: number }): HistoryBuilder {
  const h = new HistoryBuilder({ startedAt: at(0), input, name: STORE_REFRESH_ORCHESTRATION });
  const s = h.activityScheduled(REFRESH_SETTINGS_ACTIVITY, null);
  h.episode(at(1)).activityCompleted(s, settings);
  return h;
}

describe('store refresh, replayed without a host', () => {
  it('reads its settings, dispatches, polls on durable timers, reads the result, and reports each stage', async () => {
    const h = new HistoryBuilder({ startedAt: at(0), input, name: STORE_REFRESH_ORCHESTRATION });
    let r = await run(h);
    expect(r.newActions).toEqual([activity(REFRESH_SETTINGS_ACTIVITY, null)]);
    expect(r.isDone).toBe(false);
    expect(r.customStatus).toEqual(status('queued', [['queued', 0]]));

    const settings = h.activityScheduled(REFRESH_SETTINGS_ACTIVITY, null);
    h.episode(at(1)).activityCompleted(settings, { deadlineSeconds: 600, pollSeconds: 1 });
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_DISPATCH_ACTIVITY, request, retry)]);
    expect(r.customStatus).toEqual(status('queued', [['queued', 0]]));

    const dispatch = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(2)).activityCompleted(dispatch, { handle: 'job-north', alreadyRunning: false });
    r = await run(h);
    // Poll interval from the settings, counted from this episode's time.
    expect(r.newActions).toEqual([timer(at(3))]);
    expect(r.customStatus).toEqual(status('dispatched', [['queued', 0], ['dispatched', 2]]));

    const poll1 = h.timerCreated(at(3));
    h.episode(at(3)).timerFired(poll1);
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_STATUS_ACTIVITY, statusOf('job-north'), retry)]);

    const status1 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-north'));
    h.episode(at(4)).activityCompleted(status1, { state: 'running' });
    r = await run(h);
    expect(r.newActions).toEqual([timer(at(5))]);
    expect(r.customStatus).toEqual(status('training', [['queued', 0], ['dispatched', 2], ['training', 4]]));

    const poll2 = h.timerCreated(at(5));
    h.episode(at(5)).timerFired(poll2);
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_STATUS_ACTIVITY, statusOf('job-north'), retry)]);

    const status2 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-north'));
    h.episode(at(6)).activityCompleted(status2, { state: 'succeeded' });
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, { ...request, handle: 'job-north', jobError: null }, retry)]);
    // "training" is announced once, however many polls see the job running.
    expect(r.customStatus).toEqual(status('publishing', [['queued', 0], ['dispatched', 2], ['training', 4], ['publishing', 6]]));

    const result = h.activityScheduled(TRAINING_RESULT_ACTIVITY, { ...request, handle: 'job-north', jobError: null });
    h.episode(at(7)).activityCompleted(result, [{ store: 'north', status: 'succeeded', trainingMs: 4200 }]);
    r = await run(h);
    expect(r.newActions).toEqual([]);
    expect(r.isDone).toBe(true);
    expect(r.error).toBeUndefined();
    // durationMs: from the start of training (+1 s, after the settings) to the result (+7 s).
    expect(r.output).toEqual({ store: 'north', runId: 'refresh-north-1', status: 'succeeded', durationMs: 6000, trainingMs: 4200 });
    expect(r.customStatus).toEqual(status('done', [['queued', 0], ['dispatched', 2], ['training', 4], ['publishing', 6], ['done', 7]]));

    // The whole run, in order, as durable-functions reports it on the last replay.
    expect(r.actions).toEqual([
      activity(REFRESH_SETTINGS_ACTIVITY, null),
      activity(TRAINING_DISPATCH_ACTIVITY, request, retry),
      timer(at(3)),
      activity(TRAINING_STATUS_ACTIVITY, statusOf('job-north'), retry),
      timer(at(5)),
      activity(TRAINING_STATUS_ACTIVITY, statusOf('job-north'), retry),
      activity(TRAINING_RESULT_ACTIVITY, { ...request, handle: 'job-north', jobError: null }, retry),
    ]);

    // Determinism: the same history replays to the same decisions, on the same handler and on a new one.
    const again = await run(h);
    const fresh = await run(h, { freshHandler: true });
    expect(again).toEqual(r);
    expect(fresh).toEqual(r);
    // And what the module registers under the orchestration's name decides the same.
    expect(await replay(storeRefreshOrchestrator, h, { instanceId, handler: registeredOrchestratorHandler(STORE_REFRESH_ORCHESTRATION) })).toEqual(r);
  });

  it('retries a dispatch that failed (TaskFailed → retry timer → TaskScheduled again) and goes on with the second attempt', async () => {
    const h = startedWith({ deadlineSeconds: 600, pollSeconds: 1 });
    const first = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(2)).activityFailed(first, 'Kubernetes API 503', 'at AksDispatcher.dispatch');
    let r = await run(h);
    // The retry is the extension's: the orchestrator asks for nothing new, stays queued and does not fail.
    expect(r.newActions).toEqual([]);
    expect(r.isDone).toBe(false);
    expect(r.error).toBeUndefined();
    expect(r.customStatus).toEqual(status('queued', [['queued', 0]]));

    const wait = h.timerCreated(at(3)); // first retry interval: 1 s
    h.episode(at(3)).timerFired(wait);
    r = await run(h);
    expect(r.newActions).toEqual([]);
    expect(r.customStatus).toEqual(status('queued', [['queued', 0]]));

    const second = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(4)).activityCompleted(second, { handle: 'job-north-2', alreadyRunning: false });
    r = await run(h);
    expect(r.newActions).toEqual([timer(at(5))]);
    expect(r.customStatus).toEqual(status('dispatched', [['queued', 0], ['dispatched', 4]]));

    const poll = h.timerCreated(at(5));
    h.episode(at(5)).timerFired(poll);
    r = await run(h);
    // The handle of the attempt that succeeded.
    expect(r.newActions).toEqual([activity(TRAINING_STATUS_ACTIVITY, statusOf('job-north-2'), retry)]);

    const st = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-north-2'));
    h.episode(at(6)).activityCompleted(st, { state: 'succeeded' });
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, { ...request, handle: 'job-north-2', jobError: null }, retry)]);

    const res = h.activityScheduled(TRAINING_RESULT_ACTIVITY, { ...request, handle: 'job-north-2', jobError: null });
    h.episode(at(7)).activityCompleted(res, [{ store: 'north', status: 'succeeded' }]);
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual({ store: 'north', runId: 'refresh-north-1', status: 'succeeded', durationMs: 6000 });
    expect(r.customStatus).toEqual(status('done', [['queued', 0], ['dispatched', 4], ['publishing', 6], ['done', 7]]));
    expect(await run(h)).toEqual(r);
  });

  it('stops polling at its deadline (the last timer is cut to it), fails the store and keeps the reason in its status', async () => {
    // Deadline 5 s from the start of training (+1 s): +6 s. Polls every 2 s.
    const h = startedWith({ deadlineSeconds: 5, pollSeconds: 2 });
    const dispatch = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(2)).activityCompleted(dispatch, { handle: 'job-north', alreadyRunning: false });
    let r = await run(h);
    expect(r.newActions).toEqual([timer(at(4))]);

    const t1 = h.timerCreated(at(4));
    h.episode(at(4)).timerFired(t1);
    const s1 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-north'));
    h.episode(at(5)).activityCompleted(s1, { state: 'running' });
    r = await run(h);
    // +5 s + 2 s would pass the deadline: the timer fires at the deadline instead.
    expect(r.newActions).toEqual([timer(at(6))]);

    const t2 = h.timerCreated(at(6));
    h.episode(at(6)).timerFired(t2);
    const s2 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-north'));
    h.episode(at(6.5)).activityCompleted(s2, { state: 'running' });
    r = await run(h);
    // Past the deadline: no further poll; the job is handed to the result activity to be cancelled.
    const resultInput = { ...request, handle: 'job-north', jobError: 'deadline of 5 s exceeded' };
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, resultInput, retry)]);
    expect(r.customStatus).toEqual(status('training', [['queued', 0], ['dispatched', 2], ['training', 5]]));

    const res = h.activityScheduled(TRAINING_RESULT_ACTIVITY, resultInput);
    h.episode(at(7.5)).activityCompleted(res, [{ store: 'north', status: 'failed', error: 'deadline of 5 s exceeded' }]);
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual({ store: 'north', runId: 'refresh-north-1', status: 'failed', durationMs: 6500, error: 'deadline of 5 s exceeded' });
    // No "publishing" stage for a job that did not finish; the status carries the reason.
    expect(r.customStatus).toEqual(status('failed', [['queued', 0], ['dispatched', 2], ['training', 5], ['failed', 7.5]], { error: 'deadline of 5 s exceeded' }));
    expect(await run(h)).toEqual(r);
  });
});
