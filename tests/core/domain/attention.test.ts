import { describe, expect, it } from 'vitest';
import { driversForStore, formatIsoDay, parseIsoDay, readDrivers, type SeriesHistory, type StoreDrivers } from '../../../engine/index.js';
import { DEFAULT_ATTENTION_SETTINGS, NORMAL_DAYS, rankEntries, recentItemSales, storeAttention, type AttentionEntry, type AttentionSettings, type StoreInputs } from '../../../core/domain/attention.js';
import { historyTotals } from '../../../core/domain/api-service.js';
import type { ForecastRow, StoreState } from '../../../core/domain/model.js';
import type { RealisedSummary } from '../../../core/domain/realised.js';
import type { Override } from '../../../core/domain/overrides.js';

/** The first forecast day of every hand-made store (a Monday). */
const CUT = parseIsoDay('2024-03-04')!;
const HORIZON = 14;
const HISTORY_DAYS = 200;
const LEVELS: Record<string, number> = { A: 50, B: 30, C: 20 };

interface Spec {
  store?: string;
  /** Units of an item on a history day (default its level every day). */
  sold?: (item: string, day: number) => number;
  /** Units forecast for an item on a horizon day (default its level). */
  forecast?: (item: string, day: number) => number;
  /** The previous run's forecast (default none); it started a day earlier, as yesterday's did. */
  previous?: (item: string, day: number) => number;
  /** Days each item was or will be on promotion. */
  promoted?: Record<string, number[]>;
  closed?: number[];
  events?: Record<number, string>;
  realised?: RealisedSummary | null;
  backtestWape?: number;
  /** Items sold only from this day on (history starts there). */
  firstSold?: Record<string, number>;
  items?: string[];
}

async function driversOf(spec: Spec, items: string[]): Promise<StoreDrivers> {
  const lines = ['date,store,item,promo,open,holiday'];
  for (let day = CUT - HISTORY_DAYS; day < CUT + HORIZON + 7; day++) {
    const date = formatIsoDay(day);
    lines.push(`${date},S,,,${spec.closed?.includes(day) ? 0 : 1},${spec.events?.[day] ?? ''}`);
    for (const item of items) lines.push(`${date},S,${item},${spec.promoted?.[item]?.includes(day) ? 1 : 0},,`);
  }
  const { table, errors } = await readDrivers([Buffer.from(lines.join('\n'))], 'd.csv');
  expect(errors).toEqual([]);
  return driversForStore(table, 'S', items)!;
}

async function inputs(spec: Spec): Promise<StoreInputs> {
  const store = spec.store ?? 'S';
  const items = spec.items ?? Object.keys(LEVELS);
  const level = (item: string): number => LEVELS[item] ?? 10;
  const series: SeriesHistory[] = items.map((item) => {
    const start = spec.firstSold?.[item] ?? CUT - HISTORY_DAYS;
    return { store, item, startDay: start, values: Float64Array.from({ length: CUT - start }, (_, i) => spec.sold?.(item, start + i) ?? level(item)) };
  });
  const row = (runId: string, first: number, f: (item: string, day: number) => number) => (item: string): ForecastRow => ({
    store,
    item,
    runId,
    modelVersion: 'v',
    firstDay: formatIsoDay(first),
    forecast: Array.from({ length: HORIZON }, (_, i) => f(item, first + i)),
    p10: new Array<number>(HORIZON).fill(0),
    p90: new Array<number>(HORIZON).fill(1000),
  });
  const state: StoreState = {
    store,
    current: { runId: 'run-2', generatedAt: '2024-03-04T05:00:00Z', modelVersion: 'v', firstDay: formatIsoDay(CUT), horizon: HORIZON, items: items.length, historyVersion: 'h', accuracy: { rmsse: null, smape: null, wape: spec.backtestWape ?? 0.15 } },
    previousRunId: 'run-1',
    stale: false,
    updatedAt: '2024-03-04T05:00:00Z',
  };
  return {
    store,
    state,
    rows: items.map(row('run-2', CUT, spec.forecast ?? ((item) => level(item)))),
    previousRows: spec.previous === undefined ? undefined : items.map(row('run-1', CUT - 1, spec.previous)),
    totals: historyTotals(series),
    items: recentItemSales(series),
    drivers: await driversOf(spec, items),
    realised: spec.realised,
  };
}

const horizonOf = (input: StoreInputs, settings: AttentionSettings = DEFAULT_ATTENTION_SETTINGS): AttentionEntry[] => storeAttention(input, CUT, CUT + HORIZON - 1, settings);
const PROMO_WEEK = [7, 8, 9, 10, 11, 12, 13].map((d) => CUT + d);
/** Item A promoted every fourth week in the past (the engine has seen its promotions) and in the second week ahead. */
const PAST_PROMOTIONS = Array.from({ length: 20 }, (_, k) => CUT - 170 + 28 * Math.floor(k / 4) + (k % 4)).filter((d) => d < CUT - NORMAL_DAYS);

describe('attention: heightened demand', () => {
  it('a flat store needs no attention', async () => {
    const entries = horizonOf(await inputs({ previous: (item) => LEVELS[item]!, realised: { days: 7, wape: 0.14, bias: 0, inside: 6, from: '2024-02-26', to: '2024-03-03' } }));
    expect(entries).toEqual([]);
  });

  it('a promoted week above normal is listed with the promotion as the reason and the right percentage', async () => {
    const spec: Spec = { promoted: { A: [...PAST_PROMOTIONS, ...PROMO_WEEK] }, forecast: (item, day) => (item === 'A' && PROMO_WEEK.includes(day) ? 95 : LEVELS[item]!) };
    const entries = horizonOf(await inputs(spec));
    const storeDays = entries.filter((e) => e.kind === 'heightened' && e.item === undefined);
    expect(storeDays.map((e) => e.date)).toEqual(PROMO_WEEK.map(formatIsoDay));
    // Store total 145 against a normal of 100: +45 %, 45 extra units.
    for (const e of storeDays) expect(e).toMatchObject({ change: 0.45, units: 45, cause: 'promotion', link: `?store=S&date=${e.date}` });
    expect(storeDays[0]!.reason).toBe('Promotion (promo) on 1 item: A');
    // Item A: 95 against 50 (+90 %), listed per day too; B and C stay at their normal.
    const itemDays = entries.filter((e) => e.item !== undefined && e.kind === 'heightened');
    expect(itemDays).toHaveLength(7);
    expect(itemDays.every((e) => e.item === 'A' && e.change === 0.9 && e.units === 45 && e.reason === 'Promotion (promo)')).toBe(true);
    // A has been promoted before: no new-promotion entry.
    expect(entries.filter((e) => e.kind === 'new-promotion')).toEqual([]);
  });

  it("leaves past promoted days out of the weekday's normal", async () => {
    // In the last 8 weeks, A doubled on every other Thursday it was promoted; the normal is its 50 unpromoted units.
    const thursdays = Array.from({ length: 8 }, (_, k) => CUT - 4 - 7 * k).filter((_, k) => k % 2 === 0);
    const thursday = CUT + 3;
    const spec: Spec = {
      promoted: { A: [...PAST_PROMOTIONS, ...thursdays, thursday] },
      sold: (item, day) => (item === 'A' && thursdays.includes(day) ? 100 : LEVELS[item]!),
      forecast: (item, day) => (item === 'A' && day === thursday ? 100 : LEVELS[item]!),
    };
    const [storeDay] = horizonOf(await inputs(spec)).filter((e) => e.kind === 'heightened' && e.item === undefined);
    expect(storeDay).toMatchObject({ date: formatIsoDay(thursday), change: 0.5, units: 50 });
  });

  it('ranks by extra units, largest first, across stores', async () => {
    const spec = (store: string, lift: number[]): Spec => ({ store, forecast: (item, day) => LEVELS[item]! + (item === 'A' ? (lift[day - CUT] ?? 0) : 0) });
    const a = horizonOf(await inputs(spec('S1', [40, 0, 80])), { ...DEFAULT_ATTENTION_SETTINGS, maxItemEntries: 0 });
    const b = horizonOf(await inputs(spec('S2', [0, 60])), { ...DEFAULT_ATTENTION_SETTINGS, maxItemEntries: 0 });
    const ranked = rankEntries([...a, ...b]);
    expect(ranked.map((e) => [e.store, e.date, e.units])).toEqual([
      ['S1', formatIsoDay(CUT + 2), 80],
      ['S2', formatIsoDay(CUT + 1), 60],
      ['S1', formatIsoDay(CUT), 40],
    ]);
    // Nothing explains these rises: no driver, a flat history.
    expect(ranked[0]).toMatchObject({ cause: 'seasonal', reason: 'Seasonal pattern: no promotion, event, closure or rising trend on record' });
  });

  it('respects the thresholds: the percentage, the least extra units and the cap on item-days', async () => {
    const input = await inputs({ forecast: (item, day) => (item === 'A' && PROMO_WEEK.includes(day) ? 95 : LEVELS[item]!) });
    const count = (s: Partial<AttentionSettings>, item: boolean): number => horizonOf(input, { ...DEFAULT_ATTENTION_SETTINGS, ...s }).filter((e) => e.kind === 'heightened' && (e.item !== undefined) === item).length;
    expect(count({}, false)).toBe(7);
    expect(count({ heightenedPercent: 44 }, false)).toBe(7);
    expect(count({ heightenedPercent: 46 }, false)).toBe(0);
    expect(count({ minUnits: 46 }, false)).toBe(0);
    expect(count({ maxItemEntries: 3 }, true)).toBe(3);
    expect(count({ heightenedPercent: 91 }, true)).toBe(0);
  });

  it('names the day before a closure, an event and a rising trend', async () => {
    const input = await inputs({
      closed: [CUT + 3],
      events: { [CUT + 5]: 'Harvest Festival' },
      forecast: (item, day) => (day === CUT + 3 ? 0 : day === CUT + 2 || day === CUT + 5 ? LEVELS[item]! * 1.4 : LEVELS[item]!),
    });
    const entries = horizonOf(input).filter((e) => e.item === undefined);
    expect(entries.map((e) => [e.date, e.cause, e.change, e.reason])).toEqual([
      [formatIsoDay(CUT + 2), 'closure-eve', 0.4, `The day before a closure (${formatIsoDay(CUT + 3)})`],
      [formatIsoDay(CUT + 5), 'event', 0.4, 'Event: Harvest Festival'],
    ]);
    // A store closed every Sunday: a busy Saturday is its weekday's normal business, not the eve of news.
    const sundays = Array.from({ length: 40 }, (_, k) => CUT - 1 - 7 * k + 7 * 4);
    const weekly = await inputs({ closed: sundays, sold: (item, day) => (sundays.includes(day) ? 0 : LEVELS[item]!), forecast: (item, day) => (sundays.includes(day) ? 0 : day === CUT + 5 ? LEVELS[item]! * 1.4 : LEVELS[item]!) });
    const [saturday] = horizonOf(weekly).filter((e) => e.item === undefined);
    expect(saturday).toMatchObject({ date: formatIsoDay(CUT + 5), change: 0.4, cause: 'seasonal' });
    // A store whose last 4 weeks sold 25 % more than the 4 before: the trend.
    const rising = await inputs({ sold: (item, day) => LEVELS[item]! * (day >= CUT - 28 ? 1.25 : 1), forecast: (item, day) => LEVELS[item]! * (day === CUT + 1 ? 1.8 : 1) });
    const [trend] = horizonOf(rising).filter((e) => e.item === undefined);
    expect(trend).toMatchObject({ date: formatIsoDay(CUT + 1), cause: 'trend', reason: 'Rising trend: the last 4 weeks sold 25 % more than the 4 before' });
  });
});

describe('attention: changes, accuracy, new promotions', () => {
  it('lists store-days whose total moved more than the setting against the previous run', async () => {
    // Day 4: 100 → 75 (−25 %); day 6: 100 → 110 (+10 %, under 20 %).
    const input = await inputs({ forecast: (item, day) => LEVELS[item]! * (day === CUT + 4 ? 0.75 : day === CUT + 6 ? 1.1 : 1), previous: (item) => LEVELS[item]! });
    const changed = horizonOf(input).filter((e) => e.kind === 'changed');
    expect(changed).toEqual([{ store: 'S', date: formatIsoDay(CUT + 4), kind: 'changed', change: -0.25, units: -25, cause: 'previous-run', reason: '75 units, against 100 in the previous run', link: `?store=S&date=${formatIsoDay(CUT + 4)}` }]);
    expect(horizonOf(input, { ...DEFAULT_ATTENTION_SETTINGS, changedPercent: 5 }).filter((e) => e.kind === 'changed')).toHaveLength(2);
    // No previous run (or one that could not be read): nothing to compare with.
    expect(horizonOf({ ...input, previousRows: undefined }).filter((e) => e.kind === 'changed')).toEqual([]);
  });

  it('lists a store whose realised WAPE dropped well below its backtest, with both numbers', async () => {
    const realised = (wape: number): RealisedSummary => ({ days: 7, wape, bias: 0.1, inside: 3, from: '2024-02-26', to: '2024-03-03' });
    const dropped = horizonOf(await inputs({ realised: realised(0.31), backtestWape: 0.15 }));
    expect(dropped).toEqual([
      { store: 'S', date: '2024-03-03', kind: 'accuracy', change: 1.067, units: null, cause: 'realised-accuracy', reason: 'Realised WAPE 31 % over the last 7 days with sales (2024-02-26 to 2024-03-03), against 15 % in the backtest', link: '?store=S&date=2024-03-03' },
    ]);
    // Within the margin (1.25× and 5 points), or too few days: nothing.
    expect(horizonOf(await inputs({ realised: realised(0.18), backtestWape: 0.15 }))).toEqual([]);
    expect(horizonOf(await inputs({ realised: { ...realised(0.5), days: 2 }, backtestWape: 0.15 }))).toEqual([]);
    // About the store, not a day of the range: listed whatever the range.
    expect(storeAttention(await inputs({ realised: realised(0.31), backtestWape: 0.15 }), CUT + 40, CUT + 45, DEFAULT_ATTENTION_SETTINGS)).toEqual(dropped);
  });

  it('lists promotions starting on a young item and on an item never promoted, not on one promoted before', async () => {
    const items = ['A', 'B', 'D'];
    const input = await inputs({ items, firstSold: { D: CUT - 10 }, promoted: { A: [...PAST_PROMOTIONS, ...PROMO_WEEK], B: PROMO_WEEK, D: [CUT + 2, CUT + 3] } });
    const fresh = horizonOf(input).filter((e) => e.kind === 'new-promotion');
    expect(fresh.map((e) => [e.item, e.date, e.cause])).toEqual([
      ['D', formatIsoDay(CUT + 2), 'new-item'],
      ['B', formatIsoDay(CUT + 7), 'few-promotions'],
    ]);
    expect(fresh[0]!.reason).toBe(`Promotion (promo) starts: D first sold 10 days ago (${formatIsoDay(CUT - 10)}): too young for an uplift of its own`);
    expect(fresh[1]!.reason).toBe("Promotion (promo) starts: B was promoted on 0 days of the last year: the uplift is borrowed from the store's other items");
    // Outside the asked range: not listed.
    expect(storeAttention(input, CUT + 8, CUT + 13, DEFAULT_ATTENTION_SETTINGS).filter((e) => e.kind === 'new-promotion')).toEqual([]);
  });

  it("lists a planner's promotion override on an item the engine has no uplift for, and names it as planned in the heightened reason", async () => {
    const planned = (o: Partial<Override>): Override => ({ id: 'o1', store: 'S', from: formatIsoDay(CUT + 2), to: formatIsoDay(CUT + 4), kind: 'promotion', value: 1, driver: 'promo', note: 'Flyer', by: 'pat@contoso.com', at: '2024-03-04T08:00:00Z', version: 1, ...o });
    const days = [CUT + 2, CUT + 3, CUT + 4];
    // A has been promoted before (its uplift is its own); B never was; D first sold 10 days ago. The stored drivers promote nothing ahead.
    const input = await inputs({ items: ['A', 'B', 'D'], firstSold: { D: CUT - 10 }, promoted: { A: PAST_PROMOTIONS }, forecast: (item, day) => (item === 'B' && days.includes(day) ? 60 : (LEVELS[item] ?? 10)) });
    expect(horizonOf(input).filter((e) => e.kind === 'new-promotion')).toEqual([]);
    const withOverride = horizonOf({ ...input, promotionOverrides: [planned({ items: ['A', 'B'] }), planned({ id: 'o2', items: ['D'], from: formatIsoDay(CUT + 9), to: formatIsoDay(CUT + 9) })] });
    const fresh = withOverride.filter((e) => e.kind === 'new-promotion');
    expect(fresh.map((e) => [e.item, e.date, e.cause, e.reason])).toEqual([
      ['B', formatIsoDay(CUT + 2), 'few-promotions', "Planned promotion (override by pat@contoso.com) starts: B was promoted on 0 days of the last year: the uplift is borrowed from the store's other items"],
      ['D', formatIsoDay(CUT + 9), 'new-item', `Planned promotion (override by pat@contoso.com) starts: D first sold 10 days ago (${formatIsoDay(CUT - 10)}): too young for an uplift of its own`],
    ]);
    expect(fresh[0]!.link).toBe(`?store=S&date=${formatIsoDay(CUT + 2)}`);
    // B's rise on the planned days is explained by the override, item-day and store-day.
    const itemDays = withOverride.filter((e) => e.kind === 'heightened' && e.item === 'B');
    expect(itemDays.map((e) => [e.date, e.cause, e.reason])).toEqual(days.map((d) => [formatIsoDay(d), 'promotion', 'Promotion (planned promotion, override by pat@contoso.com)']));
    const storeDays = withOverride.filter((e) => e.kind === 'heightened' && e.item === undefined);
    expect(storeDays.map((e) => e.reason)).toEqual(days.map(() => 'Promotion (planned promotion, override by pat@contoso.com) on 2 items: A, B'));
    // A store-wide promotion override promotes every item of the run; one that continues a recorded promotion does not start one.
    const storeWide = horizonOf({ ...input, promotionOverrides: [planned({})] }).filter((e) => e.kind === 'new-promotion');
    expect(storeWide.map((e) => e.item)).toEqual(['B', 'D']);
    const continued = await inputs({ items: ['A', 'B'], promoted: { B: [CUT, CUT + 1] } });
    const carriedOn = horizonOf({ ...continued, promotionOverrides: [planned({ items: ['B'] })] }).filter((e) => e.kind === 'new-promotion');
    expect(carriedOn.map((e) => [e.item, e.date, e.reason])).toEqual([['B', formatIsoDay(CUT), "Promotion (promo) starts: B was promoted on 0 days of the last year: the uplift is borrowed from the store's other items"]]);
  });
});

describe('recentItemSales', () => {
  it("keeps each item's last days and its first day with a sale", () => {
    const series: SeriesHistory[] = [
      { store: 'S', item: 'x', startDay: 100, values: Float64Array.from([0, 0, 3, 4, 5]) },
      { store: 'S', item: 'y', startDay: 102, values: Float64Array.from([0, 0, 0]) },
    ];
    const r = recentItemSales(series, 4)!;
    expect(r.startDay).toBe(101);
    expect(r.items.get('x')).toEqual({ firstSaleDay: 102, sales: [0, 3, 4, 5] });
    expect(r.items.get('y')).toEqual({ firstSaleDay: null, sales: [Number.NaN, 0, 0, 0] });
  });
});
