import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { csvField as domainCsvField } from '../../../core/domain/csv-field.js';
import { csvField as engineCsvField } from '../../../engine/csv-write.js';
import { csvField, forecastsCsv } from '../../../functions/http/views.js';

/** A CSV line split the way Excel does in a locale whose list separator is `sep` (quotes honoured only at a cell's start). */
function cellsInLocale(line: string, sep: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else cell += line[i++];
      }
      while (i < line.length && line[i] !== sep) cell += line[i++];
      cells.push(cell);
    } else {
      const end = line.indexOf(sep, i);
      cells.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length : end;
    }
    i++;
  }
  return cells;
}

const runs = (cell: string): boolean => /^[=+\-@\t\r]/.test(cell);

/** Issue 13, hole 8, and issue 18, item 11: the CSV writer's formula-injection guard. */
describe('csvField', () => {
  test('cells starting like a formula are text, quoted: =, +, -, @, TAB and CR', () => {
    expect(csvField('=1+1')).toBe(`"'=1+1"`);
    expect(csvField('+1')).toBe(`"'+1"`);
    expect(csvField('-1')).toBe(`"'-1"`);
    expect(csvField('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvField('\t=cmd()')).toBe(`"'\t'=cmd()"`);
    expect(csvField('\r=cmd()')).toBe(`"'\r'=cmd()"`);
  });

  test('a formula after a separator inside the field is neutralised too (Excel splits on ; in many locales)', () => {
    expect(csvField("Sale;=cmd|' /C calc'!A0")).toBe(`"Sale;'=cmd|' /C calc'!A0"`);
    expect(csvField('Sale,@SUM(A1)')).toBe(`"Sale,'@SUM(A1)"`);
    expect(csvField('Sale\t+cmd')).toBe(`"Sale\t'+cmd"`);
    expect(csvField('a;b')).toBe('"a;b"');
  });

  test('a number after a separator is neutralised as well: the cell a locale cuts out runs on past it', () => {
    expect(csvField('2021-01-08,U1,1,-4')).toBe(`"2021-01-08,U1,1,'-4"`);
    expect(csvField('x;-1+cmd')).toBe(`"x;'-1+cmd"`);
  });

  test('quotes, commas and line breaks are quoted; plain ids and labels are unchanged', () => {
    expect(csvField('Store-7')).toBe('Store-7');
    expect(csvField('FOODS_3_001')).toBe('FOODS_3_001');
    expect(csvField("Mother's day+Easter")).toBe("Mother's day+Easter");
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
  });

  test.each([',', ';', '\t'])('no cell of a written line starts a formula when a spreadsheet splits on %j', (sep) => {
    const nasty = ["Sale;=cmd|' /C calc'!A0", '=HYPERLINK("http://x")', 'a\t@SUM(1)', 'x,+1+1', '-2+3', 'ok;-7', '"q";=1'];
    const line = ['2026-01-01', ...nasty.map(csvField)].join(',');
    for (const cell of cellsInLocale(line, sep)) expect(runs(cell), `${JSON.stringify(cell)} in ${JSON.stringify(line)}`).toBe(false);
  });

  test('one writer: the domain, the HTTP views and the CLI all use the engine’s csvField', () => {
    expect(domainCsvField).toBe(engineCsvField);
    expect(csvField).toBe(engineCsvField);
    const cli = readFileSync(join(__dirname, '../../../cli/commands/forecast.ts'), 'utf8');
    expect(cli).toMatch(/import \{ csvField \} from '\.\.\/\.\.\/engine\/csv-write\.js'/);
    expect(cli).not.toMatch(/function csvField/);
  });

  test('an event name from a drivers file cannot inject a formula into the export', () => {
    const csv = forecastsCsv([{ store: 'S1', items: [{ item: '1', firstDate: '2026-01-01', forecast: [1], p10: [0], p90: [2] }], markers: [{ kind: 'event', date: '2026-01-01', label: '\t=HYPERLINK("x")' } as never] }]);
    expect(csv.split('\n')[1]).toBe('2026-01-01,S1,1,1,0,2,0,0,"\'\t\'=HYPERLINK(""x"")",'); // the empty last cell: no adjusted number
    const semicolon = forecastsCsv([{ store: 'S1', items: [{ item: '1', firstDate: '2026-01-01', forecast: [1], p10: [0], p90: [2] }], markers: [{ kind: 'event', date: '2026-01-01', label: 'Sale;=cmd|x' } as never] }]);
    expect(semicolon.split('\n')[1]).toBe(`2026-01-01,S1,1,1,0,2,0,0,"Sale;'=cmd|x",`);
  });
});
