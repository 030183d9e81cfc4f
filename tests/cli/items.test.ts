import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FOREACT_BIN, runCli, type CliResult } from '../support/cli.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

/** The item master in the CLI: `forecast --items` adds cases and pallets; `ingest --items` stores the master. */

let dir: string;
let t: TestStorage;

const forecast = (...args: string[]): CliResult => runCli(dir, args);

function ingest(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FOREACT_BIN, 'ingest', ...args], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!existsSync(join(__dirname, '../../dist/cli/foreact.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'foreact-items-'));
  writeFileSync(join(dir, 'history.csv'), toCsv(sampleStore('1', 3, 200, 1)));
  // Item 3 has no pack sizes: its cases and pallets are empty, never 0.
  writeFileSync(join(dir, 'items.csv'), 'item,units_per_case,cases_per_pallet\n1,4,10\n2,0.5,8\n');
  t = await startTestStorage();
}, 60_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('foreact forecast --items', () => {
  test('adds cases and pallets after p90; without --items the output is as before, byte for byte', () => {
    const plain = forecast('forecast', '--input', 'history.csv', '--horizon', '7', '--folds', '1', '--output', 'plain.csv');
    expect(plain.code, plain.stderr).toBe(0);
    const packed = forecast('forecast', '--input', 'history.csv', '--horizon', '7', '--folds', '1', '--output', 'packed.csv', '--items', 'items.csv');
    expect(packed.code, packed.stderr).toBe(0);
    const plainText = readFileSync(join(dir, 'plain.csv'), 'utf8');
    const lines = readFileSync(join(dir, 'packed.csv'), 'utf8').trimEnd().split('\n');
    expect(plainText.split('\n')[0]).toBe('date,store,item,forecast,p10,p90');
    expect(lines[0]).toBe('date,store,item,forecast,p10,p90,cases,pallets');
    // Dropping the two new columns gives the plain file exactly.
    expect(`${lines.map((l) => l.split(',').slice(0, 6).join(',')).join('\n')}\n`).toBe(plainText);
    for (const line of lines.slice(1)) {
      const [, , item, f, , , cases, pallets] = line.split(',');
      if (item === '3') {
        expect([cases, pallets]).toEqual(['', '']);
        continue;
      }
      const perCase = item === '1' ? 4 : 0.5;
      expect(Number(cases)).toBeCloseTo(Number(f) / perCase, 2);
      expect(Number(pallets)).toBeCloseTo(Number(f) / perCase / (item === '1' ? 10 : 8), 2);
    }
  });

  test('the store file\'s logistics columns change no forecast: they are not features of the learned family', () => {
    writeFileSync(join(dir, 'two-stores.csv'), toCsv([...sampleStore('1', 3, 200, 1), ...sampleStore('2', 3, 200, 2)]));
    writeFileSync(join(dir, 'stores-plain.csv'), 'store,type,size\n1,hyper,1200\n2,super,300\n');
    writeFileSync(join(dir, 'stores-logistics.csv'), 'store,type,truck_pallets,size,receiving_limit_pallets\n1,hyper,33,1200,60\n2,super,20,300,\n');
    // The control: a real attribute change does move the learned family's forecasts.
    writeFileSync(join(dir, 'stores-other.csv'), 'store,type,size\n1,super,5\n2,hyper,9000\n');
    const run = (name: string): string => {
      const r = forecast('forecast', '--input', 'two-stores.csv', '--horizon', '7', '--folds', '1', '--families', 'learned', '--stores', `stores-${name}.csv`, '--output', `with-${name}.csv`);
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(join(dir, `with-${name}.csv`), 'utf8');
    };
    const plain = run('plain');
    expect(run('logistics')).toBe(plain);
    expect(run('other')).not.toBe(plain);
  });

  test('a bad item master is a usage error naming the line, before any training', () => {
    writeFileSync(join(dir, 'bad-items.csv'), 'item,units_per_case,cases_per_pallet\n1,4,0\n');
    const run = forecast('forecast', '--input', 'history.csv', '--horizon', '7', '--output', 'never.csv', '--items', 'bad-items.csv');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad-items\.csv:2: cases_per_pallet 0 must be above 0/);
    expect(existsSync(join(dir, 'never.csv'))).toBe(false);
  });
});

describe('foreact ingest --items', () => {
  test('stores the master whole; a bad file names every bad line, changes nothing and exits 1', async () => {
    const good = await ingest(['--items', join(dir, 'items.csv')]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/pack sizes of 2 item\(s\) stored/);
    expect((await t.storage.items!.read())?.get('2')).toEqual({ unitsPerCase: 0.5, casesPerPallet: 8 });
    writeFileSync(join(dir, 'worse.csv'), 'item,units_per_case,cases_per_pallet\n5,1,1\n6,-1,1\nbad id!,1,1\n');
    const bad = await ingest(['--items', join(dir, 'worse.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('worse.csv:3: units_per_case -1 must be above 0');
    expect(bad.stdout).toContain('worse.csv:4: item id "bad id!" is invalid');
    expect((await t.storage.items!.read())?.has('5')).toBe(false);
    const both = await ingest(['--items', join(dir, 'items.csv'), '--drivers', join(dir, 'items.csv')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give one of --input/);
  });
});
