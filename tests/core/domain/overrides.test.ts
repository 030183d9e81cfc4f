import { describe, expect, it } from 'vitest';
import { adjustItems, type Override } from '../../../core/domain/overrides.js';
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
