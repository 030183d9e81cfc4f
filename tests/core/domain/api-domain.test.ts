import { describe, expect, test } from 'vitest';
import { checkStores, formatUserKey, resolveScope, type AccessRepository, type UserKey } from '../../../core/domain/api-access.js';
import { decodePrincipal, encodePrincipal } from '../../../functions/http/principal.js';
import { apiErrorOf, type ApiError } from '../../../functions/http/errors.js';
import { parseIsoDay as isoDay } from '../../../engine/index.js';
import { forecastQuery, parseQuery } from '../../../functions/http/queries.js';
import { TokenBucketLimiter } from '../../../functions/http/rate-limit.js';
import { refreshRunId, runFromInstance, storeOfRunId } from '../../../core/domain/api-runs.js';
import { compareIds, freshnessView, sumBands } from '../../../core/domain/api-views.js';
import { negotiate } from '../../../functions/http/views.js';

/** Runs `fn`, rethrowing a domain refusal in the form the HTTP layer answers with. */
function asHttp(fn: () => unknown): () => unknown {
  return () => {
    try {
      return fn();
    } catch (error) {
      throw apiErrorOf(error) ?? error;
    }
  };
}

/** `users` by `provider/userId`; `asked` records every lookup (key and e-mail). */
const access = (users: Record<string, string[]>, stores: Record<string, string>, asked: { user: UserKey; email: string }[] = []): AccessRepository => ({
  userRegions: (user, email) => {
    asked.push({ user, email });
    return Promise.resolve(users[formatUserKey(user)] ?? []);
  },
  setUserRegions: (user, regions) => Promise.resolve({ user: typeof user === 'string' ? null : user, email: typeof user === 'string' ? user : null, regions: [...regions], boundAt: null }),
  storeRegions: () => Promise.resolve(new Map(Object.entries(stores))),
  setStoreRegion: () => Promise.resolve(),
  listUsers: () => Promise.resolve([]),
});

describe('principal and scope', () => {
  test('decodes the SWA header and refuses junk', () => {
    const p = { identityProvider: 'aad', userId: 'u', userDetails: 'a@b.c', userRoles: ['planner'] };
    expect(decodePrincipal(encodePrincipal(p))).toEqual(p);
    expect(decodePrincipal('%%%')).toBeUndefined();
    expect(decodePrincipal(Buffer.from('{"userId":""}').toString('base64'))).toBeUndefined();
    expect(decodePrincipal(undefined)).toBeUndefined();
  });

  test('planner: unknown store and other region alike 403, own region ok; unassigned stores are admin-only', async () => {
    const asked: { user: UserKey; email: string }[] = [];
    const repo = access({ 'aad/u': ['north'] }, { '1': 'north', '2': 'south' }, asked);
    const planner = await resolveScope(repo, { identityProvider: 'AAD', userId: 'u', userDetails: ' A@b.c', userRoles: ['planner'] }, ['1', '2', '3']);
    // Looked up by the stable id (provider lower-cased); the e-mail goes along only for an invitation.
    expect(asked).toEqual([{ user: { identityProvider: 'aad', userId: 'u' }, email: 'a@b.c' }]);
    expect(() => checkStores(planner, ['1'])).not.toThrow();
    // An unknown store is answered like another region's (issue 18 item 12): 403, same message shape.
    expect(asHttp(() => checkStores(planner, ['9']))).toThrow(expect.objectContaining({ status: 403, code: 'forbidden', message: 'You may not see store 9: it does not exist or is not yours to see.' }) as ApiError);
    expect(asHttp(() => checkStores(planner, ['2']))).toThrow(expect.objectContaining({ status: 403, code: 'forbidden', message: 'You may not see store 2: it does not exist or is not yours to see.' }) as ApiError);
    expect(planner.canSee('3')).toBe(false);
    const admin = await resolveScope(repo, { identityProvider: 'aad', userId: 'v', userDetails: 'x@y', userRoles: ['admin', 'planner'] }, ['1', '2', '3']);
    expect(admin.role).toBe('admin');
    expect(admin.canSee('3')).toBe(true);
  });

  test('regions follow the user id, not the e-mail', async () => {
    const repo = access({ 'aad/u-pat': ['north'] }, { '1': 'north' });
    const renamed = await resolveScope(repo, { identityProvider: 'aad', userId: 'u-pat', userDetails: 'patricia@b.c', userRoles: ['planner'] }, ['1']);
    expect(renamed.canSee('1')).toBe(true);
    const sameEmail = await resolveScope(repo, { identityProvider: 'aad', userId: 'u-other', userDetails: 'pat@b.c', userRoles: ['planner'] }, ['1']);
    expect(asHttp(() => checkStores(sameEmail, ['1']))).toThrow(expect.objectContaining({ status: 403 }) as ApiError);
    // SWA user ids are per provider: the same id from another provider is someone else.
    const otherProvider = await resolveScope(repo, { identityProvider: 'github', userId: 'u-pat', userDetails: 'pat@b.c', userRoles: ['planner'] }, ['1']);
    expect(otherProvider.regions).toEqual([]);
  });
});

describe('queries', () => {
  test('dates are real calendar days', () => {
    expect(isoDay('2017-02-28')).toBeDefined();
    expect(isoDay('2017-02-29')).toBeUndefined();
    expect(isoDay('2016-02-29')).toBeDefined();
  });

  test('lists are deduplicated, in order; ranges checked', () => {
    expect(parseQuery(forecastQuery, new URLSearchParams('stores=2,1,2&from=2017-01-01&to=2017-01-31')).stores).toEqual(['2', '1']);
    expect(() => parseQuery(forecastQuery, new URLSearchParams('stores=1&from=2017-01-02&to=2017-01-01'))).toThrow(/after "to"/);
    expect(() => parseQuery(forecastQuery, new URLSearchParams("stores=1') or (PartitionKey ne '"))).toThrow(/not a valid store id/);
  });
});

describe('views', () => {
  test('sumBands combines intervals as independent', () => {
    const s = sumBands([
      { firstDate: '2017-01-01', forecast: [10, 10], p10: [7, 7], p90: [14, 14] },
      { firstDate: '2017-01-02', forecast: [20], p10: [16], p90: [23] },
    ])!;
    expect(s.firstDate).toBe('2017-01-01');
    expect(s.forecast).toEqual([10, 30]);
    expect(s.p10[1]).toBeCloseTo(30 - 5, 6);
    expect(s.p90[1]).toBeCloseTo(30 + 5, 6);
  });

  test('ids sort numerically first', () => {
    expect(['10', 'b', '2', 'a', '1'].sort(compareIds)).toEqual(['1', '2', '10', 'a', 'b']);
  });

  test('content negotiation', () => {
    expect(negotiate(undefined)).toBe('json');
    expect(negotiate('text/csv')).toBe('csv');
    expect(negotiate('text/csv, */*;q=0.1')).toBe('csv');
    expect(negotiate('application/json;q=0.5, text/csv;q=0.9')).toBe('csv');
    expect(negotiate('*/*')).toBe('json');
    expect(negotiate('image/png')).toBeUndefined();
  });

  test('freshness: none, failed last run, too old', () => {
    const now = new Date('2017-07-06T12:00:00Z');
    expect(freshnessView(undefined, now)).toMatchObject({ currentRunId: null, stale: true });
    const current = { runId: 'r', generatedAt: '2017-07-06T05:00:00Z', modelVersion: 'v', firstDay: '2017-07-06', horizon: 28, items: 3, historyVersion: 'h', accuracy: { rmsse: null, smape: null } };
    const ok = freshnessView({ store: '1', stale: false, updatedAt: '', current }, now);
    expect(ok).toMatchObject({ stale: false, staleReason: null, origin: '2017-07-05', forecastTo: '2017-08-02' });
    const failed = freshnessView({ store: '1', stale: false, updatedAt: '', current, lastRun: { runId: 'x', status: 'failed', at: '', error: 'boom' } }, now);
    expect(failed.stale).toBe(true);
    expect(failed.staleReason).toMatch(/boom/);
    expect(freshnessView({ store: '1', stale: false, updatedAt: '', current }, new Date('2017-07-08T00:00:00Z')).staleReason).toMatch(/more than a day/);
  });
});

describe('runs and limits', () => {
  test('refresh run ids carry their store', () => {
    expect(storeOfRunId(refreshRunId('refresh-20170101T000000000Z-abcdef', 'TX_3.a'))).toBe('TX_3.a');
    expect(storeOfRunId('morning-2017-07-05')).toBeUndefined();
  });

  test('run view from a running instance', () => {
    const run = runFromInstance('refresh-x.1', '1', {
      runtimeStatus: 'Running',
      createdTime: '2017-07-06T05:00:00Z',
      lastUpdatedTime: '2017-07-06T05:00:03Z',
      input: { runId: 'refresh-x.1' },
      customStatus: { stage: 'training', runId: 'refresh-x.1', startedAt: '2017-07-06T05:00:00Z', stages: [{ stage: 'queued', at: '2017-07-06T05:00:00Z' }, { stage: 'dispatched', at: '2017-07-06T05:00:01Z' }, { stage: 'training', at: '2017-07-06T05:00:02Z' }] },
      output: null,
    });
    expect(run.status).toBe('training');
    expect(run.stages.map((s) => s.status)).toEqual(['done', 'done', 'running', 'pending']);
    expect(run.stages[0]!.durationMs).toBe(1000);
  });

  test('run view: a training job that finished between two polls shows training done, not skipped', () => {
    const run = runFromInstance('refresh-x.2', '1', {
      runtimeStatus: 'Completed',
      createdTime: '2017-07-06T05:00:00Z',
      lastUpdatedTime: '2017-07-06T05:00:03Z',
      input: { runId: 'refresh-x.2' },
      customStatus: { stage: 'done', runId: 'refresh-x.2', startedAt: '2017-07-06T05:00:00Z', stages: [{ stage: 'queued', at: '2017-07-06T05:00:00Z' }, { stage: 'dispatched', at: '2017-07-06T05:00:01Z' }, { stage: 'publishing', at: '2017-07-06T05:00:02Z' }, { stage: 'done', at: '2017-07-06T05:00:03Z' }] },
      output: null,
    });
    expect(run.status).toBe('done');
    expect(run.stages.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(run.stages[2]!.durationMs).toBeNull();
  });

  test('token bucket refills over time', () => {
    let t = 0;
    const l = new TokenBucketLimiter(2, 6, () => t);
    expect(l.take('u')).toBe(0);
    expect(l.take('u')).toBe(0);
    expect(l.take('u')).toBe(10);
    expect(l.take('v')).toBe(0);
    t = 10_000;
    expect(l.take('u')).toBe(0);
  });
});
