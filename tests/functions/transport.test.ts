import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { as, SAME_SITE, startApiFixture, USERS, type ApiFixture } from './harness.js';
import { readStoreAttributes, sumQuantiles } from '../../engine/index.js';
import { syntheticForecasts } from './harness.js';
import { epochDayFromCivil } from '../../engine/index.js';
import { ITEM_MASTER_BLOB } from '../../core/adapters/azure/item-master.js';
import { STORE_ATTRIBUTES_BLOB } from '../../core/adapters/azure/store-attributes.js';

/**
 * GET /api/transport with service levels and units, through the local host on Azurite: level and unit echoed,
 * values at the level in units, cases, pallets and trucks from a known item master and store file, items
 * without pack sizes listed and counted in units, receiving limits, the CSV, 400s, scoping.
 */

interface TransportBody {
  level: string;
  unit: string;
  stores: { store: string; firstDate: string | null; adjusted?: number[]; units: number[]; p10: number[]; p90: number[]; value: number[] | null; reason?: string; unconvertedUnits?: number[]; overLimit: string[]; truckPallets: number | null; receivingLimitPallets: number | null }[];
  totals: { firstDate: string; units: number[]; adjusted?: number[]; value: number[]; unconvertedUnits?: number[]; excludedStores: string[] } | null;
  unconverted: { items: string[] };
  calibration: { source: string | null; days: number; shares: Record<string, number | null> };
  notices: string[];
}

describe('GET /api/transport: service levels and units', () => {
  let fx: ApiFixture;
  const range = 'from=2017-07-06&to=2017-07-19';

  async function get(query: string, user = USERS.admin, accept = 'application/json'): Promise<Response> {
    return fetch(`${fx.host.url}/api/transport?${query}`, { headers: as(user, { accept }) });
  }
  async function body(query: string, user = USERS.admin): Promise<TransportBody> {
    const res = await get(query, user);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as TransportBody;
  }

  beforeAll(async () => {
    // No read caches: each test's uploads show at once.
    fx = await startApiFixture({ benchStores: 0, env: { FOREACT_API_POINTER_CACHE_MS: '0' } });
    // Items 1 and 2 come 20 to a pallet (10 × 2, 5 × 4); items 3 and 4 (store 2 only) have no pack sizes.
    await fx.storage.items!.write(new Map([['1', { unitsPerCase: 10, casesPerPallet: 2 }], ['2', { unitsPerCase: 5, casesPerPallet: 4 }]]));
    const { table, errors } = await readStoreAttributes(['store,type,truck_pallets,receiving_limit_pallets\n3,a,1,2.3\n2,b,,\n']);
    expect(errors).toEqual([]);
    await fx.storage.attributes.write(table);
  }, 120_000);

  afterAll(async () => {
    await fx?.stop();
  });

  test('defaults p50 in units, echoed; units, p10 and p90 are as before', async () => {
    const b = await body(`stores=2,3&${range}`);
    expect(b.level).toBe('p50');
    expect(b.unit).toBe('units');
    const s3 = b.stores.find((s) => s.store === '3')!;
    // Store 3's items: forecast 10 + d and 20 + d, so units = 30 + 2d.
    expect(s3.units.slice(0, 3)).toEqual([30, 32, 34]);
    expect(s3.value).toHaveLength(14);
    expect(b.unconverted.items).toEqual([]);
    expect(s3.unconvertedUnits).toBeUndefined();
    expect(b.totals!.value).toHaveLength(14);
    expect(b.notices).toEqual([]);
  });

  test('value rises with the level, per store and in the region total', async () => {
    const levels = ['p50', 'p80', 'p90', 'p95'];
    const answers = await Promise.all(levels.map((l) => body(`stores=2,3&${range}&level=${l}`)));
    answers.forEach((a, k) => expect(a.level).toBe(levels[k]));
    for (let k = 1; k < levels.length; k++) {
      for (let d = 0; d < 14; d++) {
        expect(answers[k]!.stores[0]!.value![d]!).toBeGreaterThan(answers[k - 1]!.stores[0]!.value![d]!);
        expect(answers[k]!.totals!.value[d]!).toBeGreaterThan(answers[k - 1]!.totals!.value[d]!);
      }
    }
    // The p90 of a total is not the sum of the items' p90s (independent items here: rho 0 without a backtest).
    const p90 = answers[2]!.stores.find((s) => s.store === '3')!;
    expect(p90.value![0]!).toBeLessThan(p90.p90[0]! + 1e-9 + (12 + 24) - Math.sqrt(2 * 2 + 4 * 4));
  });

  test('pallets from the item master; items without pack sizes listed and counted in units, not as 0 pallets', async () => {
    const units = await body(`stores=2,3&${range}&level=p90`);
    const pallets = await body(`stores=2,3&${range}&level=p90&unit=pallets`);
    expect(pallets.unit).toBe('pallets');
    // Store 3 holds items 1 and 2 only, both 20 units a pallet: its pallets are its units / 20 at any level.
    const u3 = units.stores.find((s) => s.store === '3')!.value!;
    const p3 = pallets.stores.find((s) => s.store === '3')!;
    p3.value!.forEach((v, d) => expect(v).toBeCloseTo(u3[d]! / 20, 2));
    expect(p3.unconvertedUnits).toBeUndefined();
    // Store 2: items 3 and 4 have no pack sizes.
    expect(pallets.unconverted.items).toEqual(['3', '4']);
    const p2 = pallets.stores.find((s) => s.store === '2')!;
    const first = epochDayFromCivil(2017, 7, 6);
    const [i1, i2, i3, i4] = syntheticForecasts('2', 4, first, 14).map((f) => ({ mean: f.forecast[0]!, p10: f.p10[0]!, p90: f.p90[0]! }));
    const scale = (m: { mean: number; p10: number; p90: number }) => ({ mean: m.mean / 20, p10: m.p10 / 20, p90: m.p90 / 20 });
    expect(p2.value![0]).toBeCloseTo(sumQuantiles([scale(i1!), scale(i2!)], 0).quantiles.p90, 2);
    expect(p2.unconvertedUnits![0]).toBeCloseTo(sumQuantiles([i3!, i4!], 0).quantiles.p90, 2);
    expect(pallets.totals!.unconvertedUnits).toHaveLength(14);
    const cases = await body(`stores=3&${range}&unit=cases`);
    const unitsP50 = await body(`stores=3&${range}`);
    // Item 1: 10 a case, item 2: 5 a case; day 0 forecasts 10 and 20 units → 1 + 4 = 5 cases at the mean.
    expect(cases.stores[0]!.value![0]).toBeGreaterThan(unitsP50.stores[0]!.value![0]! / 10);
    expect(cases.stores[0]!.value![0]).toBeLessThan(unitsP50.stores[0]!.value![0]! / 5);
  });

  test('trucks: each store-day rounded up from its pallets; a store without a truck capacity is null with a reason', async () => {
    const pallets = await body(`stores=2,3&${range}&level=p80&unit=pallets`);
    const trucks = await body(`stores=2,3&${range}&level=p80&unit=trucks`);
    const t3 = trucks.stores.find((s) => s.store === '3')!;
    expect(t3.truckPallets).toBe(1);
    const p3 = pallets.stores.find((s) => s.store === '3')!.value!;
    t3.value!.forEach((t, d) => expect(t).toBe(Math.ceil(p3[d]!)));
    // Rounded up, not to the nearest: some day needs a truck for less than half a truck's pallets.
    expect(p3.some((p, d) => p - Math.floor(p) < 0.5 && p % 1 > 0 && t3.value![d] === Math.floor(p) + 1)).toBe(true);
    expect(t3.value!.every(Number.isInteger)).toBe(true);
    expect(new Set(t3.value).size).toBeGreaterThan(1);
    const t2 = trucks.stores.find((s) => s.store === '2')!;
    expect(t2.value).toBeNull();
    expect(t2.reason).toMatch(/no truck capacity/);
    expect(t2.truckPallets).toBeNull();
    // The region books each store's own trucks: the total is store 3's, store 2 is named as left out.
    expect(trucks.totals!.value).toEqual(t3.value);
    expect(trucks.totals!.excludedStores).toEqual(['2']);
  });

  test('days over a store receiving limit are marked, at the level asked', async () => {
    const pallets = await body(`stores=3&${range}&level=p50&unit=pallets`);
    const s = pallets.stores[0]!;
    expect(s.receivingLimitPallets).toBe(2.3);
    const expected = s.value!.flatMap((v, d) => (v > 2.3 ? [`2017-07-${String(6 + d).padStart(2, '0')}`] : []));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(14);
    expect(s.overLimit).toEqual(expected);
    // In units the limit is still in pallets; at p95 more days are over it.
    const units = await body(`stores=3&${range}&level=p50`);
    expect(units.stores[0]!.overLimit).toEqual(expected);
    expect((await body(`stores=3&${range}&level=p95`)).stores[0]!.overLimit.length).toBeGreaterThan(expected.length);
  });

  test('CSV gains level, unit, value, adjusted, unconverted_units and over_limit', async () => {
    const res = await get(`stores=2,3&${range}&level=p90&unit=trucks`, USERS.admin, 'text/csv');
    expect(res.status).toBe(200);
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('date,store,units,p10,p90,closed,level,unit,value,adjusted,unconverted_units,over_limit');
    const json = await body(`stores=2,3&${range}&level=p90&unit=trucks`);
    const s3 = json.stores.find((s) => s.store === '3')!;
    const row = lines.find((l) => l.startsWith('2017-07-06,3,'))!.split(',');
    expect(row.slice(6, 9)).toEqual(['p90', 'trucks', String(s3.value![0])]);
    expect(row[11]).toBe(s3.overLimit.includes('2017-07-06') ? '1' : '0');
    // Store 2 has no truck capacity: its value cell is empty, never 0; its unconverted units are there.
    const row2 = lines.find((l) => l.startsWith('2017-07-06,2,'))!.split(',');
    expect(row2[8]).toBe('');
    expect(Number(row2[10])).toBeGreaterThan(0);
  });

  test('bad level or unit: 400 naming the parameter', async () => {
    for (const [query, name] of [['level=p99', 'level'], ['unit=boxes', 'unit'], ['level=P90', 'level']] as const) {
      const res = await get(`stores=2&${query}`);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain(`"\\"${name}\\" must be one of`);
    }
  });

  test('scoping unchanged: a planner sees only their regions, whatever the unit', async () => {
    expect((await get(`stores=3&unit=pallets`, USERS.planner)).status).toBe(403);
    const b = await body(`stores=2&unit=pallets&level=p95`, USERS.planner);
    expect(b.stores.map((s) => s.store)).toEqual(['2']);
    expect((await fetch(`${fx.host.url}/api/transport?stores=2&unit=pallets`, { headers: { accept: 'application/json' } })).status).toBe(401);
  });

  test('calibration: none without a backtest or realised days; the realised ledger once 28 days recorded their quantiles', async () => {
    expect((await body(`stores=3&${range}`)).calibration).toEqual({ source: null, days: 0, shares: { p50: null, p80: null, p90: null, p95: null } });
    const days = Array.from({ length: 30 }, (_, d) => ({
      store: '3',
      date: `2017-06-${String(1 + d).padStart(2, '0')}`,
      runId: 'r',
      actual: 100 + d,
      forecast: 110,
      p10: 90,
      p90: 130,
      // Actuals 100…129 against quantiles 110/120/125/128: below on 11, 21, 26 and 29 of 30 days.
      quantiles: { p50: 110, p80: 120, p90: 125, p95: 128 },
    }));
    await fx.storage.realised.record(days);
    const c = (await body(`stores=3&${range}`)).calibration;
    expect(c.source).toBe('realised');
    expect(c.days).toBe(30);
    expect(c.shares).toEqual({ p50: +(11 / 30).toFixed(3), p80: +(21 / 30).toFixed(3), p90: +(26 / 30).toFixed(3), p95: +(29 / 30).toFixed(3) });
  });

  test('overrides: value is taken with them, units stay the model numbers, adjusted carries the adjusted units (JSON and CSV)', async () => {
    const before = await body(`stores=2,3&${range}&level=p90`);
    expect(before.stores.every((s) => s.adjusted === undefined)).toBe(true);
    const created = await fetch(`${fx.host.url}/api/stores/3/overrides`, {
      method: 'POST',
      headers: as(USERS.admin, { ...SAME_SITE, 'content-type': 'application/json', accept: 'application/json' }),
      body: JSON.stringify({ from: '2017-07-08', to: '2017-07-10', items: ['1'], kind: 'percent', value: 50, note: 'street festival' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const after = await body(`stores=2,3&${range}&level=p90`);
    const [b3, a3] = [before, after].map((b) => b.stores.find((s) => s.store === '3')!);
    expect(a3!.units).toEqual(b3!.units);
    // Item 1 forecasts 10 + d: +50 % adds 5 + d/2 units on days 2…4 (2017-07-08…10).
    expect(a3!.adjusted!.slice(0, 6)).toEqual([30, 32, 34 + 6, 36 + 6.5, 38 + 7, 40]);
    expect(a3!.value![1]).toBeCloseTo(b3!.value![1]!, 6);
    expect(a3!.value![2]!).toBeGreaterThan(b3!.value![2]! + 5);
    expect(after.stores.find((s) => s.store === '2')!.adjusted).toBeUndefined();
    expect(after.totals!.adjusted![2]).toBeCloseTo(after.totals!.units[2]! + 6, 6);
    expect(after.totals!.value[2]!).toBeGreaterThan(before.totals!.value[2]!);
    const csv = (await (await get(`stores=3&${range}&level=p90`, USERS.admin, 'text/csv')).text()).split('\n');
    expect(csv.find((l) => l.startsWith('2017-07-08,3,'))!.split(',')[9]).toBe('40');
    expect(csv.find((l) => l.startsWith('2017-07-06,3,'))!.split(',')[9]).toBe('30');
  });

  test('a tampered item master or store file: 200 in units as without them, items listed as without pack sizes, and a notice saying so', async () => {
    const drivers = fx.storage.clients.container('drivers');
    const good = await body(`stores=2,3&${range}&level=p90&unit=trucks`);
    expect(good.stores.find((s) => s.store === '3')!.value).not.toBeNull();
    await drivers.getBlockBlobClient(ITEM_MASTER_BLOB).uploadData(Buffer.from('{"items": [{"item": "1", "unitsPerCase": "ten"'));
    const pallets = await body(`stores=2,3&${range}&level=p90&unit=pallets`);
    expect(pallets.notices).toHaveLength(1);
    expect(pallets.notices[0]).toMatch(/^The item master could not be read: .+; pack sizes are ignored until it is uploaded again$/);
    // As with no master: every item counted in units, no store has pallets.
    expect(pallets.unconverted.items).toEqual(['1', '2', '3', '4']);
    for (const s of pallets.stores) {
      expect(s.value).toBeNull();
      expect(s.reason).toMatch(/none of the store's items has pack sizes/);
      expect(s.unconvertedUnits).toHaveLength(14);
    }
    const units = await body(`stores=3&${range}&level=p90`);
    expect(units.stores[0]!.value).toHaveLength(14);
    expect(units.notices).toEqual(pallets.notices);
    // The store file too: no truck capacity anywhere, as without a store file.
    await fx.storage.items!.write(new Map([['1', { unitsPerCase: 10, casesPerPallet: 2 }], ['2', { unitsPerCase: 5, casesPerPallet: 4 }]]));
    await drivers.getBlockBlobClient(STORE_ATTRIBUTES_BLOB).uploadData(Buffer.from('not json'));
    const trucks = await body(`stores=2,3&${range}&level=p90&unit=trucks`);
    expect(trucks.notices).toEqual([expect.stringMatching(/^The store file could not be read: .+; truck capacities and receiving limits are ignored until it is uploaded again$/)]);
    expect(trucks.stores.map((s) => [s.store, s.value, s.reason, s.truckPallets])).toEqual([
      ['2', null, 'no truck capacity for this store: give truck_pallets in the store file', null],
      ['3', null, 'no truck capacity for this store: give truck_pallets in the store file', null],
    ]);
    // The CSV answers too.
    expect((await get(`stores=3&${range}&unit=trucks`, USERS.admin, 'text/csv')).status).toBe(200);
    const { table } = await readStoreAttributes(['store,type,truck_pallets,receiving_limit_pallets\n3,a,1,2.3\n2,b,,\n']);
    await fx.storage.attributes.write(table);
    const again = await body(`stores=2,3&${range}&level=p90&unit=trucks`);
    expect(again.notices).toEqual([]);
    expect(again.stores.find((s) => s.store === '3')!.value).toEqual(good.stores.find((s) => s.store === '3')!.value);
  });
});
