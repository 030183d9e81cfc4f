import { describe, expect, it } from 'vitest';
import { chartData, compareIds, itemRows, sliceBand, sortRows, sparklinePoints, storeTotal, sumBands } from '../../static-web/src/series';
import { storeForecast } from './fixtures';

const band = (firstDate: string, forecast: number[], spread = 1) => ({ firstDate, forecast, p10: forecast.map((v) => v - spread), p90: forecast.map((v) => v + spread) });

describe('series', () => {
  it('slices a band to a window', () => {
    const b = band('2017-07-01', [1, 2, 3, 4, 5]);
    expect(sliceBand(b, '2017-07-02', '2017-07-03')).toEqual({ firstDate: '2017-07-02', forecast: [2, 3], p10: [1, 2], p90: [3, 4] });
    expect(sliceBand(b, '2017-06-01', undefined).forecast).toEqual([1, 2, 3, 4, 5]);
    expect(sliceBand(b, '2017-08-01', '2017-08-05').forecast).toEqual([]);
  });

  it('sums bands over the union of days, combining intervals in quadrature', () => {
    const s = sumBands([band('2017-07-01', [10, 10], 3), band('2017-07-02', [20, 20], 4)])!;
    expect(s.firstDate).toBe('2017-07-01');
    expect(s.forecast).toEqual([10, 30, 20]);
    expect(s.p10[1]).toBeCloseTo(25); // 30 − sqrt(3² + 4²)
    expect(s.p90[1]).toBeCloseTo(35);
    expect(s.p10[0]).toBeCloseTo(7);
    expect(sumBands([])).toBeNull();
    expect(sumBands([band('2017-07-01', [1], 5)])!.p10).toEqual([0]); // never below zero
  });

  it("uses the API's store total, or the sum of items when absent", () => {
    const sf = storeForecast('1', { days: 3 });
    expect(storeTotal(sf)).toBe(sf.total);
    expect(storeTotal({ ...sf, total: null })!.forecast).toEqual(sf.total!.forecast);
  });

  it('aligns history and forecast on one axis for the chart', () => {
    const d = chartData({ firstDate: '2017-06-29', sales: [5, 6] }, band('2017-07-01', [7, 8]));
    expect(d.dates).toEqual(['2017-06-29', '2017-06-30', '2017-07-01', '2017-07-02']);
    expect(d.actual).toEqual([5, 6, null, null]);
    expect(d.forecast).toEqual([null, null, 7, 8]);
    expect(d.p90).toEqual([null, null, 8, 9]);
    expect(chartData(null, null).dates).toEqual([]);
  });

  it('builds item rows for the window with totals and interval totals', () => {
    const rows = itemRows([{ item: '1', ...band('2017-07-02', [1, 2, 3], 1) }], '2017-07-01', 3);
    expect(rows[0]!.values).toEqual([null, 1, 2]);
    expect(rows[0]!.total).toBe(3);
    expect(rows[0]!.p10Total).toBeCloseTo(3 - Math.SQRT2);
    expect(rows[0]!.p90Total).toBeCloseTo(3 + Math.SQRT2);
  });

  it('sorts rows by item (natural order), total or a day, with a stable tie-break', () => {
    const rows = [
      { item: '10', values: [5], total: 50, p10Total: 0, p90Total: 0 },
      { item: '2', values: [7], total: 20, p10Total: 0, p90Total: 0 },
      { item: '1', values: [null], total: 20, p10Total: 0, p90Total: 0 },
    ];
    expect(sortRows(rows, { key: 'item', direction: 'ascending' }).map((r) => r.item)).toEqual(['1', '2', '10']);
    expect(sortRows(rows, { key: 'total', direction: 'descending' }).map((r) => r.item)).toEqual(['10', '1', '2']);
    expect(sortRows(rows, { key: 'day0', direction: 'descending' }).map((r) => r.item)).toEqual(['2', '10', '1']);
    expect(compareIds('FOODS_3_2', 'FOODS_3_10')).toBeLessThan(0);
  });

  it('draws sparklines inside the box, skipping gaps', () => {
    expect(sparklinePoints([0, 10], 80, 20, 0)).toBe('0,20 80,0');
    expect(sparklinePoints([null, 3, 3], 80, 20, 0)).toBe('40,10 80,10');
    expect(sparklinePoints([], 80, 20)).toBe('');
  });
});
