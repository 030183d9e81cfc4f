import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleStore, toCsv } from '../support/sales.js';

const BIN = join(__dirname, '../../bin/foreact.js');
let dir: string;

function foreact(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(join(__dirname, '../../dist/cli/foreact.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'foreact-cli-'));
  const csv = toCsv([...sampleStore('1', 3, 500, 1), ...sampleStore('2', 2, 480, 2)]);
  writeFileSync(join(dir, 'history.csv'), csv);
  writeFileSync(join(dir, 'history.csv.gz'), gzipSync(csv));
});

describe('foreact forecast', () => {
  it('writes horizon rows per series after each series’ own last date', () => {
    const run = foreact('forecast', '--input', 'history.csv.gz', '--horizon', '10', '--output', 'out.csv');
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('date,store,item,forecast,p10,p90');
    expect(lines).toHaveLength(1 + 5 * 10);
    const store2 = lines.filter((l) => l.split(',')[1] === '2');
    expect(store2[0]!.split(',')[0]).toBe('2022-04-29');
    for (const line of lines.slice(1)) {
      const [, , , f, p10, p90] = line.split(',').map(Number);
      expect(p10).toBeLessThanOrEqual(f!);
      expect(f).toBeLessThanOrEqual(p90!);
      expect(p10).toBeGreaterThanOrEqual(0);
    }
  });

  it('backtest prints every family and the selected mix', () => {
    const run = foreact('backtest', '--input', 'history.csv', '--horizon', '14', '--folds', '2');
    expect(run.code, run.stderr).toBe(0);
    for (const name of ['seasonal_naive', 'calendar', 'holt_winters', 'tsb', 'ses', 'selected mix']) expect(run.stdout).toContain(name);
    expect(run.stdout).toMatch(/SMAPE\s+RMSSE/);
  });

  it('writes ids that a spreadsheet would run as text (the one CSV writer: issue 18, item 11)', () => {
    const rows = toCsv(sampleStore('1', 1, 60, 3)).trimEnd().split('\n');
    const csv = [rows[0], ...rows.slice(1).map((r) => r.replace(/^([^,]*),1,([^,]*),/, '$1,"Sale;=cmd|x",=2+3,'))].join('\n');
    writeFileSync(join(dir, 'formula.csv'), `${csv}\n`);
    const run = foreact('forecast', '--input', 'formula.csv', '--horizon', '3', '--output', 'formula-out.csv', '--folds', '1');
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'formula-out.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d{4}-\d{2}-\d{2},"Sale;'=cmd\|x","'=2\+3",/);
  });

  const bad: [string, string, RegExp][] = [
    ['missing column', 'date,store,sales\n2024-01-01,1,3\n', /:1: header is missing column\(s\) item/],
    ['bad date', 'date,store,item,sales\n2024-01-01,1,a,3\n2024-02-30,1,a,3\n', /:3: date "2024-02-30" is not an ISO date/],
    ['bad number', 'date,store,item,sales\n2024-01-01,1,a,three\n', /:2: sales "three" is not a number/],
    ['negative sales', 'date,store,item,sales\n2024-01-01,1,a,-1\n', /:2: sales -1 is negative/],
    ['infinite sales', 'date,store,item,sales\n2024-01-01,1,a,1\n2024-01-02,1,a,1e400\n', /:3: sales 1e400 is not a finite number/],
    ['absurd sales', 'date,store,item,sales\n2024-01-01,1,a,2e9\n', /:2: sales 2e9 is above the maximum 1000000000/],
    ['duplicate key', 'date,store,item,sales\n2024-01-01,1,a,1\n2024-01-01,1,a,2\n', /:3: duplicate row .* line 2/],
    ['empty file', '', /:1: the file is empty/],
  ];
  it.each(bad)('refuses %s with the line named and writes nothing', (_, content, message) => {
    writeFileSync(join(dir, 'bad.csv'), content);
    const run = foreact('forecast', '--input', 'bad.csv', '--horizon', '7', '--output', 'bad-out.csv');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(join(dir, 'bad-out.csv'))).toBe(false);
  });

  it.each([
    [['forecast', '--input', 'nope.csv', '--horizon', '7', '--output', 'x.csv'], /no such file/],
    [['forecast', '--input', 'history.csv', '--horizon', 'soon', '--output', 'x.csv'], /--horizon must be a whole number/],
    [['forecast', '--input', 'history.csv', '--output', 'x.csv'], /--horizon is required/],
    [['forecast', '--input', 'history.csv', '--horizon', '7', '--output', 'x.csv', '--colour', 'red'], /unknown option --colour/],
    [['predict'], /unknown command "predict"/],
  ])('explains usage mistakes: %j', (args, message) => {
    const run = foreact(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
