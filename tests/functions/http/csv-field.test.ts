import { describe, expect, test } from 'vitest';
import { csvField, forecastsCsv } from '../../../functions/http/views.js';

/** Issue 13, hole 8: the CSV export's formula-injection guard covers every leading character a spreadsheet runs. */
describe('csvField', () => {
  test('cells starting like a formula are text: =, +, -, @, TAB and CR', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=cmd()')).toBe("'\t=cmd()");
    expect(csvField('\r=cmd()')).toBe('"\'\r=cmd()"');
  });

  test('quotes, commas and line breaks are quoted; plain ids are unchanged', () => {
    expect(csvField('Store-7')).toBe('Store-7');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
  });

  test('an event name from a drivers file cannot inject a formula into the export', () => {
    const csv = forecastsCsv([{ store: 'S1', items: [{ item: '1', firstDate: '2026-01-01', forecast: [1], p10: [0], p90: [2] }], markers: [{ kind: 'event', date: '2026-01-01', label: '\t=HYPERLINK("x")' } as never] }]);
    expect(csv.split('\n')[1]).toBe('2026-01-01,S1,1,1,0,2,0,0,"\'\t=HYPERLINK(""x"")"');
  });
});
