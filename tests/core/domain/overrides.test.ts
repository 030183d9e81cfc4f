import { describe, expect, it } from 'vitest';
import { adjustItems, checkOverride, unexpired, type Override, type OverrideInput, type OverrideRules } from '../../../core/domain/overrides.js';
import { DomainError } from '../../../core/domain/errors.js';
import { parseIsoDay } from '../../../engine/index.js';
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
