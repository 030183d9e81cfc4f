/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any -- response bodies are untyped JSON here */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { odata } from '@azure/data-tables';
import { as, SAME_SITE, STANDIN_REFRESH, startApiFixture, USERS, type ApiFixture } from './harness.js';
import type { Principal } from '../../core/domain/api-access.js';
import { refreshInstanceId } from '../../orchestrations/names.js';
import { TableRateLimiter } from '../../core/adapters/azure/rate-limit-table.js';

/**
 * Issue 13, hole 5 and the security figures: who may call what (every endpoint, JSON and CSV), the size
 * cap of an answer, a refresh storm, and the refresh limit shared by instances.
 */
let fx: ApiFixture;
const BURST = 3;

beforeAll(async () => {
  // 5 items × 28 days = 140 values per bench store: ten of them (1,400) are over a cap of 1,000.
  fx = await startApiFixture({ extraModules: [STANDIN_REFRESH], env: { FOREACT_API_MAX_CELLS: '1000', FOREACT_REFRESH_BURST: String(BURST), FOREACT_REFRESH_PER_MINUTE: '0.01' } });
});
afterAll(async () => {
  await fx?.stop();
});

async function call(method: string, url: string, headers: Record<string, string>) {
  // State-changing requests carry the dashboard's X-Requested-With (functions/http/csrf.ts).
  const res = await fetch(`${fx.host.url}/api${url}`, { method, headers: method === 'GET' ? headers : { ...SAME_SITE, ...headers } });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const body: any = type.includes('json') ? JSON.parse(text) : text;
  return { status: res.status, type, body };
}

async function finish(store: string): Promise<void> {
  await fx.host.durable.raiseEvent(refreshInstanceId(store), 'finish', {});
  await fx.host.durable.waitForInstance(refreshInstanceId(store), 10_000);
}

describe('authorisation matrix: every endpoint, JSON and CSV', () => {
  // Store 2 is the planner's (north); store 3 is another region's (south).
  type Who = 'none' | 'malformed' | 'notJson' | 'noRole' | 'plannerOwn' | 'plannerOther' | 'admin';
  const headersOf = (who: Who): Record<string, string> => {
    if (who === 'none') return {};
    if (who === 'malformed') return { 'x-ms-client-principal': 'not base64 json!' };
    if (who === 'notJson') return { 'x-ms-client-principal': Buffer.from('{"userId": "u-x", "userRoles": ').toString('base64') };
    const user: Principal = who === 'admin' ? USERS.admin : who === 'noRole' ? USERS.nobody : USERS.planner;
    return as(user);
  };
  const storeOf = (who: Who): string => (who === 'plannerOther' ? '3' : '2');
  const everyone: Who[] = ['none', 'malformed', 'notJson', 'noRole', 'plannerOwn', 'plannerOther', 'admin'];
  const anon = { none: 401, malformed: 401, notJson: 401 } as const;
  // Expected status per endpoint and caller; the store in the URL is storeOf(caller).
  const matrix: { name: string; method: string; url: (store: string) => string; csv: boolean; expect: Record<Who, number> }[] = [
    { name: 'GET /health', method: 'GET', url: () => '/health', csv: false, expect: { none: 200, malformed: 200, notJson: 200, noRole: 200, plannerOwn: 200, plannerOther: 200, admin: 200 } },
    { name: 'GET /me', method: 'GET', url: () => '/me', csv: false, expect: { ...anon, noRole: 200, plannerOwn: 200, plannerOther: 200, admin: 200 } },
    { name: 'GET /stores', method: 'GET', url: () => '/stores', csv: false, expect: { ...anon, noRole: 403, plannerOwn: 200, plannerOther: 200, admin: 200 } },
    { name: 'GET /forecasts', method: 'GET', url: (s) => `/forecasts?stores=${s}`, csv: true, expect: { ...anon, noRole: 403, plannerOwn: 200, plannerOther: 403, admin: 200 } },
    { name: 'GET /transport', method: 'GET', url: (s) => `/transport?stores=${s}`, csv: true, expect: { ...anon, noRole: 403, plannerOwn: 200, plannerOther: 403, admin: 200 } },
    { name: 'GET /runs/{id} (refresh run)', method: 'GET', url: (s) => `/runs/refresh-20170101T000000000Z-abcdef.${s}`, csv: false, expect: { ...anon, noRole: 403, plannerOwn: 404, plannerOther: 403, admin: 404 } },
    { name: 'GET /runs/{id} (scheduled run)', method: 'GET', url: () => '/runs/morning-2017-07-05', csv: false, expect: { ...anon, noRole: 403, plannerOwn: 403, plannerOther: 403, admin: 404 } },
  ];
  for (const row of matrix) {
    for (const format of row.csv ? (['json', 'csv'] as const) : (['json'] as const)) {
      test(`${row.name} ${format}`, async () => {
        const got: Record<string, number> = {};
        for (const who of everyone) {
          const r = await call(row.method, row.url(storeOf(who)), { ...headersOf(who), ...(format === 'csv' ? { accept: 'text/csv' } : {}) });
          got[who] = r.status;
          // Success in the format asked for; every refusal is the JSON error shape.
          if (r.status < 300) expect(r.type).toMatch(format === 'csv' ? /^text\/csv/ : /^application\/json/);
          else expect(r.body.error.code).toMatch(/^[a-z_]+$/);
        }
        expect(got).toEqual(row.expect);
      });
    }
  }

  test('POST /stores/{store}/refresh', async () => {
    const got: Record<string, number> = {};
    for (const who of everyone) got[who] = (await call('POST', `/stores/${storeOf(who)}/refresh`, headersOf(who))).status;
    expect(got).toEqual({ ...anon, noRole: 403, plannerOwn: 202, plannerOther: 403, admin: 202 });
    // A refresh run can be read by whoever may see its store.
    const run = await call('POST', '/stores/2/refresh', headersOf('plannerOwn'));
    const id = encodeURIComponent(run.body.runId as string);
    expect((await call('GET', `/runs/${id}`, headersOf('plannerOwn'))).status).toBe(200);
    expect((await call('GET', `/runs/${id}`, headersOf('admin'))).status).toBe(200);
    expect((await call('GET', `/runs/${id}`, headersOf('none'))).status).toBe(401);
    expect((await call('GET', `/runs/${id}`, as(USERS.nobody))).status).toBe(403);
    await finish('2');
  });
});

describe('regions follow the user id, not the e-mail (hole 8)', () => {
  // Fresh user ids per case: the app caches a user's regions for 5 s by id.
  const planner = (userId: string, email: string): Principal => ({ identityProvider: 'aad', userId, userDetails: email, userRoles: ['authenticated', 'planner'] });

  test('an e-mail invitation binds at the first sign-in; a changed e-mail keeps the regions; a later owner of the e-mail gets 403', async () => {
    await fx.access.setUserRegions('dana@contoso.com', ['north']);
    expect((await fx.access.listUsers()).find((a) => a.email === 'dana@contoso.com')).toMatchObject({ user: null });

    const me = await call('GET', '/me', as(planner('u-dana', 'Dana@Contoso.com')));
    expect(me.body).toMatchObject({ userId: 'u-dana', identityProvider: 'aad', regions: ['north'] });
    expect((await fx.access.listUsers()).find((a) => a.email === 'dana@contoso.com')).toMatchObject({ user: { identityProvider: 'aad', userId: 'u-dana' }, regions: ['north'] });
    expect((await call('GET', '/forecasts?stores=2', as(planner('u-dana', 'dana@contoso.com')))).status).toBe(200);
    // Dana's e-mail changes: same id, same regions.
    expect((await call('GET', '/forecasts?stores=2', as(planner('u-dana', 'dana.renamed@contoso.com')))).status).toBe(200);
    // The e-mail passes to someone else: a different id gets nothing.
    const other = await call('GET', '/forecasts?stores=2', as(planner('u-not-dana', 'dana@contoso.com')));
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    expect((await call('GET', '/me', as(planner('u-not-dana', 'dana@contoso.com')))).body).toMatchObject({ userId: 'u-not-dana', regions: [], stores: [] });
  });

  test('an assignment by user id applies whatever the e-mail', async () => {
    await fx.access.setUserRegions({ identityProvider: 'aad', userId: 'u-eve' }, ['south']);
    expect((await call('GET', '/forecasts?stores=3', as(planner('u-eve', 'eve@contoso.com')))).status).toBe(200);
    expect((await call('GET', '/forecasts?stores=2', as(planner('u-eve', 'eve@contoso.com')))).status).toBe(403);
    expect((await call('GET', '/forecasts?stores=3', as(planner('u-eve-2', 'eve@contoso.com')))).status).toBe(403);
  });
});

describe('answer size cap (FOREACT_API_MAX_CELLS = 1,000)', () => {
  const ten = Array.from({ length: 10 }, (_, i) => String(5 + i)).join(',');
  test.each(['json', 'csv'])('ten stores × 5 items × 28 days (1,400 values) → 400 naming the limit and how to narrow (%s)', async (format) => {
    const r = await call('GET', `/forecasts?stores=${ten}&historyDays=0`, as(USERS.admin, format === 'csv' ? { accept: 'text/csv' } : {}));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('bad_request');
    expect(r.body.error.message).toContain('1,400');
    expect(r.body.error.message).toContain('1,000');
    expect(r.body.error.message).toContain('FOREACT_API_MAX_CELLS');
    expect(r.body.error.message).toMatch(/fewer stores.*items=.*from\/to/);
    expect((await call('GET', `/transport?stores=${ten}`, as(USERS.admin))).status).toBe(400);
  });

  test('the same stores narrowed (items=, from/to) are answered', async () => {
    expect((await call('GET', `/forecasts?stores=${ten}&items=1,2,3&historyDays=0`, as(USERS.admin))).status).toBe(200);
    const r = await call('GET', `/forecasts?stores=${ten}&from=2017-07-06&to=2017-07-25&historyDays=0`, as(USERS.admin, { accept: 'text/csv' }));
    expect(r.status).toBe(200);
    expect((r.body as string).trim().split('\n')).toHaveLength(1 + 10 * 5 * 20);
  });
});

describe('refresh storm and the shared limit', () => {
  test('20 planners refreshing one store at once → exactly one run, every caller gets its id, one token spent', async () => {
    const planners: Principal[] = Array.from({ length: 20 }, (_, i) => ({ identityProvider: 'aad', userId: `u-storm-${i}`, userDetails: `storm${i}@contoso.com`, userRoles: ['authenticated', 'planner'] }));
    for (const p of planners) await fx.access.setUserRegions(p.userDetails, ['north']);
    const before = (await fx.host.durable.list()).filter((s) => s.instanceId === refreshInstanceId('1')).length;
    const answers = await Promise.all(planners.map((p) => call('POST', '/stores/1/refresh', as(p))));
    expect(answers.map((a) => a.status)).toEqual(planners.map(() => 202));
    const ids = new Set(answers.map((a) => a.body.runId as string));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.body.joined === false)).toHaveLength(1);
    expect((await fx.host.durable.list()).filter((s) => s.instanceId === refreshInstanceId('1'))).toHaveLength(before === 0 ? 1 : before);
    // Joiners, racing ones included, spend nothing: one token spent over the 20 planners' buckets (a
    // planner who never took one has no row).
    const table = fx.storage.clients.table('ratelimits');
    let tokens = 0;
    let rows = 0;
    for await (const e of table.listEntities<{ tokens: number }>({ queryOptions: { filter: odata`PartitionKey eq 'refresh' and RowKey ge 'u-storm-' and RowKey lt 'u-storm.'` } })) {
      rows++;
      tokens += Number(e.tokens);
    }
    expect(rows * BURST - tokens).toBeCloseTo(1, 1);
    await finish('1');
  });

  test('two instances share one budget (table buckets, ETag-conditional)', async () => {
    const table = fx.storage.clients.table('ratelimitsshared');
    const a = new TableRateLimiter(table, 3, 0.01);
    const b = new TableRateLimiter(table, 3, 0.01);
    expect(await a.take('ann')).toBe(0);
    expect(await b.take('ann')).toBe(0);
    expect(await a.take('ann')).toBe(0);
    expect(await b.take('ann')).toBeGreaterThan(0);
    expect(await a.take('ann')).toBeGreaterThan(0);
    await a.giveBack('ann');
    expect(await b.take('ann')).toBe(0);
    // Ten takes at once over two instances for a bucket of five: exactly five pass.
    const c = new TableRateLimiter(table, 5, 0.01);
    const d = new TableRateLimiter(table, 5, 0.01);
    const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? c : d).take('bob')));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
  });
});
