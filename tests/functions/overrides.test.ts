/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- response bodies are untyped JSON here; their shape is checked against docs/openapi.yaml by the last test */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadOpenApi, readRecorded, type RecordedResponse } from '../support/openapi.js';
import { as, asApp, SAME_SITE, STANDIN_REFRESH, startApiFixture, syntheticForecasts, USERS, type ApiFixture } from './harness.js';
import type { Principal } from '../../core/domain/api-access.js';
import { publishRun } from '../../core/domain/publish.js';
import { newOverrideId } from '../../core/domain/override-service.js';
import type { Override } from '../../core/domain/overrides.js';
import { emptyStore, updateStore } from '../../core/domain/stores.js';
import { refreshInstanceId } from '../../orchestrations/names.js';
import { driversForStore, epochDayFromCivil, formatIsoDay, readDrivers } from '../../engine/index.js';

/** Overrides through the local Functions host on Azurite: round trip, re-application, scoping, audit, bad input. */

let fx: ApiFixture;
const TRUSTED_APP = '0a1b2c3d-0000-4000-8000-00000000d3b1';
/** A planner of the south (store 3), not of the north (stores 1, 2). */
const SOUTH: Principal = { identityProvider: 'aad', userId: 'u-dan', userDetails: 'dan@contoso.com', userRoles: ['anonymous', 'authenticated', 'planner'] };

const recorded: RecordedResponse[] = [];

async function call(method: string, template: string, url: string, user?: Principal | { app: string }, options: { headers?: Record<string, string>; body?: unknown; csrf?: boolean } = {}) {
  const headers = { ...(method !== 'GET' && options.csrf !== false ? SAME_SITE : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
  const res = await fetch(`${fx.host.url}/api${url}`, {
    method,
    headers: user !== undefined && 'app' in user ? asApp(user.app, headers) : as(user, headers),
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  return readRecorded(recorded, template, method, res);
}

const OVERRIDES = '/stores/{store}/overrides';
const ONE = '/stores/{store}/overrides/{id}';
const HISTORY = '/stores/{store}/overrides/history';
const post = (store: string, body: unknown, user: Principal | { app: string } = USERS.planner, options: { csrf?: boolean; headers?: Record<string, string> } = {}) => call('POST', OVERRIDES, `/stores/${store}/overrides`, user, { body, ...options });
const put = (store: string, id: string, body: unknown, user: Principal = USERS.planner) => call('PUT', ONE, `/stores/${store}/overrides/${id}`, user, { body });
const del = (store: string, id: string, query = '', user: Principal = USERS.planner, options: { csrf?: boolean } = {}) => call('DELETE', ONE, `/stores/${store}/overrides/${id}${query}`, user, options);
const inForce = (store: string, user: Principal = USERS.planner) => call('GET', OVERRIDES, `/stores/${store}/overrides`, user);
const history = (store: string, user: Principal = USERS.planner) => call('GET', HISTORY, `/stores/${store}/overrides/history`, user);
const forecasts = (query: string, user: Principal = USERS.planner, headers: Record<string, string> = {}) => call('GET', '/forecasts', `/forecasts?${query}`, user, { headers });

/** Store 2's synthetic forecast (harness): item i on day d (0 = 2017-07-06) is 10·i + d. */
const model = (item: number, day: number): number => 10 * item + day;

const FIRST = epochDayFromCivil(2017, 7, 6);

/** Store P1 (south, Dan's): items 1–3 forecast as the harness's synthetic ones, a `promo` driver promoted last spring. */
async function seedPromotionStore(): Promise<void> {
  const { storage } = fx;
  const now = new Date();
  const lines = ['date,store,item,promo'];
  for (let day = FIRST - 120; day < FIRST + 40; day++) for (const item of ['1', '2', '3']) lines.push(`${formatIsoDay(day)},P1,${item},${day >= FIRST - 90 && day < FIRST - 86 ? 1 : 0}`);
  const { table } = await readDrivers([Buffer.from(lines.join('\n'))], 'promotions.csv');
  const drivers = driversForStore(table, 'P1', ['1', '2', '3'])!;
  const ref = await storage.drivers.write('P1', drivers);
  await updateStore(storage.stores, 'P1', (cur) => ({
    ...(cur ?? emptyStore('P1', now)),
    drivers: { blob: ref.blob, version: ref.version, firstDay: formatIsoDay(drivers.firstDay), lastDay: formatIsoDay(drivers.lastDay), columns: ['promo'], updatedAt: now.toISOString() },
  }));
  await publishRun(storage, { store: 'P1', runId: 'morning-20170705T050000000Z-pppppp', modelVersion: 'v1', forecasts: syntheticForecasts('P1', 3, FIRST, 28), historyVersion: 'h0', accuracy: { rmsse: null, smape: null }, generatedAt: now });
  await fx.access.setStoreRegion('P1', 'south');
}

beforeAll(async () => {
  // No pointer cache: a second run published by the test is read at once.
  // The refresh stand-in: a promotion override starts the store's refresh.
  fx = await startApiFixture({ benchStores: 0, extraModules: [STANDIN_REFRESH], env: { FOREACT_API_POINTER_CACHE_MS: '0', FOREACT_TRUSTED_APP_IDS: TRUSTED_APP, FOREACT_OPERATOR_STORES: '3' } });
  await fx.access.setUserRegions(SOUTH.userDetails, ['south']);
  // Before any request: the API caches stores' regions for a few seconds.
  await seedPromotionStore();
}, 120_000);
afterAll(async () => {
  await fx?.stop();
});

describe('overrides round trip', () => {
  test('create, edit and delete an item override: JSON and CSV carry both numbers; the history keeps every change unchanged', async () => {
    const created = await post('2', { from: '2017-07-07', to: '2017-07-08', items: ['1'], kind: 'percent', value: 50, note: 'School holidays start' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ store: '2', from: '2017-07-07', to: '2017-07-08', items: ['1'], kind: 'percent', value: 50, note: 'School holidays start', by: USERS.planner.userDetails, version: 1 });
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/api/stores/2/overrides/${id}`);
    expect((await inForce('2')).body.overrides).toEqual([created.body]);

    const json = await forecasts('stores=2&from=2017-07-06&to=2017-07-10');
    const store = json.body.stores[0];
    const one = store.items.find((i: any) => i.item === '1');
    expect(one.forecast).toEqual([0, 1, 2, 3, 4].map((d) => model(1, d)));
    expect(one.adjusted).toEqual([model(1, 0), model(1, 1) * 1.5, model(1, 2) * 1.5, model(1, 3), model(1, 4)]);
    expect(one.adjusted).toHaveLength(one.forecast.length);
    expect(store.items.find((i: any) => i.item === '2').adjusted).toBeUndefined();
    expect(store.total.adjusted[1]).toBeCloseTo(store.total.forecast[1] + model(1, 1) * 0.5, 6);
    expect(store.total.adjusted[0]).toBe(store.total.forecast[0]);

    const csv = await forecasts('stores=2&from=2017-07-06&to=2017-07-10', USERS.planner, { accept: 'text/csv' });
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('date,store,item,forecast,p10,p90,closed,promotion,events,adjusted');
    const row = (date: string, item: string) => lines.find((l) => l.startsWith(`${date},2,${item},`))!.split(',');
    expect(row('2017-07-07', '1').slice(3, 4).concat(row('2017-07-07', '1').slice(-1))).toEqual([String(model(1, 1)), String(model(1, 1) * 1.5)]);
    expect(row('2017-07-07', '2').at(-1)).toBe('');

    const historyAfterCreate = (await history('2')).body.entries;
    expect(historyAfterCreate).toHaveLength(1);
    expect(historyAfterCreate[0]).toMatchObject({ override: id, action: 'create', by: USERS.planner.userDetails, note: 'School holidays start', before: null, after: created.body, from: '2017-07-07', to: '2017-07-08', items: ['1'] });
    expect(historyAfterCreate[0].numbers).toMatchObject({ before: [model(1, 1), model(1, 2)], after: [model(1, 1) * 1.5, model(1, 2) * 1.5] });

    const edited = await put('2', id, { from: '2017-07-07', to: '2017-07-09', items: ['1'], kind: 'absolute', value: 7, note: 'Fewer than thought', version: 1 });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id, kind: 'absolute', value: 7, version: 2, to: '2017-07-09' });
    const after = (await forecasts('stores=2&items=1&from=2017-07-06&to=2017-07-10')).body.stores[0];
    expect(after.items[0].adjusted).toEqual([model(1, 0), 7, 7, 7, model(1, 4)]);
    // A stale version loses: 409, nothing written.
    const stale = await put('2', id, { from: '2017-07-07', to: '2017-07-09', items: ['1'], kind: 'absolute', value: 9, note: 'late', version: 1 });
    expect(stale.status).toBe(409);

    const historyAfterEdit = (await history('2')).body.entries;
    expect(historyAfterEdit).toHaveLength(2);
    expect(historyAfterEdit[0]).toEqual(historyAfterCreate[0]);
    expect(historyAfterEdit[1]).toMatchObject({ action: 'edit', before: created.body, after: edited.body, note: 'Fewer than thought', from: '2017-07-07', to: '2017-07-09' });
    expect(historyAfterEdit[1].numbers).toMatchObject({ before: [model(1, 1) * 1.5, model(1, 2) * 1.5, model(1, 3)], after: [7, 7, 7] });

    const removed = await del('2', id, '?note=Promotion%20cancelled');
    expect(removed.status).toBe(204);
    expect((await inForce('2')).body.overrides).toEqual([]);
    expect((await forecasts('stores=2&from=2017-07-06&to=2017-07-10')).body.stores[0].items.every((i: any) => i.adjusted === undefined)).toBe(true);
    expect((await del('2', id)).status).toBe(404);
    const historyAfterDelete = (await history('2')).body.entries;
    expect(historyAfterDelete.slice(0, 2)).toEqual(historyAfterEdit);
    expect(historyAfterDelete[2]).toMatchObject({ action: 'delete', before: edited.body, after: null, note: 'Promotion cancelled', numbers: { before: [7, 7, 7], after: [model(1, 1), model(1, 2), model(1, 3)] } });
  });

  test('a store-wide absolute value is the store-day total, spread by the model even when one item is asked for', async () => {
    const created = await post('2', { from: '2017-07-20', to: '2017-07-20', kind: 'absolute', value: 100, note: 'Store closing early' });
    expect(created.status).toBe(201);
    expect(created.body.items).toBeUndefined();
    const all = (await forecasts('stores=2&from=2017-07-20&to=2017-07-20')).body.stores[0];
    expect(all.total.adjusted).toEqual([100]);
    const sum = all.items.reduce((s: number, i: any) => s + i.adjusted[0], 0);
    expect(sum).toBeCloseTo(100, 2);
    const only = (await forecasts('stores=2&items=4&from=2017-07-20&to=2017-07-20')).body.stores[0];
    expect(only.items[0].adjusted[0]).toBe(all.items.find((i: any) => i.item === '4').adjusted[0]);
    expect((await del('2', created.body.id, '', USERS.admin)).status).toBe(204);
  });

  test('percentages re-apply to a new run; absolute values stay', async () => {
    const percent = await post('3', { from: '2017-07-10', to: '2017-07-11', items: ['1'], kind: 'percent', value: -20, note: 'Roadworks' }, USERS.admin);
    const absolute = await post('3', { from: '2017-07-10', to: '2017-07-11', items: ['2'], kind: 'absolute', value: 5, note: 'Shelf space' }, USERS.admin);
    expect([percent.status, absolute.status]).toEqual([201, 201]);
    const before = (await forecasts('stores=3&from=2017-07-10&to=2017-07-11', USERS.admin)).body.stores[0];
    const round = (v: number) => Math.round(v * 1000) / 1000;
    expect(before.items[0].adjusted).toEqual([round(model(1, 4) * 0.8), round(model(1, 5) * 0.8)]);
    // The morning run: every number doubled.
    const doubled = syntheticForecasts('3', 2, epochDayFromCivil(2017, 7, 6), 28).map((s) => ({ ...s, forecast: s.forecast.map((v) => v * 2), p10: s.p10.map((v) => v * 2), p90: s.p90.map((v) => v * 2) }));
    await publishRun(fx.storage, { store: '3', runId: 'morning-20170706T050000000Z-333333', modelVersion: 'v2', forecasts: doubled, historyVersion: 'h0', accuracy: { rmsse: null, smape: null }, generatedAt: new Date() });
    const after = (await forecasts('stores=3&from=2017-07-10&to=2017-07-11', USERS.admin)).body.stores[0];
    expect(after.items[0].forecast).toEqual([model(1, 4) * 2, model(1, 5) * 2]);
    expect(after.items[0].adjusted).toEqual([round(model(1, 4) * 2 * 0.8), round(model(1, 5) * 2 * 0.8)]);
    expect(after.items[1].adjusted).toEqual([5, 5]);
  });
});

describe('who may change and read overrides', () => {
  const body = { from: '2017-07-25', to: '2017-07-26', kind: 'percent', value: 10, note: 'Fair' };

  test("planners only their regions' stores, admins all; operators and users without a role never", async () => {
    const other = await post('2', body, SOUTH);
    expect(other.status).toBe(403);
    expect((await post('2', body, USERS.nobody)).status).toBe(403);
    expect((await post('3', body, { app: TRUSTED_APP })).status).toBe(403);
    const admin = await post('2', body, USERS.admin);
    expect(admin.status).toBe(201);
    expect(admin.body.by).toBe(USERS.admin.userDetails);
    expect((await put('2', admin.body.id, { ...body, value: 20 }, SOUTH)).status).toBe(403);
    expect((await del('2', admin.body.id, '', SOUTH)).status).toBe(403);
    expect((await inForce('2')).body.overrides.map((o: any) => o.id)).toContain(admin.body.id);
    expect((await del('2', admin.body.id)).status).toBe(204);
  });

  test('reads are scoped as every read: another region answers 403', async () => {
    expect((await inForce('2', SOUTH)).status).toBe(403);
    expect((await history('2', SOUTH)).status).toBe(403);
    expect((await inForce('3', USERS.planner)).status).toBe(403);
    expect((await inForce('3', SOUTH)).status).toBe(200);
    expect((await call('GET', OVERRIDES, '/stores/2/overrides')).status).toBe(401);
  });

  test('every mutation needs the dashboard header or a same-origin Origin (403 otherwise, nothing written)', async () => {
    const entries = (await history('2')).body.entries.length;
    expect((await post('2', body, USERS.planner, { csrf: false })).status).toBe(403);
    expect((await post('2', body, USERS.planner, { csrf: false, headers: { origin: 'https://evil.example' } })).status).toBe(403);
    const made = await post('2', body);
    expect((await call('PUT', ONE, `/stores/2/overrides/${made.body.id}`, USERS.planner, { body: { ...body, value: 1 }, csrf: false })).status).toBe(403);
    expect((await del('2', made.body.id, '', USERS.planner, { csrf: false })).status).toBe(403);
    expect((await history('2')).body.entries.length).toBe(entries + 1);
    expect((await del('2', made.body.id)).status).toBe(204);
  });
});

describe('the history answer is bounded', () => {
  test('the newest 500 entries by default (oldest first, truncated, the total), limit= 1–1000, else 400 naming it; the log keeps everything', async () => {
    // Store 4 (north, no forecast): 503 changes written straight to the log, one second apart.
    const base = Date.parse('2017-07-01T00:00:00Z');
    const ids: string[] = [];
    for (let chunk = 0; chunk < 503; chunk += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, 503 - chunk) }, async (_, k) => {
          const at = new Date(base + (chunk + k) * 1000);
          const o: Override = { id: newOverrideId(at), store: '4', from: '2017-07-10', to: '2017-07-10', kind: 'percent', value: 1, note: `change ${chunk + k}`, by: USERS.planner.userDetails, at: at.toISOString(), version: 1 };
          const entryId = newOverrideId(at);
          ids[chunk + k] = entryId;
          await fx.storage.overrides!.create(o, { id: entryId, override: o.id, action: 'create', at: o.at, by: o.by, note: o.note, before: null, after: o, numbers: { before: [], after: [] }, from: o.from, to: o.to });
        }),
      );
    }
    const all = await history('4');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ store: '4', truncated: true, total: 503 });
    expect(all.body.entries.map((e: any) => e.id)).toEqual(ids.slice(3));
    const few = await call('GET', HISTORY, '/stores/4/overrides/history?limit=2', USERS.planner);
    expect(few.body).toMatchObject({ truncated: true, total: 503 });
    expect(few.body.entries.map((e: any) => e.note)).toEqual(['change 501', 'change 502']);
    const most = await call('GET', HISTORY, '/stores/4/overrides/history?limit=1000', USERS.planner);
    expect(most.body).toMatchObject({ truncated: false, total: 503 });
    expect(most.body.entries.map((e: any) => e.id)).toEqual(ids);
    for (const bad of ['0', '1001', 'ten', '2.5', '-1']) {
      const r = await call('GET', HISTORY, `/stores/4/overrides/history?limit=${bad}`, USERS.planner);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.message).toContain('"limit"');
    }
    expect((await call('GET', HISTORY, '/stores/4/overrides/history?lmit=2', USERS.planner)).status).toBe(400);
  }, 60_000);
});

describe('bad input: 400 naming the field, nothing written', () => {
  const good = { from: '2017-07-12', to: '2017-07-13', items: ['1'], kind: 'percent', value: 10, note: 'Why' };
  let existing = '';

  beforeAll(async () => {
    existing = (await post('2', { ...good, from: '2017-07-28', to: '2017-07-29', items: undefined, note: 'Store-wide' })).body.id;
  });

  test.each([
    ['negative absolute value', { kind: 'absolute', value: -3 }, '"value"'],
    ['percentage below −100', { value: -101 }, '"value"'],
    ['from after to', { from: '2017-07-14', to: '2017-07-13' }, '"to"'],
    ['a range in the past', { from: '2017-07-05' }, '"from"'],
    ['beyond the horizon', { to: '2017-08-03' }, '"to"'],
    ['over 366 days', { from: '2017-07-06', to: '2018-07-07' }, '366'],
    ['overlapping a store-wide override', { from: '2017-07-29', to: '2017-07-30' }, 'overlaps'],
    ['an empty note', { note: '' }, '"note"'],
    ['a blank note', { note: '  \t ' }, '"note"'],
    ['a note too long', { note: 'x'.repeat(1001) }, '"note"'],
    ['unknown items', { items: ['1', 'nosuchitem'] }, '"items"'],
    ['too many items', { items: Array.from({ length: 201 }, (_, i) => `i${i}`) }, '"items"'],
    ['no note', { note: undefined }, '"note"'],
    ['a value that is not a number', { value: '10' }, '"value"'],
    ['an unknown kind', { kind: 'promotion' }, '"kind"'],
    ['a date that is not one', { from: '2017-02-30' }, '"from"'],
    ['an unknown field', { colour: 'red' }, '"colour"'],
    ['an item id with a slash', { items: ['a/b'] }, '"items.0"'],
  ])('%s', async (_what, change, field) => {
    const before = [(await history('2')).body.entries.length, (await inForce('2')).body.overrides.length];
    const r = await post('2', { ...good, ...change });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('bad_request');
    expect(r.body.error.message).toContain(field);
    expect([(await history('2')).body.entries.length, (await inForce('2')).body.overrides.length]).toEqual(before);
  });

  test('an edit is checked alike, and a body that is not JSON is refused', async () => {
    const r = await put('2', existing, { ...good, from: '2017-07-28', to: '2017-07-29', items: undefined, note: ' ' });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('"note"');
    expect((await call('POST', OVERRIDES, '/stores/2/overrides', USERS.planner, { body: '{"from":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await put('2', 'no-such-override', good)).status).toBe(404);
    expect((await inForce('2')).body.overrides.find((o: any) => o.id === existing).note).toBe('Store-wide');
  });
});

describe('forecast value added', () => {
  test('WAPE of the model against the adjusted numbers, per store and per planner, over 4 and 13 weeks', async () => {
    const today = Math.floor(Date.now() / 86_400_000);
    const date = (ago: number) => new Date((today - ago) * 86_400_000).toISOString().slice(0, 10);
    await fx.storage.realised.record([
      { store: '2', date: date(3), runId: 'r', actual: 100, forecast: 80, p10: 60, p90: 120, adjusted: 95, adjustedBy: [USERS.planner.userDetails] },
      { store: '2', date: date(40), runId: 'r', actual: 100, forecast: 100, p10: 60, p90: 120, adjusted: 130, adjustedBy: [USERS.admin.userDetails] },
      // Not adjusted: not part of either figure.
      { store: '2', date: date(2), runId: 'r', actual: 100, forecast: 50, p10: 30, p90: 120 },
    ]);
    const r = await call('GET', '/value-added', '/value-added', USERS.planner);
    expect(r.status).toBe(200);
    const store2 = r.body.stores.find((s: any) => s.store === '2');
    expect(store2.weeks['4']).toEqual({ model: 0.2, adjusted: 0.05, days: 1 });
    expect(store2.weeks['13']).toEqual({ model: 0.1, adjusted: 0.175, days: 2 });
    expect(r.body.stores.map((s: any) => s.store)).toEqual(['1', '2', '4']);
    expect(r.body.planners).toEqual([
      { planner: USERS.planner.userDetails, weeks: { '4': { model: 0.2, adjusted: 0.05, days: 1 }, '13': { model: 0.2, adjusted: 0.05, days: 1 } } },
      { planner: USERS.admin.userDetails, weeks: { '4': { model: null, adjusted: null, days: 0 }, '13': { model: 0, adjusted: 0.3, days: 1 } } },
    ]);
    expect((await call('GET', '/value-added', '/value-added?stores=3', USERS.planner)).status).toBe(403);
    expect((await call('GET', '/value-added', '/value-added?stores=2,3', USERS.admin)).body.stores.map((s: any) => s.store)).toEqual(['2', '3']);
  });
});

describe('promotion overrides', () => {

  test('POST a promotion: 201 with the driver it sets and the store\'s refresh; the card marks its days at once; the numbers wait for the rerun', async () => {
    const created = await post('P1', { from: '2017-07-10', to: '2017-07-12', items: ['2'], kind: 'promotion', note: 'Flyer week' }, SOUTH);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ store: 'P1', kind: 'promotion', driver: 'promo', value: 1, items: ['2'], by: SOUTH.userDetails, version: 1 });
    const { runId, statusUrl } = created.body.refresh;
    expect(runId).toMatch(/^refresh-/);
    expect(statusUrl).toBe(`/api/runs/${encodeURIComponent(runId)}`);
    const run = await call('GET', '/runs/{id}', statusUrl.replace('/api', ''), SOUTH);
    expect(run.status).toBe(200);
    expect(run.body.runId).toBe(runId);

    const json = await forecasts('stores=P1&from=2017-07-09&to=2017-07-13', SOUTH);
    const store = json.body.stores[0];
    expect(store.markers.filter((m: any) => m.label === 'Planned promotion (override)')).toEqual(['2017-07-10', '2017-07-11', '2017-07-12'].map((date) => ({ date, kind: 'promotion', label: 'Planned promotion (override)', items: ['2'] })));
    // No `adjusted`: the uplift comes from the model's rerun, not from the override's arithmetic.
    for (const item of store.items) expect(item.adjusted).toBeUndefined();
    const entry = (await history('P1', SOUTH)).body.entries.at(-1);
    expect(entry).toMatchObject({ action: 'create', override: created.body.id });
    expect(entry.numbers.before).toEqual(entry.numbers.after);

    // Editing it into a percent override reruns too (the promotion is gone from the drivers).
    const edited = await call('PUT', ONE, `/stores/P1/overrides/${created.body.id}`, SOUTH, { body: { from: '2017-07-10', to: '2017-07-12', items: ['2'], kind: 'percent', value: 20, note: 'Flyer cancelled, a smaller push' } });
    expect(edited.status).toBe(200);
    expect(edited.body.driver).toBeUndefined();
    // The refresh the POST started is still running (the stand-in waits): joined, not started twice.
    expect(edited.body.refresh).toMatchObject({ runId, joined: true });
    const back = await call('PUT', ONE, `/stores/P1/overrides/${created.body.id}`, SOUTH, { body: { from: '2017-07-10', to: '2017-07-12', items: ['2'], kind: 'promotion', note: 'Flyer is on after all' } });
    expect(back.body).toMatchObject({ kind: 'promotion', driver: 'promo', version: 3 });

    // Removing it reruns the store without it: 204, the run in the headers.
    const removed = await del('P1', created.body.id, '', SOUTH);
    expect(removed.status).toBe(204);
    expect(removed.headers.get('location')).toBe(statusUrl);
    expect(removed.headers.get('x-foreact-refresh-run')).toBe(runId);
    // Once that refresh is done, the next change starts a new one.
    await fx.host.durable.raiseEvent(refreshInstanceId('P1'), 'finish', {});
    for (let i = 0; i < 50 && (await call('GET', '/runs/{id}', statusUrl.replace('/api', ''), SOUTH)).body.status !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 100));
    const again = await post('P1', { from: '2017-07-10', to: '2017-07-12', kind: 'promotion', note: 'Store-wide flyer' }, SOUTH);
    expect(again.status).toBe(201);
    expect(again.body.items).toBeUndefined();
    expect(again.body.refresh).toMatchObject({ joined: false });
    expect(again.body.refresh.runId).not.toBe(runId);
  });

  test('a store without a promotion driver, a value its history never had, a missing percent value: 400 naming why, nothing written', async () => {
    const before = (await history('2')).body.entries.length;
    const none = await post('2', { from: '2017-07-10', to: '2017-07-12', kind: 'promotion', note: 'Flyer' });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toContain('store 2 has no promotion driver to learn an uplift from');
    expect(none.body.error.message).toContain('use a percent override');
    const strong = await post('P1', { from: '2017-07-20', to: '2017-07-21', kind: 'promotion', value: 2, note: 'Double promotion' }, SOUTH);
    expect(strong.status).toBe(400);
    expect(strong.body.error.message).toContain('"value"');
    const noValue = await post('2', { from: '2017-07-20', to: '2017-07-21', kind: 'percent', note: 'Forgot the value' });
    expect(noValue.status).toBe(400);
    expect(noValue.body.error.message).toContain('"value": is required');
    expect((await history('2')).body.entries).toHaveLength(before);
  });
});

describe('responses match docs/openapi.yaml', () => {
  test('every recorded response validates against its documented schema', () => {
    const { doc, ajv, deref } = loadOpenApi();
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const r of recorded) {
      const op = doc.paths[r.template]?.[r.method];
      if (op === undefined) {
        problems.push(`${r.method} ${r.template} is not documented`);
        continue;
      }
      const resp = deref(op.responses[String(r.status)]);
      if (resp === undefined) {
        problems.push(`${r.method} ${r.template} → ${r.status} is not documented`);
        continue;
      }
      seen.add(`${r.method} ${r.template} ${r.status}`);
      if (r.status === 204) continue;
      const media = r.contentType.split(';')[0]!.trim();
      const content = resp.content?.[media];
      if (content === undefined) {
        problems.push(`${r.method} ${r.template} → ${r.status} ${media} not documented`);
        continue;
      }
      const validate = ajv.compile(JSON.parse(JSON.stringify(content.schema).replace(/"#\/components/g, '"openapi#/components')));
      if (!validate(r.body)) problems.push(`${r.method} ${r.template} → ${r.status}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(problems).toEqual([]);
    for (const must of [`post ${OVERRIDES} 201`, `post ${OVERRIDES} 400`, `post ${OVERRIDES} 403`, `put ${ONE} 200`, `put ${ONE} 409`, `delete ${ONE} 204`, `delete ${ONE} 404`, `get ${OVERRIDES} 200`, `get ${HISTORY} 200`, 'get /value-added 200', 'get /forecasts 200']) expect(seen).toContain(must);
  });
});
