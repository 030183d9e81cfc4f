/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- response bodies are untyped JSON here; their shape is checked against docs/openapi.yaml by the last test */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadOpenApi } from '../support/openapi.js';
import { as, startApiFixture, USERS, type ApiFixture } from './harness.js';
import type { Principal } from '../../core/domain/api-access.js';
import { publishRun } from '../../core/domain/publish.js';
import { newOverrideId } from '../../core/domain/override-service.js';
import type { Override } from '../../core/domain/overrides.js';
import { emptyStore, updateStore } from '../../core/domain/stores.js';
import { driversForStore, formatIsoDay, parseIsoDay, readDrivers, type SeriesForecast, type SeriesHistory } from '../../engine/index.js';

/**
 * GET /api/attention through the local Functions host on Azurite: two stores with a promoted week ahead, one in
 * the planner's region (north) and one in another (south), each published twice (a flat run, then one with the
 * promotion) so the promoted days also changed against the previous run.
 */

let fx: ApiFixture;
const CUT = parseIsoDay('2017-07-06')!;
const HORIZON = 28;
const PROMO_WEEK = Array.from({ length: 7 }, (_, k) => CUT + 7 + k);
const LEVELS: Record<string, number> = { a: 50, b: 30, c: 20 };

async function seedPromotedStore(store: string, region: string): Promise<void> {
  const { storage, access } = fx;
  const now = new Date();
  const items = Object.keys(LEVELS);
  const series: SeriesHistory[] = items.map((item) => ({ store, item, startDay: CUT - 120, values: new Float64Array(120).fill(LEVELS[item]!) }));
  const history = await storage.history.write(store, series);
  // Item a promoted for a week ahead, and a few days last year (so no new-promotion entry for it).
  const promoted = new Set([...PROMO_WEEK, CUT - 300, CUT - 299, CUT - 298, CUT - 297]);
  const lines = ['date,store,item,promo'];
  for (let day = CUT - 365; day < CUT + HORIZON + 7; day++) for (const item of items) lines.push(`${formatIsoDay(day)},${store},${item},${item === 'a' && promoted.has(day) ? 1 : 0}`);
  const { table } = await readDrivers([Buffer.from(lines.join('\n'))], 'promotions.csv');
  const drivers = driversForStore(table, store, items)!;
  const driversRef = await storage.drivers.write(store, drivers);
  await updateStore(storage.stores, store, (cur) => ({
    ...(cur ?? emptyStore(store, now)),
    history: { blob: history.blob, version: history.version, firstDay: formatIsoDay(CUT - 120), lastDay: formatIsoDay(CUT - 1), items: items.length, observations: 360, updatedAt: now.toISOString() },
    drivers: { blob: driversRef.blob, version: driversRef.version, firstDay: formatIsoDay(drivers.firstDay), lastDay: formatIsoDay(drivers.lastDay), columns: drivers.columns.map((c) => c.name), updatedAt: now.toISOString() },
  }));
  const forecasts = (promotion: boolean): SeriesForecast[] =>
    items.map((item) => {
      const f = Float64Array.from({ length: HORIZON }, (_, i) => (promotion && item === 'a' && PROMO_WEEK.includes(CUT + i) ? 95 : LEVELS[item]!));
      return { store, item, firstDay: CUT, forecast: f, p10: f.map((v) => v * 0.8), p90: f.map((v) => v * 1.2) };
    });
  for (const [runId, promotion] of [[`morning-20170704T050000000Z-${store}`, false], [`morning-20170705T050000000Z-${store}`, true]] as const) {
    await publishRun(storage, { store, runId, modelVersion: 'v1', forecasts: forecasts(promotion), historyVersion: history.version, accuracy: { rmsse: 1, smape: 20, wape: 0.1 }, generatedAt: now });
  }
  await access.setStoreRegion(store, region);
}

interface Recorded {
  status: number;
  contentType: string;
  body: unknown;
}
const recorded: Recorded[] = [];

async function get(url: string, user?: Principal, headers: Record<string, string> = {}) {
  const res = await fetch(`${fx.host.url}/api${url}`, { headers: as(user, headers) });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  const body = contentType.includes('json') ? (JSON.parse(text) as unknown) : text;
  recorded.push({ status: res.status, contentType, body });
  return { status: res.status, body: body as Record<string, any> };
}

beforeAll(async () => {
  fx = await startApiFixture({ benchStores: 2 });
  await seedPromotedStore('p1', 'north');
  await seedPromotedStore('p2', 'south');
});
afterAll(async () => {
  await fx?.stop();
});

describe('GET /attention', () => {
  test("lists the planner's promoted week, ranked by extra units, with the promotion and a link to the day", async () => {
    const r = await get('/attention', USERS.planner);
    expect(r.status).toBe(200);
    const entries: any[] = r.body.items;
    // Another region's store never appears.
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.store))).not.toContain('p2');
    const ours = entries.filter((e) => e.store === 'p1');
    const storeDays = ours.filter((e) => e.kind === 'heightened' && e.item === undefined);
    expect(storeDays.map((e) => e.date).sort()).toEqual(PROMO_WEEK.map(formatIsoDay));
    for (const e of storeDays) expect(e).toMatchObject({ store: 'p1', change: 0.45, units: 45, cause: 'promotion', reason: 'Promotion (promo) on 1 item: a', link: `?store=p1&date=${e.date}` });
    const itemDays = ours.filter((e) => e.kind === 'heightened' && e.item !== undefined);
    expect(itemDays.map((e) => [e.item, e.change])).toEqual(PROMO_WEEK.map(() => ['a', 0.9]));
    // Heightened first, by extra units; then the days that changed against the flat previous run.
    const changed = ours.filter((e) => e.kind === 'changed');
    expect(changed.map((e) => e.date).sort()).toEqual(PROMO_WEEK.map(formatIsoDay));
    expect(changed[0]).toMatchObject({ change: 0.45, units: 45, reason: '145 units, against 100 in the previous run' });
    expect(ours.map((e) => e.kind)).toEqual([...new Array(storeDays.length + itemDays.length).fill('heightened'), ...new Array(changed.length).fill('changed')]);
    const heightenedUnits = entries.filter((e) => e.kind === 'heightened').map((e) => e.units);
    expect(heightenedUnits).toEqual([...heightenedUnits].sort((x, y) => y - x));
    expect(r.body.thresholds).toEqual({ heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 });
  });

  test('stores= and from/to narrow the list; an admin sees every region', async () => {
    const narrow = await get(`/attention?stores=p1&from=${formatIsoDay(CUT + 8)}&to=${formatIsoDay(CUT + 9)}`, USERS.planner);
    expect(narrow.status).toBe(200);
    expect(narrow.body).toMatchObject({ from: formatIsoDay(CUT + 8), to: formatIsoDay(CUT + 9) });
    expect(new Set(narrow.body.items.map((e: any) => e.date))).toEqual(new Set([formatIsoDay(CUT + 8), formatIsoDay(CUT + 9)]));
    const admin = await get('/attention?stores=p1,p2', USERS.admin);
    expect(new Set(admin.body.items.map((e: any) => e.store))).toEqual(new Set(['p1', 'p2']));
  });

  test("403 for another region's store, 400 on bad parameters, 401 without a principal, 406 for CSV", async () => {
    const foreign = await get('/attention?stores=p1,p2', USERS.planner);
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('forbidden');
    expect(foreign.body.error.message).toContain('p2');
    for (const bad of ['/attention?from=2017-13-01', '/attention?from=2017-07-10&to=2017-07-01', '/attention?stores=', '/attention?store=p1', '/attention?stores=a%20b']) {
      const r = await get(bad, USERS.planner);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    }
    expect((await get('/attention')).status).toBe(401);
    expect((await get('/attention', USERS.nobody)).status).toBe(403);
    expect((await get('/attention', USERS.planner, { accept: 'text/csv' })).status).toBe(406);
  });

  test("a planner's promotion override on an item never promoted is a new-promotion entry naming the override", async () => {
    const at = new Date();
    const from = formatIsoDay(CUT + 2);
    const to = formatIsoDay(CUT + 3);
    const override: Override = { id: newOverrideId(at), store: 'p1', from, to, items: ['b'], kind: 'promotion', value: 1, driver: 'promo', note: 'Flyer', by: USERS.planner.userDetails, at: at.toISOString(), version: 1 };
    await fx.storage.overrides!.create(override, { id: newOverrideId(at), override: override.id, action: 'create', at: override.at, by: override.by, note: override.note, before: null, after: override, numbers: { before: [], after: [] }, from, to, items: ['b'] });
    const r = await get('/attention?stores=p1', USERS.planner);
    expect(r.status).toBe(200);
    expect(r.body.items.filter((e: any) => e.kind === 'new-promotion')).toEqual([
      { store: 'p1', date: from, item: 'b', kind: 'new-promotion', change: null, units: null, cause: 'few-promotions', reason: `Planned promotion (override by ${USERS.planner.userDetails}) starts: b was promoted on 0 days of the last year: the uplift is borrowed from the store's other items`, link: `?store=p1&date=${from}` },
    ]);
  });

  test('every recorded response validates against docs/openapi.yaml', () => {
    const { doc, ajv, deref } = loadOpenApi();
    const op = doc.paths['/attention']?.get;
    expect(op, 'GET /attention documented').toBeDefined();
    const problems: string[] = [];
    const seen = new Set<number>();
    for (const r of recorded) {
      seen.add(r.status);
      const content = deref(op.responses[String(r.status)])?.content?.[r.contentType.split(';')[0]!.trim()];
      if (content === undefined) {
        problems.push(`${r.status} ${r.contentType} not documented`);
        continue;
      }
      const validate = ajv.compile(JSON.parse(JSON.stringify(content.schema).replace(/"#\/components/g, '"openapi#/components')));
      if (!validate(r.body)) problems.push(`${r.status}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(problems).toEqual([]);
    expect([...seen].sort()).toEqual([200, 400, 401, 403, 406]);
  });
});

describe('GET /attention answer size (FOREACT_API_MAX_CELLS = 1,000)', () => {
  let small: ApiFixture;
  beforeAll(async () => {
    // Two east stores of 20 items × 28 days (1,120 values) beside the fixture's 252.
    small = await startApiFixture({ env: { FOREACT_API_MAX_CELLS: '1000' }, benchStores: 2, benchItems: 20 });
  });
  afterAll(async () => {
    await small?.stop();
  });

  test('counts every item of every store read, as /forecasts: 400 past the cap, naming it; a narrower stores= answers', async () => {
    const all = await fetch(`${small.host.url}/api/attention`, { headers: as(USERS.admin) });
    expect(all.status).toBe(400);
    expect(((await all.json()) as { error: { message: string } }).error.message).toMatch(/1,372 store × item × day values.*FOREACT_API_MAX_CELLS/);
    const narrow = await fetch(`${small.host.url}/api/attention?stores=1,2,3`, { headers: as(USERS.admin) });
    expect(narrow.status).toBe(200);
    // The planner's own stores (north: 1, 2, 4) are under the cap without asking.
    expect((await fetch(`${small.host.url}/api/attention`, { headers: as(USERS.planner) })).status).toBe(200);
  });
});
