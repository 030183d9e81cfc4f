import { describe, expect, test } from 'vitest';
import { startOrJoinRefresh } from '../../../core/domain/refresh-start.js';
import type { RateLimiter } from '../../../core/ports/rate-limiter.js';
import type { RefreshInstances } from '../../../core/ports/refresh-instances.js';

/** A bucket of `tokens` (no refill) that counts what is given back. */
function bucket(tokens: number): RateLimiter & { given: number } {
  const b = {
    given: 0,
    take: () => Promise.resolve(tokens > 0 ? (tokens--, 0) : 30),
    giveBack: () => {
      b.given++;
      tokens++;
      return Promise.resolve();
    },
  };
  return b;
}

const noSleep = (): Promise<void> => Promise.resolve();

describe('start or join a refresh (issue 18 item 16)', () => {
  test('refused a token, the caller looks again and joins the refresh a concurrent request started', async () => {
    let looks = 0;
    const instances: RefreshInstances = {
      // Nothing running at the first two looks; then the other request's start shows.
      running: () => Promise.resolve(++looks > 2 ? { runId: 'refresh-x.7', status: 'queued' as const } : undefined),
      start: () => Promise.reject(new Error('must not start')),
    };
    expect(await startOrJoinRefresh({ instances, limiter: bucket(0), sleep: noSleep }, 'u', '7', () => 'refresh-y.7')).toEqual({ kind: 'joined', runId: 'refresh-x.7', status: 'queued' });
  });

  test('refused, and nothing to join within the window: rate limited', async () => {
    let looks = 0;
    const instances: RefreshInstances = { running: () => (looks++, Promise.resolve(undefined)), start: () => Promise.reject(new Error('must not start')) };
    expect(await startOrJoinRefresh({ instances, limiter: bucket(0), sleep: noSleep, joinWindowMs: 500 }, 'u', '7', () => 'r')).toEqual({ kind: 'rate_limited', retryAfterSeconds: 30 });
    expect(looks).toBe(1 + 5);
  });

  test('a start lost to another request joins it and gives the token back', async () => {
    let started = false;
    const instances: RefreshInstances = {
      running: () => Promise.resolve(started ? { runId: 'refresh-x.7', status: 'training' as const } : undefined),
      start: () => {
        started = true; // someone else's start won the instance id
        return Promise.resolve(false);
      },
    };
    const limiter = bucket(1);
    expect(await startOrJoinRefresh({ instances, limiter, sleep: noSleep }, 'u', '7', () => 'refresh-y.7')).toMatchObject({ kind: 'joined', runId: 'refresh-x.7' });
    expect(limiter.given).toBe(1);
  });
});
