import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USAGE } from '../../cli/usage.js';
import { usageText } from '../../cli/foreact.js';
import { sampleStore, toCsv } from '../support/sales.js';

/**
 * Issue 18, item 17: `foreact --help`, `forecast` and `backtest` must not load the Azure SDKs, OpenTelemetry or
 * durable-functions (a second of start-up on every run). The compiled CLI runs with a `--require` hook that
 * writes every module in the require cache when the process exits; the check is on what was loaded, not on time.
 */
const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/foreact.js');
const HEAVY = /[\\/]node_modules[\\/](@azure[\\/]|@opentelemetry[\\/]|durable-functions[\\/]|@kubernetes[\\/])/;
let dir: string;

function loadedBy(...args: string[]): { code: number | null; stderr: string; modules: string[] } {
  const list = join(dir, `modules-${args[0] ?? 'none'}-${Math.random().toString(36).slice(2)}.json`);
  const run = spawnSync(process.execPath, ['--require', join(dir, 'hook.cjs'), BIN, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, MODULE_LIST: list } });
  return { code: run.status, stderr: run.stderr, modules: JSON.parse(readFileSync(list, 'utf8')) as string[] };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/foreact.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'foreact-lazy-'));
  writeFileSync(
    join(dir, 'hook.cjs'),
    `const { isMainThread } = require('node:worker_threads');
if (isMainThread) process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULE_LIST, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  writeFileSync(join(dir, 'history.csv'), toCsv([...sampleStore('1', 2, 200, 1), ...sampleStore('2', 2, 200, 2)]));
  writeFileSync(join(dir, 'drivers.csv'), 'date,promo\n2021-03-01,1\n2021-03-02,0\n');
});

describe('the CLI loads commands lazily', () => {
  it.each([
    ['--help', ['--help']],
    ['forecast', ['forecast', '--input', 'history.csv', '--horizon', '7', '--output', 'out.csv', '--folds', '1']],
    ['forecast with drivers', ['forecast', '--input', 'history.csv', '--drivers', 'drivers.csv', '--horizon', '7', '--output', 'out-d.csv', '--folds', '1']],
    ['backtest', ['backtest', '--input', 'history.csv', '--horizon', '7', '--folds', '1']],
    ['a usage error', ['forecast', '--input', 'history.csv']],
  ])('%s loads no Azure, OpenTelemetry or durable-functions module', (_, args) => {
    const run = loadedBy(...args);
    expect(run.code, run.stderr).toBe(args[0] === '--help' || args.includes('--output') || args[0] === 'backtest' ? 0 : 2);
    expect(run.modules.some((m) => m.endsWith(join('dist', 'cli', 'foreact.js')))).toBe(true);
    expect(run.modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('the hook does see them when a command needs them (ingest loads the storage adapters)', () => {
    const run = loadedBy('ingest');
    expect(run.code).toBe(2);
    expect(run.modules.some((m) => HEAVY.test(m))).toBe(true);
  });

  it('--help shows the admin usage that admin.ts reports', () => {
    expect(usageText()).toContain(`foreact ${ADMIN_USAGE}`);
  });
});
