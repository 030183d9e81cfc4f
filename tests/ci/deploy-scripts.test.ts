import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFakeCli, haveJq, runScript, scratchDir, type FakeRoute } from './fake-cli.js';

/**
 * The deploy gate (scripts/ci/deploy-window.sh), the smoke test (scripts/smoke/smoke.sh) and the azd
 * smoke decision (scripts/ci/azd-smoke.sh), run by bash against stand-ins for `az` and `curl`
 * (tests/ci/fake-cli.ts): which token each API request carries, what the smoke test asserts about the
 * AKS check run, and what a person running `azd up` is told was not checked.
 */

const REPO = path.resolve(__dirname, '../..');
const GATE = path.join(REPO, 'scripts/ci/deploy-window.sh');
const SMOKE = path.join(REPO, 'scripts/smoke/smoke.sh');
const AZD_SMOKE = path.join(REPO, 'scripts/ci/azd-smoke.sh');
const FUNC = 'func-foreact-dev.example.net';
const SWA = 'stapp-foreact-dev.example.net';
/** 2026-12-07 06:00 UTC: well after a 03:00 morning run's start, outside the gate's lead window. */
const NOW = String(Date.UTC(2026, 11, 7, 6, 0, 0) / 1000);
const GITHUB_OIDC = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc.github.example/token?api-version=2.0', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token', AZURE_CLIENT_ID: 'deploy-client-id', AZURE_TENANT_ID: 'tenant-id' };
const oidcRoute: FakeRoute = { url: 'oidc.github.example', responses: [{ status: 200, body: { value: 'github-oidc-{{n}}' } }] };

beforeAll(() => {
  if (!haveJq()) throw new Error('jq is needed by the deploy scripts (and these tests): apt-get install jq');
});

const workDir = (): string => scratchDir('foreact-deploy-scripts-');

describe('deploy-window.sh (the deploy gate)', () => {
  const gateEnv = { MORNING_SCHEDULE: '0 0 3 * * *', NOW_EPOCH: NOW, FUNC_HOST: FUNC, API_APP_ID: 'api-app-id', POLL_SECONDS: '0' };
  const runningThenDone: FakeRoute = { url: `${FUNC}/api/runs/morning-2026-12-07`, responses: [{ status: 200, body: { status: 'running' } }, { status: 200, body: { status: 'running' } }, { status: 200, body: { status: 'done' } }] };

  it('in GitHub Actions, signs in again with a new OIDC token and takes a new access token for every poll', () => {
    const dir = workDir();
    const fake = createFakeCli(dir, { routes: [oidcRoute, runningThenDone] });
    // Polls further apart than a sign-in is reused (AZ_SESSION_MAX_AGE_S), as the real 60 s polls are.
    const result = runScript(GATE, { ...fake.env, ...gateEnv, ...GITHUB_OIDC, RUNNER_TEMP: dir, AZ_SESSION_MAX_AGE_S: '0' }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('run morning-2026-12-07 is done: go');
    const polls = fake.apiCalls(FUNC);
    expect(polls).toHaveLength(3);
    expect(polls.map((c) => c.headers?.authorization)).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-3']);
    const logins = fake.calls().filter((c) => c.tool === 'az' && c.args[0] === 'login');
    expect(logins.map((c) => c.args[c.args.indexOf('--federated-token') + 1])).toEqual(['github-oidc-1', 'github-oidc-2', 'github-oidc-3']);
    expect(logins.every((c) => c.args.includes('--service-principal') && c.args.includes('deploy-client-id'))).toBe(true);
  });

  it('in GitHub Actions, polls closer together than AZ_SESSION_MAX_AGE_S share one sign-in, each still asking for a token', () => {
    const dir = workDir();
    const fake = createFakeCli(dir, { routes: [oidcRoute, runningThenDone] });
    const result = runScript(GATE, { ...fake.env, ...gateEnv, ...GITHUB_OIDC, RUNNER_TEMP: dir, AZ_SESSION_MAX_AGE_S: '3600' }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const az = fake.calls().filter((c) => c.tool === 'az');
    expect(az.filter((c) => c.args[0] === 'login')).toHaveLength(1);
    expect(az.filter((c) => c.args.join(' ').startsWith('account get-access-token'))).toHaveLength(3);
  });

  it('outside GitHub Actions (a person, azd), asks the signed-in CLI for a token before every poll and never signs in itself', () => {
    const fake = createFakeCli(workDir(), { routes: [runningThenDone] });
    const result = runScript(GATE, { ...fake.env, ...gateEnv }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const az = fake.calls().filter((c) => c.tool === 'az');
    expect(az.filter((c) => c.args[0] === 'login')).toEqual([]);
    expect(az.filter((c) => c.args.join(' ').startsWith('account get-access-token --resource api://api-app-id'))).toHaveLength(3);
  });

  it('refuses when a token cannot be had, rather than deploying blind', () => {
    const fake = createFakeCli(workDir(), { routes: [runningThenDone], noToken: true });
    const result = runScript(GATE, { ...fake.env, ...gateEnv }, REPO);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('cannot get a token for api://api-app-id');
    expect(fake.apiCalls(FUNC)).toEqual([]);
  });
});

/** Everything a healthy environment answers, with the check run's status answers given. */
function environment(checkRun: { status: number; body: unknown }[]): FakeRoute[] {
  const runId = 'check-smoke-20261207T060000Z';
  return [
    oidcRoute,
    { url: `${SWA}/api/health`, responses: [{ status: 200, body: { status: 'ok', version: 'test' } }] },
    { url: `${FUNC}/api/stores/smoke/check-run`, method: 'POST', auth: true, responses: [{ status: 202, body: { runId, statusUrl: `/api/runs/${runId}`, store: 'smoke' } }] },
    { url: `${FUNC}/api/runs/${runId}`, auth: true, responses: checkRun },
    { url: `${FUNC}/api/stores/smoke/refresh`, method: 'POST', auth: true, origin: 'https://cross-site.invalid', responses: [{ status: 403, body: { error: { code: 'forbidden', message: 'Cross-site request refused' } } }] },
    { url: `${FUNC}/api/stores/smoke/refresh`, method: 'POST', auth: true, origin: `https://${SWA}`, responses: [{ status: 202, body: { runId: 'refresh-1', status: 'queued', statusUrl: '/api/runs/refresh-1', joined: false } }] },
    { url: `${FUNC}/api/runs/refresh-1`, auth: true, responses: [{ status: 200, body: { runId: 'refresh-1', status: 'done' } }] },
    { url: `${FUNC}/api/stores`, method: 'GET', auth: true, responses: [{ status: 200, body: { stores: [{ store: 'smoke', freshness: { currentRunId: runId } }] } }] },
    { url: `${FUNC}/api/forecasts?stores=smoke`, auth: true, responses: [{ status: 200, body: { from: null, to: null, stores: [{ store: 'smoke', freshness: { currentRunId: runId }, items: [{ item: 'smoke-a' }, { item: 'smoke-b' }] }] } }] },
    // Without a token of an accepted provider (a forged x-ms-client-principal), the platform answers 401.
    { url: FUNC, auth: false, responses: [{ status: 401 }] },
  ];
}

describe('smoke.sh', () => {
  const smokeEnv = { SWA_HOST: SWA, FUNC_HOST: FUNC, DATA_ACCOUNT: 'stdata', API_APP_ID: 'api-app-id', POLL_SECONDS: '0', RETRY_SECONDS: '0' };
  const runId = 'check-smoke-20261207T060000Z';
  const done = (backend: string, published: string[]) => ({ status: 200, body: { runId, status: 'done', backend, published, failed: [] } });

  it('step 4 sends the store through the AKS backend and reads the published forecast back through the API', () => {
    const fake = createFakeCli(workDir(), { routes: (environment([{ status: 200, body: { runId, status: 'queued', backend: 'aks', published: [], failed: [] } }, { status: 200, body: { runId, status: 'running', backend: 'aks', published: [], failed: [] } }, done('aks', ['smoke'])])), entityStatus: 'applied' });
    const result = runScript(SMOKE, { ...fake.env, ...smokeEnv }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('check run: done on aks, published smoke');
    expect(result.stdout).toContain(`API: smoke is current at ${runId}, 2 item forecasts readable`);
    expect(result.stdout).toContain('all checks passed');
    const api = fake.apiCalls(FUNC).filter((c) => c.headers?.authorization !== undefined);
    // Every state-changing request carries the dashboard's header.
    const posts = fake.apiCalls(FUNC).filter((c) => c.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(4);
    for (const post of posts) expect(post.headers?.['x-requested-with'], post.url).toBe('foreact');
    expect(api.map((c) => `${c.method} ${new URL(c.url!).pathname}`)).toEqual(expect.arrayContaining(['POST /api/stores/smoke/check-run', 'GET /api/stores', 'GET /api/forecasts', 'POST /api/stores/smoke/refresh']));
  });

  it('fails when a refresh with a foreign Origin is accepted, and sends the real refresh with the dashboard\'s Origin', () => {
    const ok = createFakeCli(workDir(), { routes: environment([done('aks', ['smoke'])]), entityStatus: 'applied' });
    const passed = runScript(SMOKE, { ...ok.env, ...smokeEnv }, REPO);
    expect(passed.status, passed.stdout + passed.stderr).toBe(0);
    expect(passed.stdout).toContain('cross-site: a foreign Origin is refused (403)');
    const refreshes = ok.apiCalls(FUNC).filter((c) => c.method === 'POST' && c.url!.endsWith('/refresh') && c.headers?.authorization !== undefined);
    expect(refreshes.map((c) => c.headers?.origin)).toEqual(['https://cross-site.invalid', `https://${SWA}`]);

    const routes = environment([done('aks', ['smoke'])]).map((r) => (r.origin === 'https://cross-site.invalid' ? { ...r, responses: [{ status: 202, body: { runId: 'refresh-x', statusUrl: '/api/runs/refresh-x' } }] } : r));
    const open = createFakeCli(workDir(), { routes, entityStatus: 'applied' });
    const failed = runScript(SMOKE, { ...open.env, ...smokeEnv }, REPO);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('a refresh POST with a foreign Origin answered 202, not 403');
  });

  it('waits while the day\'s morning run holds the pool (409), then runs the check', () => {
    const routes = environment([done('aks', ['smoke'])]).map((r) => (r.url.endsWith('/check-run') ? { ...r, responses: [{ status: 409, body: { error: { code: 'conflict', message: 'the morning run is in progress' } } }, ...r.responses] } : r));
    const fake = createFakeCli(workDir(), { routes, entityStatus: 'applied' });
    const result = runScript(SMOKE, { ...fake.env, ...smokeEnv }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('check run refused for now (409: the morning run is in progress)');
    expect(fake.apiCalls(FUNC).filter((c) => c.url!.endsWith('/check-run') && c.headers?.authorization !== undefined)).toHaveLength(2);
  });

  it('fails when the check run trained somewhere other than AKS', () => {
    const fake = createFakeCli(workDir(), { routes: environment([done('local', ['smoke'])]), entityStatus: 'applied' });
    const result = runScript(SMOKE, { ...fake.env, ...smokeEnv }, REPO);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("ran on backend 'local', not aks");
  });

  it('fails when the check run is done but did not publish the store', () => {
    const fake = createFakeCli(workDir(), { routes: environment([{ status: 200, body: { runId, status: 'done', backend: 'aks', published: [], failed: ['smoke'] } }]), entityStatus: 'applied' });
    const result = runScript(SMOKE, { ...fake.env, ...smokeEnv }, REPO);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('did not publish smoke');
  });

  it('fails when the API does not serve the check run as the store\'s current run', () => {
    const routes = environment([done('aks', ['smoke'])]).map((r) => (r.url === `${FUNC}/api/stores` ? { ...r, responses: [{ status: 200, body: { stores: [{ store: 'smoke', freshness: { currentRunId: 'morning-2026-12-06' } }] } }] } : r));
    const fake = createFakeCli(workDir(), { routes, entityStatus: 'applied' });
    const result = runScript(SMOKE, { ...fake.env, ...smokeEnv }, REPO);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("smoke's current run is 'morning-2026-12-06'");
  });
});

describe('azd-smoke.sh (the smoke test at the end of azd up)', () => {
  const azdEnv = { STATICWEBAPPHOSTNAME: SWA, FUNCTIONAPPHOSTNAME: FUNC, DATASTORAGEACCOUNTNAME: 'stdata', POLL_SECONDS: '0', RETRY_SECONDS: '0' };
  const runId = 'check-smoke-20261207T060000Z';
  const notChecked = ['NOT checked', '4. the AKS path', '5. a store refresh through the API'];

  it('without a smoke client id: runs what a person\'s sign-in can, then says exactly what was not checked and why', () => {
    const fake = createFakeCli(workDir(), { routes: environment([]), entityStatus: 'applied', account: { type: 'user', name: 'ops@contoso.com' } });
    const result = runScript(AZD_SMOKE, { ...fake.env, ...azdEnv, FOREACT_API_APP_ID: 'api-app-id' }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('FOREACT_SMOKE_CLIENT_ID is not set');
    for (const line of notChecked) expect(result.stdout).toContain(line);
    expect(result.stdout).toContain('ingested: status applied');
    expect(fake.apiCalls(FUNC).filter((c) => c.headers?.authorization !== undefined)).toEqual([]);
  });

  it('with a smoke client id but a person signed in: the same, naming who is signed in', () => {
    const fake = createFakeCli(workDir(), { routes: environment([]), entityStatus: 'applied', account: { type: 'user', name: 'ops@contoso.com' } });
    const result = runScript(AZD_SMOKE, { ...fake.env, ...azdEnv, FOREACT_API_APP_ID: 'api-app-id', FOREACT_SMOKE_CLIENT_ID: 'smoke-sp' }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('signed in as user ops@contoso.com, not as the smoke service principal smoke-sp');
    for (const line of notChecked) expect(result.stdout).toContain(line);
  });

  it('signed in as the smoke service principal: the full smoke test, AKS check run included', () => {
    const fake = createFakeCli(workDir(), { routes: environment([{ status: 200, body: { runId, status: 'done', backend: 'aks', published: ['smoke'], failed: [] } }]), entityStatus: 'applied', account: { type: 'servicePrincipal', name: 'smoke-sp' } });
    const result = runScript(AZD_SMOKE, { ...fake.env, ...azdEnv, FOREACT_API_APP_ID: 'api-app-id', FOREACT_SMOKE_CLIENT_ID: 'smoke-sp' }, REPO);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('check run: done on aks, published smoke');
    expect(result.stdout).not.toContain('NOT checked');
  });
});
