import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { usageText } from '../../cli/foreact.js';
import { sampleStore, toCsv } from '../support/sales.js';

/** Design §3: `--stores stores.csv` (store attributes) is part of the batch CLI contract. */
const BIN = join(__dirname, '../../bin/foreact.js');
let dir: string;

function foreact(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(join(__dirname, '../../dist/cli/foreact.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'foreact-stores-'));
  writeFileSync(join(dir, 'history.csv'), toCsv([...sampleStore('1', 2, 300, 1), ...sampleStore('2', 2, 300, 2)]));
  // Store 2 has no row; store 9 is not in the sales: neither is an error.
  const stores = 'store,size,type,opened\n1,1200,Hyper,2015-04-01\n9,300,Express,2024-01-15\n';
  writeFileSync(join(dir, 'stores.csv'), stores);
  writeFileSync(join(dir, 'stores.csv.gz'), gzipSync(stores));
  writeFileSync(join(dir, 'calendar.csv'), 'date,promo\n2021-03-01,1\n2021-03-02,0\n');
});

describe('foreact --stores', () => {
  it('forecast accepts --stores (plain or gzip), notes what it read, and writes byte-identical forecasts', () => {
    const plain = foreact('forecast', '--input', 'history.csv', '--horizon', '14', '--folds', '1', '--output', 'plain.csv');
    expect(plain.code, plain.stderr).toBe(0);
    for (const file of ['stores.csv', 'stores.csv.gz']) {
      const run = foreact('forecast', '--input', 'history.csv', '--stores', file, '--horizon', '14', '--folds', '1', '--output', 'with.csv');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('foreact: note: store attributes: 3 columns (size: numeric, type: text, opened: date) for 1 of 2 stores');
      expect(readFileSync(join(dir, 'with.csv'))).toEqual(readFileSync(join(dir, 'plain.csv')));
    }
    expect(plain.stderr).not.toContain('store attributes');
  });

  it('forecast with drivers runs the pooled step across the stores, with the attributes as features; without the learned family it does not', () => {
    const base = ['forecast', '--input', 'history.csv', '--drivers', 'calendar.csv', '--horizon', '14', '--folds', '1'];
    const withStores = foreact(...base, '--stores', 'stores.csv', '--output', 'drivers-with.csv');
    expect(withStores.code, withStores.stderr).toBe(0);
    expect(withStores.stderr).toMatch(/foreact: note: pooled step: the learned family fitted across 2 stores \(4 series\) in 1 group on \d+ rows/);
    expect(readFileSync(join(dir, 'drivers-with.csv'), 'utf8').split('\n')[0]).toBe('date,store,item,forecast,p10,p90');
    const seriesFamilies = foreact(...base, '--families', 'seasonal_naive,calendar,holt_winters,tsb,ses', '--stores', 'stores.csv', '--output', 'drivers-series.csv');
    expect(seriesFamilies.code, seriesFamilies.stderr).toBe(0);
    expect(seriesFamilies.stderr).not.toContain('pooled step');
  });

  it('backtest accepts --stores and prints one line about them; the accuracy is unchanged', () => {
    const base = ['backtest', '--input', 'history.csv', '--horizon', '14', '--folds', '1'];
    const plain = foreact(...base);
    const run = foreact(...base, '--stores', 'stores.csv');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('store attributes: 3 columns (size: numeric, type: text, opened: date) for 1 of 2 stores');
    expect(lines.slice(2).join('\n')).toBe(plain.stdout);
    const json = foreact(...base, '--stores', 'stores.csv', '--json');
    expect(json.code, json.stderr).toBe(0);
    const summary = JSON.parse(json.stdout) as { storeAttributes: { stores: number; storesWithRow: number; columns: unknown[] } };
    expect(summary.storeAttributes).toMatchObject({ stores: 2, storesWithRow: 1, columns: [{ name: 'size', kind: 'numeric' }, { name: 'type', kind: 'text' }, { name: 'opened', kind: 'date' }] });
  });

  it('refuses a bad attributes file with exit code 2, every bad line named, and nothing written', () => {
    writeFileSync(join(dir, 'bad-stores.csv'), 'store,size,type\n1,1200,Hyper\n1,900,Super\n2,1e400,Super\n3,10\n');
    for (const command of ['forecast', 'backtest']) {
      const args = [command, '--input', 'history.csv', '--stores', 'bad-stores.csv', '--horizon', '7', '--folds', '1'];
      const run = foreact(...(command === 'forecast' ? [...args, '--output', 'bad-out.csv'] : args));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('store attributes: 3 bad row(s), nothing was written:');
      expect(run.stderr).toContain('bad-stores.csv:3: duplicate row for store 1 (first seen on line 2)');
      expect(run.stderr).toContain('bad-stores.csv:4: size 1e400 is not a finite number');
      expect(run.stderr).toContain('bad-stores.csv:5: expected 3 fields, found 2');
      expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(run.stdout).toBe('');
    }
    expect(existsSync(join(dir, 'bad-out.csv'))).toBe(false);
  });

  it('takes text values outside the label alphabet, as the CLI drivers reader does (a real store file has "Jan,Apr,Jul,Oct")', () => {
    writeFileSync(join(dir, 'promo-stores.csv'), 'Store,StoreType,PromoInterval\n1,a,"Jan,Apr,Jul,Oct"\n2,c,\n');
    const run = foreact('backtest', '--input', 'history.csv', '--stores', 'promo-stores.csv', '--horizon', '7', '--folds', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('store attributes: 2 columns (StoreType: text, PromoInterval: text) for 2 of 2 stores');
  });

  it('names a missing attributes file as a usage mistake', () => {
    const run = foreact('forecast', '--input', 'history.csv', '--stores', 'nope.csv', '--horizon', '7', '--output', 'x.csv');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read --stores nope\.csv: no such file/);
  });

  it('--help shows --stores for forecast and backtest', () => {
    for (const command of ['forecast', 'backtest']) expect(usageText()).toMatch(new RegExp(`foreact ${command} .*\\[--stores stores\\.csv\\[\\.gz\\]\\]`));
  });
});
