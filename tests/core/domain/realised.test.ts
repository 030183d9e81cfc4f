import { describe, expect, test } from 'vitest';
import { realisedDays, realisedSummary } from '../../../core/domain/realised.js';
import type { ForecastRow } from '../../../core/domain/model.js';
import { epochDayFromCivil, sumQuantiles } from '../../../engine/index.js';
import type { Override } from '../../../core/domain/overrides.js';

const day = epochDayFromCivil(2026, 3, 2);
const row = (item: string, forecast: number[], spread: number): ForecastRow => ({ store: 'S', item, runId: 'r1', modelVersion: 'v', firstDay: '2026-03-02', forecast, p10: forecast.map((f) => f - spread), p90: forecast.map((f) => f + spread) });
const series = (item: string, startDay: number, values: number[]) => ({ store: 'S', item, startDay, values: Float64Array.from(values) });

describe('forecast against actual', () => {
  test('store totals of the uploaded days the forecast covered, with the combined band', () => {
    const rows = [row('a', [10, 10, 10], 3), row('b', [5, 5, 5], 4)];
    // The upload brings day 0 (both items) and day 1 (item a only); day 3 is past the forecast.
    const uploaded = [series('a', day, [12, 9, Number.NaN, 7]), series('b', day, [6])];
    const history = [series('a', day - 1, [1, 12, 9, Number.NaN, 7]), series('b', day - 1, [1, 6, 4])];
    const days = realisedDays('S', 'r1', rows, uploaded, history);
    expect(days.map((d) => d.date)).toEqual(['2026-03-02', '2026-03-03']);
    // Day 1's actual counts item b from the history too: the store total is what was sold.
    expect(days.map((d) => d.actual)).toEqual([18, 13]);
    expect(days[0]).toMatchObject({ forecast: 15, runId: 'r1' });
    expect(days[0]!.p10).toBeCloseTo(15 - 5, 3);
    expect(days[0]!.p90).toBeCloseTo(15 + 5, 3);
  });

  test('each day keeps its total\'s quantiles and, where an override applied, the adjusted total and who adjusted it', () => {
    const rows = [row('a', [10, 10, 10], 3), row('b', [5, 5, 5], 4)];
    const uploaded = [series('a', day, [12, 9, 8]), series('b', day, [6, 4, 4])];
    const override = (o: Partial<Override>): Override => ({ id: 'o', store: 'S', from: '2026-03-03', to: '2026-03-03', kind: 'percent', value: 100, note: 'n', by: 'ann@contoso.com', at: '2026-03-01T00:00:00Z', version: 1, ...o });
    const overrides = [override({ items: ['a'] }), override({ id: 'p', from: '2026-03-04', to: '2026-03-04', kind: 'absolute', value: 30, by: 'bob@contoso.com' })];
    const days = realisedDays('S', 'r1', rows, uploaded, uploaded, { overrides, rho: 0.4 });
    expect(days.map((d) => d.adjusted)).toEqual([undefined, 25, 30]);
    expect(days.map((d) => d.adjustedBy)).toEqual([undefined, ['ann@contoso.com'], ['bob@contoso.com']]);
    const expected = sumQuantiles([{ mean: 10, p10: 7, p90: 13 }, { mean: 5, p10: 1, p90: 9 }], 0.4).quantiles;
    for (const level of ['p50', 'p80', 'p90', 'p95'] as const) expect(days[0]!.quantiles![level]).toBeCloseTo(expected[level], 3);
    // More dependence, a wider total: the p95 moves out.
    expect(realisedDays('S', 'r1', rows, uploaded, uploaded, { rho: 0.9 })[0]!.quantiles!.p95).toBeGreaterThan(realisedDays('S', 'r1', rows, uploaded, uploaded)[0]!.quantiles!.p95);
    expect(realisedDays('S', 'r1', rows, uploaded, uploaded)[1]!.adjusted).toBeUndefined();
  });

  test('a promotion override is not an adjustment: its days record no adjusted total and nobody who adjusted them', () => {
    const rows = [row('a', [10, 10, 10], 3)];
    const uploaded = [series('a', day, [12, 9, 8])];
    const promotion: Override = { id: 'p', store: 'S', from: '2026-03-02', to: '2026-03-04', kind: 'promotion', value: 1, driver: 'promo', note: 'flyer', by: 'ann@contoso.com', at: '2026-03-01T00:00:00Z', version: 1 };
    const days = realisedDays('S', 'r1', rows, uploaded, uploaded, { overrides: [promotion] });
    expect(days.map((d) => d.adjusted)).toEqual([undefined, undefined, undefined]);
    expect(days.map((d) => d.adjustedBy)).toEqual([undefined, undefined, undefined]);
  });

  test('WAPE, bias and days inside the band', () => {
    const d = (actual: number, forecast: number) => ({ store: 'S', date: '2026-03-02', runId: 'r', actual, forecast, p10: forecast - 2, p90: forecast + 2 });
    const summary = realisedSummary([{ ...d(10, 11), date: '2026-03-02' }, { ...d(10, 7), date: '2026-03-03' }, { ...d(20, 20), date: '2026-03-04' }]);
    expect(summary).toEqual({ days: 3, wape: Number((4 / 40).toFixed(4)), bias: Number((-2 / 40).toFixed(4)), inside: 2, from: '2026-03-02', to: '2026-03-04' });
    expect(realisedSummary([])).toBeNull();
    expect(realisedSummary([d(0, 3)])).toMatchObject({ wape: null, bias: null, inside: 0 });
  });
});
