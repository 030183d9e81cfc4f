import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../static-web/src/csv';
import { forecastCsv, heatColor, relativeLuminance, transportCsv, transportGrid } from '../../static-web/src/transport';
import { freshness, storeForecast } from './fixtures';

const series = (store: string, firstDate: string | null, units: number[]) => ({ store, freshness: freshness(), firstDate, units, p10: units.map((u) => u * 0.9), p90: units.map((u) => u * 1.1) });

describe('transport grid', () => {
  const response = {
    from: '2017-07-01',
    to: '2017-07-03',
    stores: [series('2', '2017-07-02', [20, 21, 22]), series('1', '2017-07-01', [10, 11, 12]), series('3', null, [])],
    totals: null,
  };

  it('lays out stores × days in the selection order, with totals and the maximum', () => {
    const grid = transportGrid(response, ['1', '2', '3', '9'], '2017-07-01', 3);
    expect(grid.dates).toEqual(['2017-07-01', '2017-07-02', '2017-07-03']);
    expect(grid.rows.map((r) => r.store)).toEqual(['1', '2', '3', '9']);
    expect(grid.rows[0]!.cells.map((c) => c?.units ?? null)).toEqual([10, 11, 12]);
    expect(grid.rows[1]!.cells.map((c) => c?.units ?? null)).toEqual([null, 20, 21]); // 22 falls outside the window
    expect(grid.rows[2]!.cells).toEqual([null, null, null]);
    expect(grid.rows[3]!.total).toBe(0);
    expect(grid.dayTotals).toEqual([10, 31, 33]);
    expect(grid.grandTotal).toBe(74);
    expect(grid.rows[1]!.total).toBe(41);
    expect(grid.max).toBe(21);
  });

  it('marks the closed days the API names, and still exports them as lines of 0 units', () => {
    const closedResponse = { ...response, stores: [{ ...series('1', '2017-07-01', [10, 0, 12]), closed: ['2017-07-02', '2017-08-01'] }, series('2', '2017-07-02', [20, 21, 22])] };
    const grid = transportGrid(closedResponse, ['1', '2'], '2017-07-01', 3);
    expect(grid.rows[0]!.cells.map((c) => c?.closed ?? false)).toEqual([false, true, false]);
    expect(grid.rows[1]!.cells.map((c) => c?.closed ?? false)).toEqual([false, false, false]);
    expect(grid.dayTotals).toEqual([10, 20, 33]);
    expect(grid.dayClosed).toEqual([false, false, false]);
    expect(transportCsv(grid).split('\r\n')).toContain('2017-07-02,1,0,0,0');
  });

  it('says a day is closed in the totals only when every store with a forecast that day is closed', () => {
    const bothClosed = { ...response, stores: [{ ...series('1', '2017-07-01', [10, 0, 0]), closed: ['2017-07-02', '2017-07-03'] }, { ...series('2', '2017-07-02', [0, 21, 22]), closed: ['2017-07-02'] }] };
    const grid = transportGrid(bothClosed, ['1', '2', '9'], '2017-07-01', 3);
    expect(grid.dayClosed).toEqual([false, true, false]);
    expect(grid.dayTotals).toEqual([10, 0, 21]);
    expect(transportGrid({ ...response, stores: [] }, ['1'], '2017-07-01', 3).dayClosed).toEqual([false, false, false]);
  });

  it('exports exactly the cells on screen as CSV', () => {
    const grid = transportGrid(response, ['1', '2'], '2017-07-01', 2);
    expect(transportCsv(grid)).toBe(['date,store,units,p10,p90', '2017-07-01,1,10,9,11', '2017-07-02,1,11,9.9,12.1', '2017-07-02,2,20,18,22', ''].join('\r\n'));
  });

  it('exports item forecasts of the window in the CLI format', () => {
    const sf = storeForecast('1', { days: 3, items: 2 });
    const csv = forecastCsv([sf], '2017-07-02', 1).trim().split('\r\n');
    expect(csv[0]).toBe('date,store,item,forecast,p10,p90');
    expect(csv.slice(1)).toEqual([`2017-07-02,1,1,${sf.items[0]!.forecast[1]},${sf.items[0]!.p10[1]},${sf.items[0]!.p90[1]}`, `2017-07-02,1,2,${sf.items[1]!.forecast[1]},${sf.items[1]!.p10[1]},${sf.items[1]!.p90[1]}`]);
    expect(forecastCsv([sf], '2017-07-01', 3, (it) => it.item === '2').trim().split('\r\n')).toHaveLength(4);
  });

  it('adds the adjusted numbers beside the model\'s when an override touches an exported item', () => {
    const sf = storeForecast('1', { days: 2, items: 2 });
    sf.items[1] = { ...sf.items[1]!, adjusted: [99, sf.items[1]!.forecast[1]!] };
    const csv = forecastCsv([sf], '2017-07-01', 2).trim().split('\r\n');
    expect(csv[0]).toBe('date,store,item,forecast,p10,p90,adjusted');
    expect(csv.slice(1).map((l) => l.split(',').at(-1))).toEqual([String(sf.items[0]!.forecast[0]), String(sf.items[0]!.forecast[1]), '99', String(sf.items[1].forecast[1])]);
    // An export of only unadjusted items keeps the CLI's columns.
    expect(forecastCsv([sf], '2017-07-01', 2, (it) => it.item === '1').split('\r\n')[0]).toBe('date,store,item,forecast,p10,p90');
  });

  it('keeps heat-map text readable (WCAG AA 4.5:1) across the scale', () => {
    for (let v = 0; v <= 100; v += 1) {
      const { background, color } = heatColor(v, 100);
      const [r, g, b] = background.match(/\d+/g)!.map(Number) as [number, number, number];
      const bg = relativeLuminance(r, g, b);
      const fg = color === '#ffffff' ? 1 : relativeLuminance(0x11, 0x18, 0x27);
      const ratio = (Math.max(bg, fg) + 0.05) / (Math.min(bg, fg) + 0.05);
      expect(ratio, `value ${v}`).toBeGreaterThanOrEqual(4.5);
    }
    expect(heatColor(5, 0).background).toBe('rgb(238, 244, 251)');
  });
});

describe('csv', () => {
  it('quotes when needed and neutralises formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(0.1 + 0.2)).toBe('0.3');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.POSITIVE_INFINITY)).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x']])).toBe('a,b\r\n1,x\r\n');
  });

  it('neutralises a formula after a separator inside a cell, as the API and CLI writer does', () => {
    // Excel in a locale that splits on ';' (or tab) reads the text after it as a cell of its own.
    expect(csvField("Sale;=cmd|' /C calc'!A0")).toBe(`"Sale;'=cmd|' /C calc'!A0"`);
    expect(csvField('North\t+1')).toBe(`"North\t'+1"`);
    expect(csvField('plain store')).toBe('plain store');
  });
});
