/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- response bodies are untyped JSON here; their shape is checked against docs/openapi.yaml by the last test */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadOpenApi, readRecorded, type RecordedResponse } from '../support/openapi.js';
import { as, asApp, SAME_SITE, STANDIN_REFRESH, startApiFixture, USERS, type ApiFixture } from './harness.js';
import type { Principal } from '../../core/domain/api-access.js';
import { refreshInstanceId } from '../../orchestrations/names.js';

let fx: ApiFixture;

const recorded: RecordedResponse[] = [];

const TRUSTED_APP = '0a1b2c3d-0000-4000-8000-00000000d3b1';
const OTHER_APP = '9f8e7d6c-0000-4000-8000-0000000000aa';

async function call(method: string, template: string, url: string, user?: Principal | { app: string }, headers: Record<string, string> = {}) {
  // State-changing requests carry what the dashboard sends (the cross-site tests below send their own).
  const all = method === 'GET' ? headers : { ...SAME_SITE, ...headers };
  const res = await fetch(`${fx.host.url}/api${url}`, { method, headers: user !== undefined && 'app' in user ? asApp(user.app, all) : as(user, all) });
  return readRecorded(recorded, template, method, res);
}
const get = (template: string, url: string, user?: Principal | { app: string }, headers?: Record<string, string>) => call('GET', template, url, user, headers);

beforeAll(async () => {
  fx = await startApiFixture({ extraModules: [STANDIN_REFRESH], env: { FOREACT_REFRESH_BURST: '4', FOREACT_REFRESH_PER_MINUTE: '1', FOREACT_TRUSTED_APP_IDS: TRUSTED_APP, FOREACT_OPERATOR_STORES: '3,nosuchstore' } });
});
afterAll(async () => {
  await fx?.stop();
});

describe('health and me', () => {
  test('health is anonymous and checks storage', async () => {
    const r = await get('/health', '/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.checks.storage.status).toBe('ok');
  });

  test('me: 401 without principal, 401 undecodable, planner sees own regions', async () => {
    expect((await get('/me', '/me')).status).toBe(401);
    const bad = await fetch(`${fx.host.url}/api/me`, { headers: { 'x-ms-client-principal': 'not base64 json!' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const p = await get('/me', '/me', USERS.planner);
    expect(p.body).toMatchObject({ role: 'planner', regions: ['north'], stores: ['1', '2', '4'] });
    const n = await get('/me', '/me', USERS.nobody);
    expect(n.body).toMatchObject({ role: null, stores: [] });
    const a = await get('/me', '/me', USERS.admin);
    expect(a.body.stores).toHaveLength(14);
  });
});

describe('GET /stores', () => {
  test('auth cases', async () => {
    expect((await get('/stores', '/stores')).status).toBe(401);
    const n = await get('/stores', '/stores', USERS.nobody);
    expect(n.status).toBe(403);
    expect(n.body.error.code).toBe('forbidden');
  });

  test('planner sees their region with freshness; admin sees all', async () => {
    const p = await get('/stores', '/stores', USERS.planner);
    expect(p.status).toBe(200);
    expect(p.body.stores.map((s: { store: string }) => s.store)).toEqual(['1', '2', '4']);
    const s1 = p.body.stores[0];
    expect(s1).toMatchObject({ region: 'north', itemCount: 3, activeRun: null });
    expect(s1.freshness.currentRunId).toBe('morning-20170705T050000000Z-aaaaaa');
    expect(s1.freshness.stale).toBe(false);
    expect(s1.accuracy).toMatchObject({ rmsse: 0.8, smape: 22.5 });
    const s4 = p.body.stores[2];
    expect(s4.freshness).toMatchObject({ currentRunId: null, stale: true });
    expect(typeof s4.freshness.staleReason).toBe('string');
    const a = await get('/stores', '/stores', USERS.admin);
    expect(a.body.stores.map((s: { store: string }) => s.store)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14']);
  });
});

describe('GET /forecasts', () => {
  test('planner, own store: items, total, history, freshness', async () => {
    const r = await get('/forecasts', '/forecasts?stores=1', USERS.planner);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-foreact-runs')).toBe('1=morning-20170705T050000000Z-aaaaaa');
    const s = r.body.stores[0];
    expect(s.items.map((i: { item: string }) => i.item)).toEqual(['1', '2', '3']);
    expect(s.items[0].forecast).toHaveLength(28);
    expect(s.history.sales).toHaveLength(56);
    expect(s.freshness.forecastFrom).toBe(s.items[0].firstDate);
    expect(s.total.forecast[0]).toBeCloseTo(s.items.reduce((a: number, i: { forecast: number[] }) => a + i.forecast[0]!, 0), 2);
  });

  test('filters: items and date range clip the series', async () => {
    const r = await get('/forecasts', `/forecasts?stores=2&items=2,4,99&from=2017-07-08&to=2017-07-10&historyDays=0`, USERS.planner);
    expect(r.status).toBe(200);
    const s = r.body.stores[0];
    expect(s.history).toBeNull();
    expect(s.items).toEqual([
      { item: '2', firstDate: '2017-07-08', forecast: [22, 23, 24], p10: [20, 21, 22], p90: [26, 27, 28] },
      { item: '4', firstDate: '2017-07-08', forecast: [42, 43, 44], p10: [38, 39, 40], p90: [50, 51, 52] },
    ]);
    expect(r.body).toMatchObject({ from: '2017-07-08', to: '2017-07-10' });
  });

  test('a range that misses the forecast gives empty items', async () => {
    const r = await get('/forecasts', '/forecasts?stores=2&from=2018-01-01&to=2018-01-31', USERS.admin);
    expect(r.status).toBe(200);
    expect(r.body.stores[0].items).toEqual([]);
    expect(r.body.stores[0].total).toBeNull();
  });

  test('auth: none 401, other region 403, admin any store, no role 403', async () => {
    expect((await get('/forecasts', '/forecasts?stores=3')).status).toBe(401);
    const f = await get('/forecasts', '/forecasts?stores=1,3', USERS.planner);
    expect(f.status).toBe(403);
    expect(f.body.error.details.stores).toEqual(['3']);
    expect((await get('/forecasts', '/forecasts?stores=3', USERS.admin)).status).toBe(200);
    expect((await get('/forecasts', '/forecasts?stores=1', USERS.nobody)).status).toBe(403);
  });

  const bad: [string, RegExp][] = [
    ['', /"stores" is required/],
    ['stores=', /comma-separated list/],
    ['stores=1,,2', /comma-separated list/],
    ["stores=1'%20or%20PartitionKey%20ne%20'", /not a valid store id/],
    [`stores=${Array.from({ length: 51 }, (_, i) => i + 1).join(',')}`, /at most 50 stores/],
    ['stores=1&from=07/01/2017', /"from" must be a date like 2017-07-01/],
    ['stores=1&from=2017-02-30', /"from" must be a date/],
    ['stores=1&from=2017-08-01&to=2017-07-01', /"from" \(2017-08-01\) is after "to"/],
    ['stores=1&from=2017-01-01&to=2018-06-01', /at most 366/],
    ['stores=1&historyDays=abc', /historyDays/],
    ['stores=1&historyDays=400', /historyDays/],
    [`stores=1&items=${Array.from({ length: 501 }, (_, i) => i + 1).join(',')}`, /at most 500 items/],
    ['stores=1&stores=2', /given more than once/],
    ['stores=1&sort=asc', /unknown parameter "sort"/],
  ];
  test.each(bad)('bad input %s → 400', async (query, message) => {
    const r = await get('/forecasts', `/forecasts?${query}`, USERS.admin);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(message);
    expect(r.text).not.toMatch(/at .*\.ts:\d+/);
  });

  test('406 when neither JSON nor CSV is acceptable', async () => {
    const r = await get('/forecasts', '/forecasts?stores=1', USERS.admin, { accept: 'image/png' });
    expect(r.status).toBe(406);
  });

  test('CSV export parses back to the same numbers as JSON', async () => {
    const j = await get('/forecasts', '/forecasts?stores=1,2&from=2017-07-07', USERS.planner);
    const c = await get('/forecasts', '/forecasts?stores=1,2&from=2017-07-07', USERS.planner, { accept: 'text/csv' });
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = c.text.trim().split('\n');
    // The batch CLI's columns first, then what is known about the day (issue 12): closed, promotion, events.
    expect(lines[0]).toBe('date,store,item,forecast,p10,p90,closed,promotion,events,adjusted');
    const fromCsv = new Map<string, number[]>();
    for (const line of lines.slice(1)) {
      const [date, store, item, f, lo, hi] = line.split(',');
      fromCsv.set(`${store}|${item}|${date}`, [Number(f), Number(lo), Number(hi)]);
    }
    let n = 0;
    for (const s of j.body.stores as { store: string; items: { item: string; firstDate: string; forecast: number[]; p10: number[]; p90: number[] }[] }[]) {
      for (const it of s.items) {
        const start = Date.parse(`${it.firstDate}T00:00:00Z`);
        it.forecast.forEach((v, d) => {
          const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
          expect(fromCsv.get(`${s.store}|${it.item}|${date}`)).toEqual([v, it.p10[d], it.p90[d]]);
          n++;
        });
      }
    }
    expect(n).toBe(lines.length - 1);
    expect(c.headers.get('x-foreact-runs')).toContain('2=morning-20170705T050000000Z-222');
  });
});

describe('GET /transport', () => {
  test('units per store and day with combined intervals, and totals', async () => {
    const r = await get('/transport', '/transport?stores=2,3&from=2017-07-06&to=2017-07-07', USERS.admin);
    expect(r.status).toBe(200);
    const [s2, s3] = r.body.stores;
    expect(s2.units).toEqual([100, 104]);
    expect(s2.p10[0]).toBeCloseTo(100 - Math.sqrt(1 + 4 + 9 + 16), 2);
    expect(s2.p90[0]).toBeCloseTo(100 + Math.sqrt(4 + 16 + 36 + 64), 2);
    expect(s3.units).toEqual([30, 32]);
    expect(r.body.totals.units).toEqual([130, 136]);
    expect(r.body.totals.firstDate).toBe('2017-07-06');
  });

  test('CSV, auth and bad input', async () => {
    const c = await get('/transport', '/transport?stores=2&to=2017-07-07', USERS.planner, { accept: 'text/csv' });
    // The older columns first, as before; then the level and unit asked for (defaults p50, units) and the value there.
    expect(c.text).toMatch(/^date,store,units,p10,p90,closed,level,unit,value,adjusted,unconverted_units,over_limit\n2017-07-06,2,100,94\.523,110\.954,0,p50,units,\d+(\.\d+)?,,,0\n2017-07-07,2,104,98\.523,114\.954,0,p50,units,\d+(\.\d+)?,,,0\n$/);
    expect((await get('/transport', '/transport?stores=3', USERS.planner)).status).toBe(403);
    expect((await get('/transport', '/transport?stores=3')).status).toBe(401);
    const b = await get('/transport', '/transport?stores=2&items=1', USERS.admin);
    expect(b.status).toBe(400);
    expect(b.body.error.message).toMatch(/unknown parameter "items"/);
  });
});

describe('refresh and runs', () => {
  test('auth and bad input', async () => {
    expect((await call('POST', '/stores/{store}/refresh', '/stores/1/refresh')).status).toBe(401);
    expect((await call('POST', '/stores/{store}/refresh', '/stores/3/refresh', USERS.planner)).status).toBe(403);
    expect((await call('POST', '/stores/{store}/refresh', '/stores/99/refresh', USERS.admin)).status).toBe(403);
    const b = await call('POST', '/stores/{store}/refresh', `/stores/${encodeURIComponent("1'or'1")}/refresh`, USERS.admin);
    expect(b.status).toBe(400);
    expect((await get('/runs/{id}', '/runs/bad%20id', USERS.admin)).status).toBe(400);
    expect((await get('/runs/{id}', '/runs/refresh-20170101T000000000Z-abcdef.1', USERS.planner)).status).toBe(404);
    expect((await get('/runs/{id}', '/runs/refresh-20170101T000000000Z-abcdef.3', USERS.planner)).status).toBe(403);
    expect((await get('/runs/{id}', '/runs/morning-2017-07-05', USERS.planner)).status).toBe(403);
    expect((await get('/runs/{id}', '/runs/morning-2017-07-05', USERS.admin)).status).toBe(404);
  });

  test("a scheduled run's record shows its pooled step (version and what it learned from, or why there was none)", async () => {
    const pooled = { version: 'morning-2017-07-06', durationMs: 41_000, stepMs: 55_000, stores: 4, series: 12, groups: 1, rows: 4380 };
    const at = '2017-07-06T05:10:00.000Z';
    await fx.storage.runs.put({ runId: 'morning-2017-07-06', store: undefined, trigger: 'morning', status: 'succeeded', stage: 'done', progress: 1, stages: [], createdAt: at, startedAt: at, finishedAt: at, details: { succeeded: 4, pooled } });
    const run = await get('/runs/{id}', '/runs/morning-2017-07-06', USERS.admin);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ kind: 'scheduled', status: 'done', pooled });
    const failed = { error: 'deadline of 1800 s exceeded', stepMs: 1_800_000 };
    await fx.storage.runs.put({ runId: 'morning-2017-07-07', store: undefined, trigger: 'morning', status: 'succeeded', stage: 'done', progress: 1, stages: [], createdAt: at, startedAt: at, finishedAt: at, details: { succeeded: 4, pooled: failed } });
    expect((await get('/runs/{id}', '/runs/morning-2017-07-07', USERS.admin)).body.pooled).toEqual(failed);
  });

  test('a refresh started twice gives one run; the run can be followed to done', async () => {
    const [a, b] = await Promise.all([
      call('POST', '/stores/{store}/refresh', '/stores/2/refresh', USERS.planner),
      call('POST', '/stores/{store}/refresh', '/stores/2/refresh', USERS.planner),
    ]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.runId).toBe(b.body.runId);
    expect([a.body.joined, b.body.joined].sort()).toEqual([false, true]);
    expect(a.headers.get('location')).toBe(a.body.statusUrl);
    const runId = a.body.runId as string;
    const again = await call('POST', '/stores/{store}/refresh', '/stores/2/refresh', USERS.planner);
    expect(again.body).toMatchObject({ runId, joined: true });

    let run = await get('/runs/{id}', `/runs/${encodeURIComponent(runId)}`, USERS.planner);
    for (let i = 0; i < 50 && run.body.status !== 'training'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = await get('/runs/{id}', `/runs/${encodeURIComponent(runId)}`, USERS.planner);
    }
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ runId, kind: 'refresh', stores: ['2'], status: 'training', error: null });
    const stores = await get('/stores', '/stores', USERS.planner);
    expect(stores.body.stores[1].activeRun).toMatchObject({ runId, status: 'training' });

    await fx.host.durable.raiseEvent(refreshInstanceId('2'), 'finish', {});
    await fx.host.durable.waitForInstance(refreshInstanceId('2'), 10_000);
    run = await get('/runs/{id}', `/runs/${encodeURIComponent(runId)}`, USERS.planner);
    expect(run.body.status).toBe('done');
    expect(run.body.finishedAt).not.toBeNull();
    expect(run.body.progress.fraction).toBe(1);
  });

  test('a failed refresh reports its error', async () => {
    const r = await call('POST', '/stores/{store}/refresh', '/stores/3/refresh', USERS.admin);
    expect(r.body.joined).toBe(false);
    await new Promise((res) => setTimeout(res, 300));
    await fx.host.durable.raiseEvent(refreshInstanceId('3'), 'finish', { fail: 'training job ran out of memory' });
    await fx.host.durable.waitForInstance(refreshInstanceId('3'), 10_000);
    const run = await get('/runs/{id}', `/runs/${encodeURIComponent(r.body.runId as string)}`, USERS.admin);
    expect(run.body.status).toBe('failed');
    expect(run.body.error.message).toBe('training job ran out of memory');
  });

  test('refreshes are rate-limited per user (429 with Retry-After); joining a running refresh is free', async () => {
    // The planner started one refresh above (store 2); the joins cost nothing. Burst 4: three more starts.
    expect((await call('POST', '/stores/{store}/refresh', '/stores/1/refresh', USERS.planner)).body.joined).toBe(false);
    for (let i = 0; i < 3; i++) expect((await call('POST', '/stores/{store}/refresh', '/stores/1/refresh', USERS.planner)).body.joined).toBe(true);
    expect((await call('POST', '/stores/{store}/refresh', '/stores/4/refresh', USERS.planner)).body.joined).toBe(false);
    expect((await call('POST', '/stores/{store}/refresh', '/stores/2/refresh', USERS.planner)).body.joined).toBe(false);
    await fx.host.durable.raiseEvent(refreshInstanceId('2'), 'finish', {});
    await fx.host.durable.waitForInstance(refreshInstanceId('2'), 10_000);
    // A fifth start is refused; joining store 1's running refresh still works.
    const r = await call('POST', '/stores/{store}/refresh', '/stores/2/refresh', USERS.planner);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.body.error.code).toBe('rate_limited');
    expect((await call('POST', '/stores/{store}/refresh', '/stores/1/refresh', USERS.planner)).status).toBe(202);
    await fx.host.durable.raiseEvent(refreshInstanceId('1'), 'finish', {});
    await fx.host.durable.raiseEvent(refreshInstanceId('4'), 'finish', {});
  });
});

describe('store enumeration (issue 18 item 12): an unknown store and another region\'s are answered alike', () => {
  // Store 3 exists (south); 98 does not. The planner sees north only.
  const routes: [string, string, (store: string) => string][] = [
    ['GET', '/forecasts', (s) => `/forecasts?stores=${s}`],
    ['GET', '/forecasts', (s) => `/forecasts?stores=1,${s}`],
    ['GET', '/transport', (s) => `/transport?stores=${s}`],
    ['POST', '/stores/{store}/refresh', (s) => `/stores/${s}/refresh`],
    ['POST', '/stores/{store}/check-run', (s) => `/stores/${s}/check-run`],
    ['GET', '/runs/{id}', (s) => `/runs/refresh-20170101T000000000Z-abcdef.${s}`],
  ];
  test.each(routes)('%s %s: same status and body', async (method, template, url) => {
    const other = await call(method, template, url('3'), USERS.planner);
    const unknown = await call(method, template, url('98'), USERS.planner);
    expect(other.status).toBe(403);
    expect(unknown.status).toBe(other.status);
    expect(unknown.text.replaceAll('98', 'ID')).toBe(other.text.replaceAll('3', 'ID'));
    expect(other.body.error.message).not.toMatch(/unknown|region/i);
  });

  test('admins: an unknown store is refused like any store nobody may see', async () => {
    const r = await get('/forecasts', '/forecasts?stores=98', USERS.admin);
    expect(r.status).toBe(403);
    expect(r.body.error.details.stores).toEqual(['98']);
  });
});

describe('app-only callers (issue 18 item 7)', () => {
  const other = { app: OTHER_APP };
  const trusted = { app: TRUSTED_APP };

  test('an app not in FOREACT_TRUSTED_APP_IDS is refused everywhere', async () => {
    for (const [method, template, url] of [['GET', '/me', '/me'], ['GET', '/stores', '/stores'], ['GET', '/forecasts', '/forecasts?stores=3'], ['GET', '/runs/{id}', '/runs/morning-2017-07-05'], ['POST', '/stores/{store}/refresh', '/stores/3/refresh'], ['POST', '/stores/{store}/check-run', '/stores/3/check-run']] as const) {
      const r = await call(method, template, url, other);
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.error.message).toMatch(/FOREACT_TRUSTED_APP_IDS/);
    }
  });

  test('a trusted app is an operator: its stores only, never an admin', async () => {
    const me = await get('/me', '/me', trusted);
    expect(me.body).toMatchObject({ role: 'operator', stores: ['3'], identityProvider: 'aad-app' });
    const stores = await get('/stores', '/stores', trusted);
    expect(stores.body.stores.map((s: { store: string }) => s.store)).toEqual(['3']);
    expect((await get('/forecasts', '/forecasts?stores=3', trusted)).status).toBe(200);
    expect((await get('/transport', '/transport?stores=3', trusted)).status).toBe(200);
    for (const s of ['1', '2', '98']) {
      expect((await get('/forecasts', `/forecasts?stores=${s}`, trusted)).status, s).toBe(403);
      expect((await call('POST', '/stores/{store}/refresh', `/stores/${s}/refresh`, trusted)).status, s).toBe(403);
      expect((await call('POST', '/stores/{store}/check-run', `/stores/${s}/check-run`, trusted)).status, s).toBe(403);
    }
  });

  test("an operator reads any run's status, like the deploy gate reads the day's morning run; a planner does not", async () => {
    await fx.storage.runs.put({ runId: 'morning-2017-07-05', trigger: 'morning', status: 'succeeded', stage: 'done', progress: 1, stages: [], createdAt: '2017-07-05T05:00:00.000Z', finishedAt: '2017-07-05T05:30:00.000Z' });
    const r = await get('/runs/{id}', '/runs/morning-2017-07-05', trusted);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ runId: 'morning-2017-07-05', kind: 'scheduled', status: 'done' });
    expect((await get('/runs/{id}', '/runs/morning-2017-07-05', USERS.planner)).status).toBe(403);
    expect((await get('/runs/{id}', '/runs/check-20170101T000000000Z-abcdef.3', USERS.planner)).status).toBe(403);
    expect((await get('/runs/{id}', '/runs/check-20170101T000000000Z-abcdef.3', trusted)).status).toBe(404);
  });

  test('check runs: planners may not start one, even on their own store', async () => {
    const r = await call('POST', '/stores/{store}/check-run', '/stores/1/check-run', USERS.planner);
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/admins and operators/);
  });
});

describe('cross-site requests (issue 18 item 13)', () => {
  const post = (headers: Record<string, string>) => call('POST', '/stores/{store}/refresh', '/stores/5/refresh', USERS.admin, { 'x-requested-with': '', ...headers });

  test('a foreign Origin is refused with 403 even with the header; without an Origin the header is required', async () => {
    const foreign = await post({ origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/Origin/);
    // The dashboard's header does not launder another site's page: a browser names the page's site in Origin.
    const foreignMarked = await post({ origin: 'https://evil.example', 'x-requested-with': 'foreact' });
    expect(foreignMarked.status).toBe(403);
    expect(foreignMarked.body.error.message).toMatch(/Origin "https:\/\/evil\.example" is not this app's/);
    // Same host, other port or scheme: another origin.
    const { hostname, port } = new URL(fx.host.url);
    expect((await post({ origin: `http://${hostname}:${Number(port) + 1}`, 'x-requested-with': 'foreact' })).status).toBe(403);
    expect((await post({ origin: `https://${hostname}:${port}`, 'x-requested-with': 'foreact' })).status).toBe(403);
    // A sandboxed frame or a cross-site redirect sends "null".
    expect((await post({ origin: 'null', 'x-requested-with': 'foreact' })).status).toBe(403);
    const bare = await post({});
    expect(bare.status).toBe(403);
    expect(bare.body.error.message).toMatch(/X-Requested-With: foreact/);
    // Refused before the caller or the store is even looked at: no principal still gets 403, not 401.
    expect((await call('POST', '/stores/{store}/refresh', '/stores/5/refresh', undefined, { 'x-requested-with': '' })).status).toBe(403);
    expect((await call('POST', '/stores/{store}/refresh', '/stores/5/refresh', undefined, { origin: 'https://evil.example', 'x-requested-with': 'foreact' })).status).toBe(403);
    expect((await get('/stores', '/stores', USERS.admin)).body.stores.find((s: { store: string }) => s.store === '5').activeRun).toBeNull();
  });

  test("the app's own Origin (alone or with the header), or the header without an Origin, is accepted", async () => {
    const own = await post({ origin: new URL(fx.host.url).origin });
    expect(own.status).toBe(202);
    const ownMarked = await post({ origin: new URL(fx.host.url).origin.toUpperCase(), 'x-requested-with': 'foreact' });
    expect(ownMarked.status).toBe(202);
    const marked = await post({ 'x-requested-with': 'foreact' });
    expect(marked.status).toBe(202);
    expect([ownMarked.body.runId, marked.body.runId]).toEqual([own.body.runId, own.body.runId]);
    await fx.host.durable.raiseEvent(refreshInstanceId('5'), 'finish', {});
    await fx.host.durable.waitForInstance(refreshInstanceId('5'), 10_000);
  });

  test('reads need neither', async () => {
    expect((await get('/stores', '/stores', USERS.planner, { origin: 'https://evil.example' })).status).toBe(200);
  });
});

describe('responses match docs/openapi.yaml', () => {
  test('every recorded response validates against its documented schema', () => {
    const { doc, ajv, deref } = loadOpenApi();
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const r of recorded) {
      const op = doc.paths[r.template]?.[r.method];
      expect(op, `${r.method} ${r.template} documented`).toBeDefined();
      const resp = deref(op.responses[String(r.status)]);
      if (resp === undefined) {
        problems.push(`${r.method} ${r.template} → ${r.status} is not documented`);
        continue;
      }
      const media = r.contentType.split(';')[0]!.trim();
      const content = resp.content?.[media];
      if (content === undefined) {
        problems.push(`${r.method} ${r.template} → ${r.status} ${media} not documented`);
        continue;
      }
      const schema = JSON.parse(JSON.stringify(content.schema).replace(/"#\/components/g, '"openapi#/components'));
      const validate = ajv.compile(schema);
      if (!validate(r.body)) problems.push(`${r.method} ${r.template} → ${r.status}: ${ajv.errorsText(validate.errors)}`);
      seen.add(`${r.method} ${r.template} ${r.status}`);
    }
    expect(problems).toEqual([]);
    for (const must of ['get /stores 200', 'get /forecasts 200', 'get /forecasts 400', 'get /transport 200', 'post /stores/{store}/refresh 202', 'get /runs/{id} 200', 'get /health 200', 'get /me 200', 'get /forecasts 403', 'get /me 401', 'post /stores/{store}/refresh 429', 'post /stores/{store}/refresh 403', 'post /stores/{store}/check-run 403', 'get /runs/{id} 403']) expect(seen).toContain(must);
  });
});
