import { describe, expect, it } from 'vitest';
import { adjustItems, applyPromotionOverrides, checkOverride, promotionDriver, unexpired, type Override, type OverrideInput, type OverrideRules } from '../../../core/domain/overrides.js';
import { DomainError } from '../../../core/domain/errors.js';
import { driversForStore, driverValue, formatIsoDay, parseIsoDay, readDrivers, trainStore, type StoreDrivers } from '../../../engine/index.js';
import { promoStore } from '../../engine/driver-fixtures.js';
import type { ItemForecastView } from '../../../core/domain/api-views.js';

const item = (id: string, forecast: number[]): ItemForecastView => ({ item: id, firstDate: '2026-03-01', forecast, p10: forecast.map((f) => f / 2), p90: forecast.map((f) => f * 2) });
const override = (o: Partial<Override>): Override => ({ id: 'o1', store: '1', from: '2026-03-02', to: '2026-03-03', kind: 'percent', value: 10, note: 'why', by: 'ada@example.com', at: '2026-03-01T00:00:00Z', version: 1, ...o });

describe('adjustItems', () => {
  it('leaves items without an override untouched (no adjusted)', () => {
    const out = adjustItems([item('a', [1, 2, 3, 4])], []);
    expect(out[0]!.adjusted).toBeUndefined();
    const outside = adjustItems([item('a', [1, 2, 3, 4])], [override({ from: '2026-04-01', to: '2026-04-02' })]);
    expect(outside[0]!.adjusted).toBeUndefined();
  });

  it('percent multiplies the model numbers on its days only, and scales the band', () => {
    const [a] = adjustItems([item('a', [10, 20, 30, 40])], [override({ value: 50 })]);
    expect(a!.adjusted).toEqual([10, 30, 45, 40]);
    expect(a!.forecast).toEqual([10, 20, 30, 40]);
    expect(a!.adjustedP10).toEqual([5, 15, 22.5, 20]);
    expect(a!.adjustedP90).toEqual([20, 60, 90, 80]);
  });

  it('an item override touches only its items', () => {
    const out = adjustItems([item('a', [10, 10, 10, 10]), item('b', [10, 10, 10, 10])], [override({ items: ['b'], kind: 'absolute', value: 3 })]);
    expect(out[0]!.adjusted).toBeUndefined();
    expect(out[1]!.adjusted).toEqual([10, 3, 3, 10]);
  });

  it('a store-wide absolute value is the store-day total, spread in proportion to the model', () => {
    const out = adjustItems([item('a', [10, 30, 0, 1]), item('b', [30, 10, 0, 1])], [override({ kind: 'absolute', value: 100 })]);
    expect(out[0]!.adjusted).toEqual([10, 75, 50, 1]);
    expect(out[1]!.adjusted).toEqual([30, 25, 50, 1]);
    // A zero-model day has no band to scale: it collapses onto the value.
    expect(out[0]!.adjustedP10![2]).toBe(50);
    expect(out[0]!.adjustedP90![2]).toBe(50);
  });

  it('percent −100 zeroes the days', () => {
    const [a] = adjustItems([item('a', [10, 20, 30, 40])], [override({ value: -100 })]);
    expect(a!.adjusted).toEqual([10, 0, 0, 40]);
  });
});

describe('checkOverride', () => {
  const rules: OverrideRules = { firstDay: parseIsoDay('2026-03-01')!, lastDay: parseIsoDay('2026-03-28')!, knownItems: new Set(['a', 'b', 'c']), others: [override({ id: 'x', from: '2026-03-10', to: '2026-03-12', items: ['a'] })] };
  const input = (o: Partial<OverrideInput> = {}): OverrideInput => ({ from: '2026-03-02', to: '2026-03-04', kind: 'percent', value: 10, note: ' promo ', ...o });
  const refusal = (o: Partial<OverrideInput>, r: OverrideRules = rules): string => {
    try {
      checkOverride(input(o), r);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).kind).toBe('invalid');
      return (error as DomainError).message;
    }
    throw new Error('accepted');
  };

  it('accepts a sound override, note trimmed and items sorted', () => {
    expect(checkOverride(input({ items: ['b', 'a', 'b'] }), rules)).toEqual({ from: '2026-03-02', to: '2026-03-04', items: ['a', 'b'], kind: 'percent', value: 10, note: 'promo' });
    // Items apart from the other override's, or days apart: no overlap.
    expect(checkOverride(input({ from: '2026-03-11', to: '2026-03-11', items: ['b'] }), rules).items).toEqual(['b']);
    expect(checkOverride(input({ kind: 'percent', value: -100 }), rules).value).toBe(-100);
  });

  it.each([
    [{ kind: 'absolute' as const, value: -1 }, '"value"'],
    [{ kind: 'percent' as const, value: -100.5 }, '"value"'],
    [{ value: Number.NaN }, '"value"'],
    [{ note: '   ' }, '"note"'],
    [{ note: 'x'.repeat(1001) }, '"note"'],
    [{ from: '2026-03-05', to: '2026-03-04' }, '"to"'],
    [{ from: '2026-02-28' }, '"from"'],
    [{ to: '2026-03-29' }, '"to"'],
    [{ items: ['a', 'zz'] }, '"items"'],
    [{ items: [] }, '"items"'],
    [{ items: Array.from({ length: 201 }, (_, i) => `i${i}`) }, '"items"'],
    [{ from: '2026-03-12', to: '2026-03-14', items: ['a', 'b'] }, 'overlaps override x'],
    [{ from: '2026-03-09', to: '2026-03-10' }, 'overlaps override x'],
    [{ from: '2026-13-01' }, '"from"'],
  ])('refuses %j naming %s', (o, field) => {
    expect(refusal(o)).toContain(field);
  });

  it('refuses more than 366 days, and a store-wide override overlaps every item', () => {
    const long = { ...rules, lastDay: rules.firstDay + 800 };
    expect(refusal({ from: '2026-03-01', to: '2027-03-02' }, long)).toContain('at most 366 days');
    const storeWide = { ...rules, others: [override({ id: 'w', from: '2026-03-03', to: '2026-03-03' })] };
    expect(refusal({ items: ['c'] }, storeWide)).toContain('overlaps override w');
  });

  it('an edit may keep a start that has passed, not move it into the past', () => {
    const edit = { ...rules, keepFrom: '2026-02-20' };
    expect(checkOverride(input({ from: '2026-02-20' }), edit).from).toBe('2026-02-20');
    expect(refusal({ from: '2026-02-21' }, edit)).toContain('"from"');
    // Nor end it before today: what applied in the past stays as it was.
    expect(refusal({ from: '2026-02-20', to: '2026-02-27' }, edit)).toContain('"to"');
  });

  it('expired overrides drop out of the live list', () => {
    const list = [override({ id: 'old', from: '2026-02-01', to: '2026-02-28' }), override({ id: 'now', from: '2026-02-01', to: '2026-03-01' })];
    expect(unexpired(list, parseIsoDay('2026-03-01')).map((o) => o.id)).toEqual(['now']);
  });
});

/** Drivers of store 's' from a CSV (history and future). */
async function driversOf(csv: string, items: string[]): Promise<StoreDrivers> {
  const { table, errors } = await readDrivers([Buffer.from(csv)], 'drivers.csv');
  expect(errors).toEqual([]);
  return driversForStore(table, 's', items)!;
}

/** Items a, b, c over 2026-02-22 … 2026-03-07: `promo` 1 on a's and b's Feb 24–25 (history), `price` everywhere. */
function promoCsv(options: { historyPromotions?: boolean; column?: string } = {}): string {
  const column = options.column ?? 'promo';
  const lines = [`date,store,item,${column},price`];
  for (let day = parseIsoDay('2026-02-22')!; day <= parseIsoDay('2026-03-07')!; day++) {
    const date = formatIsoDay(day);
    for (const item of ['a', 'b', 'c']) {
      const promoted = options.historyPromotions !== false && item !== 'c' && (date === '2026-02-24' || date === '2026-02-25');
      lines.push(`${date},s,${item},${promoted ? 1 : 0},${item === 'a' ? 2.5 : 3}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const FIRST_FORECAST = parseIsoDay('2026-03-01')!;
const promotion = (o: Partial<Override> = {}): Override => override({ id: 'p1', kind: 'promotion', value: 1, driver: 'promo', from: '2026-03-02', to: '2026-03-03', ...o });

describe('promotion overrides', () => {
  it('the promotion driver is the item-level numeric column promoted in the history (not a price), with its usual and promoted values', async () => {
    const drivers = await driversOf(promoCsv(), ['a', 'b', 'c']);
    expect(promotionDriver(drivers, FIRST_FORECAST)).toEqual({ column: 'promo', baseline: 0, promoted: 1, max: 1, days: 4 });
    // Promotions only in the future: nothing to learn an uplift from.
    const none = await driversOf(promoCsv({ historyPromotions: false }), ['a', 'b', 'c']);
    expect(promotionDriver(none, FIRST_FORECAST)).toBeUndefined();
    // Any name works when it behaves as a promotion (the markers' rule); a price never does.
    expect(promotionDriver(await driversOf(promoCsv({ column: 'feature' }), ['a', 'b', 'c']), FIRST_FORECAST)?.column).toBe('feature');
  });

  it('a store without a promotion driver is refused, naming the store and the alternative; with one the value defaults to the promoted value', async () => {
    const rules: OverrideRules = { firstDay: FIRST_FORECAST, lastDay: FIRST_FORECAST + 6, knownItems: new Set(['a', 'b', 'c']), others: [], store: 's' };
    const input: OverrideInput = { from: '2026-03-02', to: '2026-03-03', kind: 'promotion', note: 'flyer' };
    expect(() => checkOverride(input, rules)).toThrow(/"kind": store s has no promotion driver to learn an uplift from.*use a percent override/);
    const withDriver = { ...rules, promotion: promotionDriver(await driversOf(promoCsv(), ['a', 'b', 'c']), FIRST_FORECAST) };
    expect(checkOverride(input, withDriver)).toEqual({ from: '2026-03-02', to: '2026-03-03', kind: 'promotion', value: 1, driver: 'promo', note: 'flyer' });
    // An intensity the history never had would be extrapolated, not learnt; the usual value is no promotion.
    expect(() => checkOverride({ ...input, value: 2 }, withDriver)).toThrow(/"value"/);
    expect(() => checkOverride({ ...input, value: 0 }, withDriver)).toThrow(/"value"/);
    // Percent and absolute still need their value.
    expect(() => checkOverride({ ...input, kind: 'percent' }, withDriver)).toThrow(/"value": is required/);
    // Promotions overlap like the others.
    expect(() => checkOverride(input, { ...withDriver, others: [override({ id: 'q', items: ['b'] })] })).toThrow(/overlaps override q/);
  });

  it('sets the driver on its items and forecast days only, leaving everything else (and the input) as it was', async () => {
    const drivers = await driversOf(promoCsv(), ['a', 'b', 'c']);
    const before = structuredClone(drivers);
    const promo = drivers.columns.findIndex((c) => c.name === 'promo');
    const price = drivers.columns.findIndex((c) => c.name === 'price');
    // From Feb 27 (history): the history's days keep what was recorded; only b and c.
    const { drivers: out, applied, skipped } = applyPromotionOverrides(drivers, [promotion({ from: '2026-02-27', to: '2026-03-03', items: ['b', 'c'] })], ['a', 'b', 'c'], FIRST_FORECAST);
    expect(applied).toEqual(['p1']);
    expect(skipped).toEqual([]);
    const promoted = new Set<string>();
    for (let day = out.firstDay; day <= out.lastDay; day++) {
      for (const item of ['a', 'b', 'c']) {
        if (driverValue(out, promo, item, day) !== driverValue(before, promo, item, day)) promoted.add(`${item} ${formatIsoDay(day)}`);
        expect(driverValue(out, price, item, day)).toBe(driverValue(before, price, item, day));
      }
    }
    expect([...promoted].sort()).toEqual(['b 2026-03-01', 'b 2026-03-02', 'b 2026-03-03', 'c 2026-03-01', 'c 2026-03-02', 'c 2026-03-03']);
    expect(driverValue(out, promo, 'c', parseIsoDay('2026-03-02')!)).toBe(1);
    expect(drivers).toEqual(before);
  });

  it('a store-wide promotion covers every item; the drivers are extended to its last day; other kinds are not applied', async () => {
    const drivers = await driversOf(promoCsv(), ['a', 'b', 'c']);
    const promo = drivers.columns.findIndex((c) => c.name === 'promo');
    const { drivers: out } = applyPromotionOverrides(drivers, [promotion({ from: '2026-03-07', to: '2026-03-09' }), override({ id: 'pc', kind: 'percent', value: 50, from: '2026-03-01', to: '2026-03-01' })], ['a', 'b', 'c'], FIRST_FORECAST);
    expect(out.lastDay).toBe(parseIsoDay('2026-03-09'));
    for (const item of ['a', 'b', 'c']) for (const date of ['2026-03-07', '2026-03-08', '2026-03-09']) expect(driverValue(out, promo, item, parseIsoDay(date)!)).toBe(1);
    expect(driverValue(out, promo, 'a', parseIsoDay('2026-03-01')!)).toBe(0);
    // Days the extension adds are not given for the other columns.
    expect(driverValue(out, drivers.columns.findIndex((c) => c.name === 'price'), 'a', parseIsoDay('2026-03-08')!)).toBeNaN();
  });

  it('does not trust a row read back: an unknown column, a price, unknown items are skipped with a reason', async () => {
    const drivers = await driversOf(promoCsv(), ['a', 'b', 'c']);
    const { drivers: out, applied, skipped } = applyPromotionOverrides(
      drivers,
      [promotion({ id: 'p1', driver: 'nope' }), promotion({ id: 'p2', driver: 'price' }), promotion({ id: 'p3', items: ['zz'] }), promotion({ id: 'p4', driver: undefined })],
      ['a', 'b', 'c'],
      FIRST_FORECAST,
    );
    expect(applied).toEqual([]);
    expect(skipped.map((s) => s.split(':')[0])).toEqual(['promotion override p1', 'promotion override p2', 'promotion override p3', 'promotion override p4']);
    expect(out).toBe(drivers);
  });

  it('adjustItems gives a promotion no adjusted numbers (the rerun model carries it)', () => {
    expect(adjustItems([item('a', [10, 10, 10, 10])], [promotion()])[0]!.adjusted).toBeUndefined();
  });

  it('training with an applied promotion raises those days\' forecast by about the uplift the history shows', async () => {
    const store = promoStore({ uplift: 3, items: 3, days: 500, seed: 21, futureDays: 28 });
    const items = store.series.map((s) => s.item);
    const drivers = await driversOf(store.driversCsv, items);
    const first = store.lastDay + 1;
    // Three forecast days no item has a promotion on in the calendar.
    let from = first + 3;
    while ([0, 1, 2].some((k) => items.some((i) => store.promoDays.get(i)!.has(from + k)))) from++;
    expect(from + 2).toBeLessThan(first + 28);
    const planned = applyPromotionOverrides(drivers, [promotion({ store: 's', from: formatIsoDay(from), to: formatIsoDay(from + 2), items: ['i2'] })], items, first);
    expect(planned.applied).toEqual(['p1']);
    const plain = trainStore(store.series, { horizon: 28, folds: 1, drivers });
    const promoted = trainStore(store.series, { horizon: 28, folds: 1, drivers: planned.drivers });
    const days = (forecasts: typeof plain.forecasts, item: string): number[] => {
      const f = forecasts.find((x) => x.item === item)!;
      return [0, 1, 2].map((k) => f.forecast[from + k - f.firstDay]!);
    };
    const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);
    const ratio = sum(days(promoted.forecasts, 'i2')) / sum(days(plain.forecasts, 'i2'));
    expect(ratio).toBeGreaterThan(2.3);
    expect(ratio).toBeLessThan(3.9);
    // The other items are forecast as without it; so are i2's days a week or more away (the engine models
    // the days around a promotion too).
    expect(days(promoted.forecasts, 'i1')).toEqual(days(plain.forecasts, 'i1'));
    const i2 = (forecasts: typeof plain.forecasts) => Array.from(forecasts.find((x) => x.item === 'i2')!.forecast).filter((_, k) => first + k < from - 7 || first + k > from + 2 + 7);
    expect(i2(promoted.forecasts)).toEqual(i2(plain.forecasts));
  });
});
