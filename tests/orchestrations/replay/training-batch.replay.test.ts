// Must come first: it installs the core API stand-in before the orchestrations register anything.
import { activity, HistoryBuilder, registeredOrchestratorHandler, replay, timer, type RetryPolicy } from '../../support/replay.js';
import { describe, expect, it } from 'vitest';
import { TRAINING_BATCH_ORCHESTRATION } from '../../../orchestrations/names.js';
import { TRAINING_DISPATCH_ACTIVITY, TRAINING_RESULT_ACTIVITY, TRAINING_STATUS_ACTIVITY, trainingBatchOrchestrator, type BatchTrainingInput } from '../../../orchestrations/training-batch.js';

const T0 = Date.parse('2024-05-01T05:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

const runId = 'morning-2024-05-01';
const input: BatchTrainingInput = { runId, stores: ['a', 'b', 'c'], trigger: 'morning', batch: 1, timeoutSeconds: 3600, pollSeconds: 30 };
const instanceId = `${runId}:b1`;
/** What dispatch and result get: the request without the orchestration's own timing settings. */
const request = { runId, stores: ['a', 'b', 'c'], trigger: 'morning', batch: 1 };
/** The status activity's input: the job's handle, with the run its span belongs to (and a one-store job's store). */
const statusOf = (handle: string, store?: string) => ({ handle, runId, trigger: 'morning', ...(store ? { store } : {}) });
const retry: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 4, backoffCoefficient: 2, maxRetryIntervalMs: 15_000 };
const stage = (s: string) => ({ stage: s, stores: 3, batch: 1, runId });

const start = (i: BatchTrainingInput = input) => new HistoryBuilder({ startedAt: at(0), input: i, name: TRAINING_BATCH_ORCHESTRATION });
const run = (h: HistoryBuilder, options: { freshHandler?: boolean } = {}) => replay(trainingBatchOrchestrator, h, { instanceId, parentInstanceId: runId, ...options });

describe('training batch (the morning run’s sub-orchestration), replayed without a host', () => {
  it('retries a failed dispatch, polls the job it got, and returns one result per store', async () => {
    const h = start();
    let r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_DISPATCH_ACTIVITY, request, retry)]);
    // Nothing to report before the job exists.
    expect(r.customStatus).toBeUndefined();

    // Attempt 1 fails; the extension waits the first retry interval (1 s) and schedules attempt 2.
    const attempt1 = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(1)).activityFailed(attempt1, 'Kubernetes API 503', 'at AksDispatcher.dispatch');
    r = await run(h);
    expect(r.newActions).toEqual([]);
    expect(r.isDone).toBe(false);
    expect(r.customStatus).toBeUndefined();
    const wait = h.timerCreated(at(2));
    h.episode(at(2)).timerFired(wait);
    r = await run(h);
    expect(r.newActions).toEqual([]);
    const attempt2 = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(3)).activityCompleted(attempt2, { handle: 'job-b1', alreadyRunning: false });
    r = await run(h);
    // First poll: pollSeconds after the dispatch answered.
    expect(r.newActions).toEqual([timer(at(33))]);
    expect(r.customStatus).toEqual(stage('dispatched'));

    const poll = h.timerCreated(at(33));
    h.episode(at(33)).timerFired(poll);
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_STATUS_ACTIVITY, statusOf('job-b1'), retry)]);

    const st = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-b1'));
    h.episode(at(34)).activityCompleted(st, { state: 'succeeded' });
    r = await run(h);
    const resultInput = { ...request, handle: 'job-b1', jobError: null };
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, resultInput, retry)]);
    // Never seen running: no "training" stage, straight to publishing.
    expect(r.customStatus).toEqual(stage('publishing'));

    const res = h.activityScheduled(TRAINING_RESULT_ACTIVITY, resultInput);
    h.episode(at(35)).activityCompleted(res, [
      { store: 'a', status: 'succeeded', trainingMs: 1000 },
      { store: 'b', status: 'failed', error: 'no sales in the last 28 days' },
      { store: 'c', status: 'succeeded' },
    ]);
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.newActions).toEqual([]);
    // durationMs is the batch's whole time (retry included), the same for every store of the job.
    expect(r.output).toEqual([
      { store: 'a', runId, status: 'succeeded', durationMs: 35_000, trainingMs: 1000 },
      { store: 'b', runId, status: 'failed', durationMs: 35_000, error: 'no sales in the last 28 days' },
      { store: 'c', runId, status: 'succeeded', durationMs: 35_000 },
    ]);
    // One store succeeding is enough for "done".
    expect(r.customStatus).toEqual(stage('done'));

    // Determinism: same history, same decisions, on the cached handler, a new one, and the registered one.
    expect(await run(h)).toEqual(r);
    expect(await run(h, { freshHandler: true })).toEqual(r);
    expect(await replay(trainingBatchOrchestrator, h, { instanceId, parentInstanceId: runId, handler: registeredOrchestratorHandler(TRAINING_BATCH_ORCHESTRATION) })).toEqual(r);
  });

  it('gives up after the retries are used up: no job, every store of the batch fails with the dispatch error', async () => {
    const h = start();
    // 4 attempts (1 s, 2 s, 4 s apart); after the last failure the extension's last retry timer fires and the task fails.
    let now = 0;
    for (const delay of [1, 2, 4, 8]) {
      const attempt = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
      now += 1;
      h.episode(at(now)).activityFailed(attempt, 'Kubernetes API 503', 'at AksDispatcher.dispatch');
      const r = await run(h);
      expect(r.newActions).toEqual([]);
      expect(r.isDone).toBe(false);
      const wait = h.timerCreated(at(now + delay));
      now += delay;
      h.episode(at(now)).timerFired(wait);
    }
    let r = await run(h);
    // The orchestrator catches the failure: no poll, straight to the result activity with no handle to cancel.
    const error = 'dispatch failed: Kubernetes API 503 \n at AksDispatcher.dispatch';
    const resultInput = { ...request, handle: null, jobError: error };
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, resultInput, retry)]);
    expect(r.error).toBeUndefined();
    expect(r.customStatus).toBeUndefined();

    const res = h.activityScheduled(TRAINING_RESULT_ACTIVITY, resultInput);
    h.episode(at(now + 1)).activityCompleted(res, ['a', 'b', 'c'].map((store) => ({ store, status: 'failed', error })));
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual(['a', 'b', 'c'].map((store) => ({ store, runId, status: 'failed', durationMs: (now + 1) * 1000, error })));
    expect(r.customStatus).toEqual(stage('failed'));
    // Only the dispatch (once: its attempts are the extension's) and the result were ever asked for.
    expect(r.actions).toEqual([activity(TRAINING_DISPATCH_ACTIVITY, request, retry), activity(TRAINING_RESULT_ACTIVITY, resultInput, retry)]);
  });

  it('keeps polling through a control-plane outage longer than the status retries, and the job that published succeeds', async () => {
    const h = start();
    const dispatch = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, request);
    h.episode(at(1)).activityCompleted(dispatch, { handle: 'job-b1', alreadyRunning: false });
    const firstPoll = h.timerCreated(at(31));
    h.episode(at(31)).timerFired(firstPoll);
    // Every attempt of the status read fails (the API server is down for longer than 1 + 2 + 4 + 8 s).
    let now = 31;
    for (const delay of [1, 2, 4, 8]) {
      const attempt = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-b1'));
      now += 1;
      h.episode(at(now)).activityFailed(attempt, 'kubernetes API: read job timed out after 15000 ms', 'at AksDispatcher.call');
      const wait = h.timerCreated(at(now + delay));
      now += delay;
      h.episode(at(now)).timerFired(wait);
    }
    let r = await run(h);
    // No result with a job error (which would cancel a job that may be publishing): the next poll instead.
    expect(r.newActions).toEqual([timer(at(now + 30))]);
    expect(r.isDone).toBe(false);
    const nextPoll = h.timerCreated(at(now + 30));
    h.episode(at(now + 30)).timerFired(nextPoll);
    const st = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-b1'));
    h.episode(at(now + 31)).activityCompleted(st, { state: 'succeeded' });
    r = await run(h);
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, { ...request, handle: 'job-b1', jobError: null }, retry)]);
    expect(r.customStatus).toEqual(stage('publishing'));
  });

  it('dispatches again when the backend lost the job, and marks stores of a joined job as already running', async () => {
    const solo: BatchTrainingInput = { runId, stores: ['solo'], trigger: 'morning', timeoutSeconds: 600, pollSeconds: 30 };
    const soloRequest = { runId, stores: ['solo'], trigger: 'morning' };
    const soloStage = (s: string) => ({ stage: s, stores: 1, batch: null, runId });
    const h = start(solo);
    const d1 = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, soloRequest);
    h.episode(at(1)).activityCompleted(d1, { handle: 'job-solo', alreadyRunning: false });
    const t1 = h.timerCreated(at(31));
    h.episode(at(31)).timerFired(t1);
    const s1 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-solo', 'solo'));
    h.episode(at(32)).activityCompleted(s1, { state: 'unknown', reason: 'Job not found' });
    let r = await run(h);
    // A lone store's batch has no batch index, in the request or in the status.
    expect(r.newActions).toEqual([activity(TRAINING_DISPATCH_ACTIVITY, soloRequest, retry)]);
    expect(r.customStatus).toEqual(soloStage('dispatched'));

    const d2 = h.activityScheduled(TRAINING_DISPATCH_ACTIVITY, soloRequest);
    h.episode(at(33)).activityCompleted(d2, { handle: 'job-solo-2', alreadyRunning: true });
    r = await run(h);
    expect(r.newActions).toEqual([timer(at(63))]);

    const t2 = h.timerCreated(at(63));
    h.episode(at(63)).timerFired(t2);
    const s2 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-solo-2', 'solo'));
    h.episode(at(64)).activityCompleted(s2, { state: 'running' });
    r = await run(h);
    expect(r.newActions).toEqual([timer(at(94))]);
    expect(r.customStatus).toEqual(soloStage('training'));

    const t3 = h.timerCreated(at(94));
    h.episode(at(94)).timerFired(t3);
    const s3 = h.activityScheduled(TRAINING_STATUS_ACTIVITY, statusOf('job-solo-2', 'solo'));
    h.episode(at(95)).activityCompleted(s3, { state: 'succeeded' });
    r = await run(h);
    const resultInput = { ...soloRequest, handle: 'job-solo-2', jobError: null };
    expect(r.newActions).toEqual([activity(TRAINING_RESULT_ACTIVITY, resultInput, retry)]);

    const res = h.activityScheduled(TRAINING_RESULT_ACTIVITY, resultInput);
    h.episode(at(96)).activityCompleted(res, [{ store: 'solo', status: 'succeeded', trainingMs: 50_000 }]);
    r = await run(h);
    expect(r.isDone).toBe(true);
    expect(r.output).toEqual([{ store: 'solo', runId, status: 'succeeded', durationMs: 96_000, trainingMs: 50_000, alreadyRunning: true }]);
    expect(r.customStatus).toEqual(soloStage('done'));
    expect(await run(h)).toEqual(r);
  });
});
