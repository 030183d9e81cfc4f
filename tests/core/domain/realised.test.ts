import { describe, expect, test } from 'vitest';
import { realisedDays, realisedSummary } from '../../../core/domain/realised.js';
import type { ForecastRow } from '../../../core/domain/model.js';
import { epochDayFromCivil } from '../../../engine/index.js';

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

  test('WAPE, bias and days inside the band', () => {
    const d = (actual: number, forecast: number) => ({ store: 'S', date: '2026-03-02', runId: 'r', actual, forecast, p10: forecast - 2, p90: forecast + 2 });
    const summary = realisedSummary([{ ...d(10, 11), date: '2026-03-02' }, { ...d(10, 7), date: '2026-03-03' }, { ...d(20, 20), date: '2026-03-04' }]);
    expect(summary).toEqual({ days: 3, wape: Number((4 / 40).toFixed(4)), bias: Number((-2 / 40).toFixed(4)), inside: 2, from: '2026-03-02', to: '2026-03-04' });
    expect(realisedSummary([])).toBeNull();
    expect(realisedSummary([d(0, 3)])).toMatchObject({ wape: null, bias: null, inside: 0 });
  });
});
