import { describe, expect, it } from 'vitest';
import type { Run } from '../../static-web/src/api';
import { ApiError } from '../../static-web/src/api';
import { followRun, refreshStartMessage, refreshStore } from '../../static-web/src/refresh';
import { FakeApi, run, store } from './fixtures';

const noSleep = (): Promise<void> => Promise.resolve();

function hooks() {
  const seen: string[] = [];
  let failure: string | undefined;
  return {
    seen,
    failure: () => failure,
    hooks: {
      onRun: (id: string, joined: boolean) => void seen.push(`run ${id} joined=${joined}`),
      onProgress: (r: Run) => void seen.push(r.status),
      onDone: () => void seen.push('DONE'),
      onFailed: (message: string) => {
        failure = message;
        seen.push('FAILED');
      },
    },
  };
}

describe('refresh', () => {
  it('starts a refresh and follows it through the stages to done', async () => {
    const api = new FakeApi({ stores: [store('1')] });
    const h = hooks();
    await refreshStore(api, '1', 'Store 1', h.hooks, { sleep: noSleep });
    expect(h.seen).toEqual(['run refresh-1-1 joined=false', 'queued', 'training', 'publishing', 'done', 'DONE']);
    expect(api.calls.filter((c) => c.startsWith('run'))).toEqual(Array(4).fill('run /api/runs/refresh-1-1'));
  });

  it('reports a failed run with its reason', async () => {
    const api = new FakeApi({ stores: [store('1')] });
    api.runScript = [run('training'), run('failed', { error: { code: 'training_failed', message: 'The training job ran out of memory.', stage: 'training' } })];
    const h = hooks();
    await refreshStore(api, '1', 'Store 1', h.hooks, { sleep: noSleep });
    expect(h.seen.slice(-2)).toEqual(['failed', 'FAILED']);
    expect(h.failure()).toBe('The training job ran out of memory.');
  });

  it('says why a refresh could not start', async () => {
    const api = new FakeApi({ stores: [store('1')] });
    api.failRefresh = new ApiError(429, 'rate_limited', 'Too many.', undefined, 90);
    const h = hooks();
    await refreshStore(api, '1', 'Store 1', h.hooks, { sleep: noSleep });
    expect(h.failure()).toBe('You have started too many refreshes in a short time. Try again in 1 min 30 s.');
    expect(refreshStartMessage(new ApiError(403, 'forbidden', 'Store 1 is in another region.'), 'Store 1')).toBe('You are not allowed to refresh Store 1. Store 1 is in another region.');
    expect(refreshStartMessage(new ApiError(500, 'internal', 'Oops.'), 'Store 1')).toBe('The refresh of Store 1 could not start: Oops.');
  });

  it('rides out a few failed polls, then gives up with a message', async () => {
    const api = new FakeApi({ stores: [store('1')] });
    let failures = 2;
    const original = api.run.bind(api);
    api.run = (id: string) => (failures-- > 0 ? Promise.reject(new ApiError(0, 'network', 'offline')) : original(id));
    const h = hooks();
    await followRun(api, 'refresh-1-1', h.hooks, { sleep: noSleep });
    expect(h.seen.at(-1)).toBe('DONE');

    api.run = () => Promise.reject(new ApiError(503, 'unavailable', 'down'));
    const h2 = hooks();
    await followRun(api, 'refresh-1-1', h2.hooks, { sleep: noSleep, maxPollErrors: 3 });
    expect(h2.failure()).toMatch(/^Lost contact with the refresh \(down\)/);
  });

  it('stops quietly when aborted', async () => {
    const api = new FakeApi({ stores: [store('1')] });
    const controller = new AbortController();
    controller.abort();
    const h = hooks();
    await followRun(api, 'r', h.hooks, { sleep: noSleep, signal: controller.signal });
    expect(h.seen).toEqual([]);
  });
});
