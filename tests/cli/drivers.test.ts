import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIsoDay } from '../../engine/index.js';
import { promoStore, salesCsv } from '../engine/driver-fixtures.js';
import { requireBuiltCli, runCli, type CliResult } from '../support/cli.js';

let dir: string;
let lastDay: number;

const foreact = (...args: string[]): CliResult => runCli(dir, args);

beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'foreact-drivers-'));
  const one = promoStore({ store: '1', items: 3, days: 400, futureDays: 28, seed: 3 });
  const two = promoStore({ store: '2', items: 2, days: 400, futureDays: 10, seed: 4 });
  lastDay = one.lastDay;
  writeFileSync(join(dir, 'sales.csv'), salesCsv([...one.series, ...two.series]));
  const promotions = `${one.driversCsv}${two.driversCsv.split('\n').slice(1).join('\n')}`;
  writeFileSync(join(dir, 'promotions.csv.gz'), gzipSync(promotions));
  // The store-wide calendar: closed on the 5th day to come, a never-varying "flyer" column.
  const calendar = ['date,open,flyer'];
  for (let d = lastDay - 399; d <= lastDay + 28; d++) calendar.push(`${formatIsoDay(d)},${d === lastDay + 5 ? 0 : 1},1`);
  writeFileSync(join(dir, 'calendar.csv'), `${calendar.join('\n')}\n`);
});

describe('foreact forecast --drivers', () => {
  it('uses several drivers files: closed days are 0, short drivers give a warning naming store and days', () => {
    const run = foreact('forecast', '--input', 'sales.csv', '--drivers', 'promotions.csv.gz', '--drivers', 'calendar.csv', '--horizon', '28', '--output', 'out.csv');
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('date,store,item,forecast,p10,p90');
    expect(lines).toHaveLength(1 + 5 * 28);
    const closed = lines.filter((l) => l.startsWith(formatIsoDay(lastDay + 5)));
    expect(closed).toHaveLength(5);
    for (const line of closed) expect(line.split(',').slice(3)).toEqual(['0', '0', '0']);
    expect(run.stderr).toMatch(new RegExp(`warning: drivers for store 2 do not cover 18 day\\(s\\) of the horizon \\(${formatIsoDay(lastDay + 11)} … ${formatIsoDay(lastDay + 28)}\\)`));
    expect(run.stderr).not.toMatch(/drivers for store 1 do not cover/);
    expect(run.stderr).toMatch(/note: driver "flyer" never varies in the history of store 1: ignored/);
  });

  it('backtest reports each family with and without drivers', () => {
    const run = foreact('backtest', '--input', 'sales.csv', '--drivers', 'promotions.csv.gz', '--horizon', '14', '--folds', '2');
    expect(run.code, run.stderr).toBe(0);
    for (const name of ['calendar', 'calendar+drivers', 'tsb+drivers', 'selected mix', 'selected mix, no drivers']) expect(run.stdout).toContain(name);
    expect(run.stdout).toMatch(/driver effects chosen per store/);
  });

  const bad: [string, string, RegExp][] = [
    ['an unparsable date', 'date,promo\n2024-01-01,1\n2024-02-30,0\n', /bad\.csv:3: date "2024-02-30" is not an ISO date/],
    ['an unparsable number', `date,promo\n${Array.from({ length: 12 }, (_, i) => `2024-01-${String(i + 1).padStart(2, '0')},${i === 11 ? 'lots' : '0'}`).join('\n')}\n`, /bad\.csv:13: promo "lots" is not a number/],
    ['a number that is not finite', 'date,promo\n2024-01-01,1\n2024-01-02,1e400\n', /bad\.csv:3: promo 1e400 is not a finite number/],
    ['a number above the maximum', 'date,price\n2024-01-01,2.5\n2024-01-02,5000000000\n', /bad\.csv:3: price 5000000000 is above the maximum 1000000000/],
    ['open other than 0 or 1', 'date,open\n2024-01-01,1\n2024-01-02,7\n', /bad\.csv:3: open must be 0 or 1, got "7"/],
    ['a duplicate key', 'date,store,item,promo\n2024-01-01,1,i1,1\n2024-01-01,1,i1,0\n', /bad\.csv:3: duplicate row for 2024-01-01, store 1, item i1 \(first seen on line 2\)/],
    ['no date column', 'when,promo\n2024-01-01,1\n', /bad\.csv:1: header has no "date" column/],
    ['an empty file', '', /bad\.csv:1: the file is empty/],
  ];
  it.each(bad)('refuses %s with exit code 2, the line named and nothing written', (_, content, message) => {
    writeFileSync(join(dir, 'bad.csv'), content);
    for (const command of ['forecast', 'backtest']) {
      const args = [command, '--input', 'sales.csv', '--drivers', 'calendar.csv', '--drivers', 'bad.csv', '--horizon', '7'];
      const run = foreact(...(command === 'forecast' ? [...args, '--output', 'bad-out.csv'] : args));
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/nothing was written/);
    }
    expect(existsSync(join(dir, 'bad-out.csv'))).toBe(false);
  });

  it('refuses the same column for the same key in two files, naming both', () => {
    writeFileSync(join(dir, 'open-again.csv'), `date,open\n${formatIsoDay(lastDay - 1)},1\n`);
    const run = foreact('forecast', '--input', 'sales.csv', '--drivers', 'calendar.csv', '--drivers', 'open-again.csv', '--horizon', '7', '--output', 'clash.csv');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/open-again\.csv:2: column open for .* is also given by calendar\.csv \(line \d+\)/);
    expect(existsSync(join(dir, 'clash.csv'))).toBe(false);
  });

  it('names a missing drivers file as a usage mistake', () => {
    const run = foreact('forecast', '--input', 'sales.csv', '--drivers', 'nope.csv', '--horizon', '7', '--output', 'x.csv');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read --drivers nope\.csv: no such file/);
  });
});
