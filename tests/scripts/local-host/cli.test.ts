import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { appModules, expandBraces, expandPattern } from '../../../scripts/local-host/app-files.js';
import { startAzurite, type AzuriteInstance } from '../../support/azurite.js';
import { prerequisite } from '../../support/prerequisite.js';

const repo = path.resolve(__dirname, '../../..');
// `npm test` builds first; a plain `vitest run` without a build skips the compiled-CLI test, saying so.
// Under CI a missing build is an error: the test must run there, not pass by skipping.
const mainJs = process.env.FOREACT_LOCAL_HOST_MAIN ?? path.join(repo, 'dist/scripts/local-host/main.js');
const HAVE_BUILD = prerequisite(existsSync(mainJs), `${mainJs} not found: build first (npm run build); the compiled local-host CLI test must run in CI.`, `local-host CLI: compiled-CLI test skipped — no ${mainJs} (npm run build).`);

let azurite: AzuriteInstance;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

test('app module discovery is exactly package.json main, with the worker\'s {a,b} alternatives', () => {
  const fixtures = path.resolve(__dirname, '../../fixtures/local-host');
  expect(expandPattern(fixtures, '*-app.ts').map((f) => path.basename(f))).toEqual(['durable-app.ts', 'http-app.ts']);
  expect(expandPattern(fixtures, '{durable,http}-app.ts').map((f) => path.basename(f))).toEqual(['durable-app.ts', 'http-app.ts']);
  expect(expandPattern(fixtures, 'missing/*.js')).toEqual([]);
  expect(expandBraces('dist/{functions,orchestrations}/*.js')).toEqual(['dist/functions/*.js', 'dist/orchestrations/*.js']);
  const modules = appModules(repo);
  for (const f of modules) expect(f).toMatch(/dist[\\/](functions|orchestrations)[\\/][^\\/]+\.js$/);
  // A package whose main names only the triggers gets only the triggers: nothing is added on the side.
  const onlyFunctions = mkdtempSync(path.join(tmpdir(), 'main-'));
  writeFileSync(path.join(onlyFunctions, 'package.json'), JSON.stringify({ name: 'x', main: 'dist/functions/*.js' }));
  mkdirSync(path.join(onlyFunctions, 'dist/functions'), { recursive: true });
  mkdirSync(path.join(onlyFunctions, 'dist/orchestrations'), { recursive: true });
  writeFileSync(path.join(onlyFunctions, 'dist/functions/a.js'), '');
  writeFileSync(path.join(onlyFunctions, 'dist/orchestrations/b.js'), '');
  expect(appModules(onlyFunctions).map((f) => path.relative(onlyFunctions, f))).toEqual([path.join('dist', 'functions', 'a.js')]);
  writeFileSync(path.join(onlyFunctions, 'package.json'), JSON.stringify({ name: 'x' }));
  expect(() => appModules(onlyFunctions)).toThrow(/has no "main"/);
  rmSync(onlyFunctions, { recursive: true, force: true });
});

test.skipIf(!HAVE_BUILD)('the compiled CLI serves HTTP and Durable functions from plain JS modules', async () => {
  const child = spawn(process.execPath, [mainJs, '--port', '0', '--storage', azurite.connectionString, '--root', repo, '--module', path.resolve(__dirname, '../../fixtures/local-host/cli-app.cjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`CLI did not start:\n${out}`)), 15_000);
      const onData = (c: Buffer): void => {
        out += c.toString();
        const m = /ready: (http:\/\/[^\s]+)\/api/.exec(out);
        if (m?.[1]) {
          clearTimeout(t);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`CLI exited with ${code}:\n${out}`)));
    });
    expect(await (await fetch(`${url}/api/ping`)).json()).toEqual({ pong: true });
    const start = await fetch(`${url}/runtime/webhooks/durabletask/orchestrators/cliOrchestration/cli-1`, { method: 'POST', body: '21' });
    expect(start.status).toBe(202);
    let status: { runtimeStatus?: string; output?: unknown } = {};
    for (let i = 0; i < 100 && status.runtimeStatus !== 'Completed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await (await fetch(`${url}/runtime/webhooks/durabletask/instances/cli-1`)).json()) as typeof status;
    }
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 42 });
  } finally {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }
});
