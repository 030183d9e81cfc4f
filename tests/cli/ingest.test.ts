import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

const BIN = path.resolve(__dirname, '../../bin/foreact.js');
let t: TestStorage;
let dir: string;

beforeAll(async () => {
  if (!existsSync(path.resolve(__dirname, '../../dist/cli/commands/ingest.js'))) throw new Error('run "npm run build" first (npm test does)');
  t = await startTestStorage();
  dir = mkdtempSync(path.join(tmpdir(), 'foreact-ingest-'));
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function foreact(args: string[], env: NodeJS.ProcessEnv = t.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('foreact ingest', () => {
  test('prints the accepted count and each rejected row; the same file again is a no-op', async () => {
    const lines = toCsv(sampleStore('C1', 2, 30)).trimEnd().split('\n');
    lines[3] = '2021-01-06,C1,1,many';
    lines[10] = '2021-13-01,C1,1,4';
    const file = path.join(dir, 'sales.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const first = await foreact(['ingest', '--input', file]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/58 row\(s\) accepted, 2 rejected; history changed for 1 store\(s\) \(C1\)/);
    expect(first.stdout).toContain(`${file}:4: sales "many" is not a number`);
    expect(first.stdout).toContain(`${file}:11: date "2021-13-01" is not an ISO date`);
    expect(first.stdout).toMatch(/rejected rows written to rejected\//);
    expect((await t.storage.stores.get('C1'))?.value.history?.observations).toBe(58);

    const again = await foreact(['ingest', '--input', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already ingested.*nothing changed/);
  });

  test('a wholly unusable file exits 1; usage mistakes exit 2 with one line', async () => {
    const file = path.join(dir, 'junk.csv');
    writeFileSync(file, 'this is not,a sales file\n1,2\n');
    const junk = await foreact(['ingest', '--input', file]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/no usable rows: header is missing column/);
    const missing = await foreact(['ingest', '--input', path.join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^foreact ingest: cannot read --input .*no such file$/);
    const badSetting = await foreact(['ingest', '--input', file], { ...t.env, FOREACT_TABLE_RUNS: 'no-dashes' });
    expect(badSetting.code).toBe(2);
    expect(badSetting.stderr).toMatch(/FOREACT_TABLE_RUNS/);
  });
});
