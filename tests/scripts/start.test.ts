import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The README's first command, as a new user runs it (built JS, real Azurite on its default ports). */
describe('npm start', () => {
  let child: ChildProcess;
  let output = '';
  let apiPort: number;
  let webPort: number;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/scripts/start.js'))) throw new Error('run `npm run build` first (npm test does)');
    [apiPort, webPort] = [await freePort(), await freePort()];
    child = spawn(process.execPath, [join(ROOT, 'dist/scripts/start.js')], {
      cwd: ROOT,
      env: { ...process.env, FOREACT_API_PORT: String(apiPort), FOREACT_WEB_PORT: String(webPort), FOREACT_AZURITE_DIR: mkdtempSync(join(tmpdir(), 'foreact-start-')), FOREACT_NO_OPEN: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 170_000;
    while (!output.includes('dashboard on') && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (!output.includes('dashboard on')) throw new Error(`npm start did not come up:\n${output}`);
  }, 180_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  });

  it('comes up with the API healthy and prints the dashboard URL', async () => {
    expect(output).toContain(`dashboard on http://127.0.0.1:${webPort}`);
    const health = await fetch(`http://127.0.0.1:${apiPort}/api/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
  });

  it('seeds sample sales and publishes the first forecasts', async () => {
    expect(output).toMatch(/morning run Completed/);
    const signIn = await fetch(`http://127.0.0.1:${webPort}/.auth/login/aad?user=ada`, { redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const stores = (await (await fetch(`http://127.0.0.1:${webPort}/api/stores`, { headers: { cookie } })).json()) as { stores: { store: string; freshness: { currentRunId: string | null } }[] };
    expect(stores.stores.length).toBeGreaterThanOrEqual(6);
    for (const s of stores.stores) expect(s.freshness.currentRunId).not.toBeNull();
    const forecasts = await fetch(`http://127.0.0.1:${webPort}/api/forecasts?stores=${stores.stores[0]!.store}`, { headers: { cookie, accept: 'text/csv' } });
    const lines = (await forecasts.text()).trim().split('\n');
    expect(lines[0]).toBe('date,store,item,forecast,p10,p90,closed,promotion,events,adjusted');
    expect(lines.length).toBeGreaterThan(20 * 28);
  });

  // The browser names the dashboard in Origin and the web server forwards it to the host's own address:
  // `npm start` must make the dashboard's origin (either spelling) the app's own (FOREACT_APP_ORIGIN).
  it("accepts a refresh from the dashboard's origin, and refuses another origin with 403", async () => {
    const signIn = await fetch(`http://127.0.0.1:${webPort}/.auth/login/aad?user=ada`, { redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const refresh = (origin: string) => fetch(`http://127.0.0.1:${webPort}/api/stores/101/refresh`, { method: 'POST', headers: { cookie, origin, 'x-requested-with': 'foreact' } });
    const foreign = await refresh('http://evil.example');
    expect(foreign.status).toBe(403);
    for (const origin of [`http://127.0.0.1:${webPort}`, `http://localhost:${webPort}`]) expect((await refresh(origin)).status, origin).toBe(202);
  });

  it('stops everything it started on Ctrl-C', async () => {
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${apiPort}/api/health`)).rejects.toThrow();
  });
});

describe('npm start with a port already taken', () => {
  it('says which port and which setting, and exits non-zero', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const taken = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const child = spawn(process.execPath, [join(ROOT, 'dist/scripts/start.js')], {
        cwd: ROOT,
        env: { ...process.env, FOREACT_API_PORT: String(taken), FOREACT_NO_OPEN: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`port ${taken} (Functions host) is already in use`);
      expect(stderr).toContain('FOREACT_API_PORT');
    } finally {
      blocker.close();
    }
  });
});
