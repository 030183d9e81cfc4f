import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureStorage, ensureStorage, type AzureStorage } from '../../core/adapters/azure/index.js';
import { loadConfig } from '../../core/config.js';
import { encodePrincipal } from '../../functions/http/principal.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startFakeArm, type FakeArm } from '../support/fake-arm.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { prerequisite } from '../support/prerequisite.js';
import { sampleStore, toCsv } from '../support/sales.js';

/**
 * What we ship is what we test: `npm run package` builds the Function App zip and the training image's
 * context; this unpacks the zip into an empty folder and runs the local host from it (loading exactly
 * what its package.json `main` names, with only the zip's own node_modules), dispatching to the fake
 * Kubernetes API whose "kubelet" runs the trainer from the image context after `npm ci --omit=dev`, as
 * the Dockerfile's build stage does. Cluster credentials come from a fake ARM through the app's managed
 * identity (the App Service identity endpoint protocol), as in Azure.
 */

const REPO = path.resolve(__dirname, '../..');
const PACKAGER = path.join(REPO, 'dist/scripts/package/main.js');
const HOST_MAIN = path.join(REPO, 'dist/scripts/local-host/main.js');
const MASTER_KEY = 'package-test-master-key';
const ADMIN = { identityProvider: 'aad', userId: 'u-ops', userDetails: 'ops@contoso.com', userRoles: ['anonymous', 'authenticated', 'admin'] };

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Every compiled JS file under `dir`. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** A managed-identity token endpoint (App Service's IDENTITY_ENDPOINT protocol) that hands out a dummy token. */
async function startIdentityEndpoint(header: string): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.headers['x-identity-header'] !== header) return void res.writeHead(401).end();
    const resource = new URL(req.url ?? '/', 'http://x').searchParams.get('resource') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'fake-mi-token', expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`, server, requests };
}

// Needs the compiled dist/ (npm test builds it first). Run alone without a build it is skipped, loudly;
// in CI (CI set, as GitHub Actions and .ci/run do) a missing build is a failure, never a silent skip.
const BUILT = prerequisite(existsSync(PACKAGER) && existsSync(HOST_MAIN), `${path.relative(REPO, existsSync(PACKAGER) ? HOST_MAIN : PACKAGER)} is missing: the package test must run in CI (npm run build first).`, 'package test: skipped — dist/ is not built (npm run build).');

describe.skipIf(!BUILT)('the shipped package (npm run package)', () => {
  let work: string;
  let appDir: string;
  let imageDir: string;
  let azurite: AzuriteInstance;
  let storage: AzureStorage;
  let k8s: FakeKubernetes;
  let arm: FakeArm;
  let identity: Awaited<ReturnType<typeof startIdentityEndpoint>>;
  let host: ChildProcess | undefined;
  let hostLog = '';
  let base = '';
  let appEnv: NodeJS.ProcessEnv = {};

  /** The local host from the unpacked folder, loading exactly its package.json `main`. */
  async function startHost(extra: NodeJS.ProcessEnv): Promise<string> {
    hostLog = '';
    const child = spawn(process.execPath, [HOST_MAIN, '--root', appDir, '--port', '0', '--storage', azurite.connectionString, '--no-timers'], { cwd: appDir, env: { ...appEnv, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    host = child;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the host did not start:\n${hostLog}`)), 30_000);
      const onData = (chunk: Buffer): void => {
        hostLog += chunk.toString();
        const ready = /ready: (http:\/\/\S+)\/api/.exec(hostLog);
        if (ready?.[1]) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the host exited (${code}):\n${hostLog}`)));
    });
  }

  async function refreshToDone(store: string): Promise<{ runId: string; run: { status: string } }> {
    const principal = { 'x-ms-client-principal': encodePrincipal(ADMIN) };
    const accepted = await fetch(`${base}/api/stores/${store}/refresh`, { method: 'POST', headers: { ...principal, 'x-requested-with': 'foreact' } });
    expect(accepted.status, hostLog).toBe(202);
    const { runId, statusUrl } = (await accepted.json()) as { runId: string; statusUrl: string };
    const doneBy = Date.now() + 120_000;
    let run: { status: string; error?: unknown } = { status: 'queued' };
    while (!['done', 'failed'].includes(run.status) && Date.now() < doneBy) {
      await new Promise((r) => setTimeout(r, 300));
      run = (await (await fetch(`${base}${statusUrl}`, { headers: principal })).json()) as typeof run;
    }
    return { runId, run };
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'foreact-package-'));
    const out = path.join(work, 'out');
    run(process.execPath, [PACKAGER, '--out', out, '--no-web'], REPO);
    appDir = path.join(work, 'app');
    // An independent reader (Python's zipfile) unpacks it, so a malformed archive fails here.
    run('python3', ['-m', 'zipfile', '-e', path.join(out, 'functionapp.zip'), appDir], work);
    imageDir = path.join(work, 'image');
    cpSync(path.join(out, 'training-image'), imageDir, { recursive: true });
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], imageDir);

    azurite = await startAzurite();
    const config = loadConfig({ AzureWebJobsStorage: azurite.connectionString });
    await ensureStorage(config);
    storage = createAzureStorage(config);

    k8s = await startFakeKubernetes({
      // The "kubelet" runs the container's command in the image's working directory. Azurite takes a
      // connection string, which the Job spec never carries, so the fake node provides it.
      mapCommand: (c) => ({ command: c.command[0] === 'node' ? process.execPath : (c.command[0] ?? 'false'), args: [...c.command.slice(1), ...c.args], cwd: imageDir }),
      baseEnv: { FOREACT_STORAGE: azurite.connectionString },
    });
    arm = await startFakeArm({ kubeconfig: () => k8s.kubeConfigYaml(), pools: { training: { count: 1, enableAutoScaling: false } } });
    identity = await startIdentityEndpoint('identity-header-secret');
    const caFile = path.join(work, 'arm-ca.pem');
    writeFileSync(caFile, arm.ca);

    // Only what Azure would set: no FOREACT_*/AzureWebJobs* leak in from the test process.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FOREACT_|AzureWebJobs|AZURE_|IDENTITY_|MSI_|NODE_OPTIONS|VITEST)/.test(k)));
    appEnv = {
      ...inherited,
      FOREACT_STORAGE: azurite.connectionString,
      FOREACT_DISPATCH: 'aks',
      FOREACT_AKS_SUBSCRIPTION_ID: 'sub-1',
      FOREACT_AKS_RESOURCE_GROUP: 'rg',
      FOREACT_AKS_CLUSTER: 'aks',
      FOREACT_AKS_IMAGE: 'registry.example/foreact-trainer:test',
      FOREACT_ARM_ENDPOINT: arm.endpoint,
      FOREACT_POLL_SECONDS: '0.2',
      FOREACT_HORIZON_DAYS: '14',
      FOREACT_BACKTEST_FOLDS: '1',
      FOREACT_MORNING_SCHEDULE: '0 0 5 * * *',
      FOREACT_MASTER_KEY: MASTER_KEY,
      IDENTITY_ENDPOINT: identity.url,
      IDENTITY_HEADER: 'identity-header-secret',
      NODE_EXTRA_CA_CERTS: caFile,
    };
    // Refreshes go to the cluster here, so the training image's trainer runs; the last test runs the
    // default (refreshes in the Function App's own worker threads).
    base = await startHost({ FOREACT_REFRESH_DISPATCH: 'aks' });
  }, 240_000);

  afterAll(async () => {
    host?.kill('SIGTERM');
    await k8s?.stop();
    await arm?.stop();
    identity?.server.close();
    await azurite?.stop();
    // The unpacked zip holds its production node_modules: tens of thousands of files, which take minutes to
    // delete when the machine's disk is busy (the whole suite runs in parallel), so the hook gets its own time.
    if (work) await rm(work, { recursive: true, force: true });
  }, 600_000);

  it('holds what the host and the aks backend read at run time, and nothing of the dev tooling', () => {
    const files = readdirSync(appDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(appDir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    for (const needed of ['package.json', 'host.json', 'k8s-training/job.yaml', 'dist/k8s-training/worker.js', 'node_modules/durable-functions/package.json', 'node_modules/@azure/functions/package.json']) expect(files).toContain(needed);
    const own = files.filter((f) => !f.startsWith('node_modules/'));
    expect(own.filter((f) => /^(dist\/(scripts|bench|cli)|tests|scripts|bench|static-web)\//.test(f))).toEqual([]);
    // Dev dependencies never ship: the host could otherwise load something Azure does not have. (`yaml` is
    // both ours for tests and, through @azure/monitor-opentelemetry's SDK configuration, a production one.)
    for (const dev of ['vitest', 'azurite', 'typescript', 'playwright-core', 'eslint', 'vite']) expect(existsSync(path.join(appDir, 'node_modules', dev))).toBe(false);
  });

  it('registers every orchestration and activity the code starts by name, under the unpacked zip', async () => {
    const compiled = jsFiles(path.join(appDir, 'dist'));
    const declared = new Map<string, string>();
    const calls: string[] = [];
    for (const file of compiled) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/exports\.([A-Z0-9_]+_(ACTIVITY|ORCHESTRATION))\s*=\s*['"]([^'"]+)['"]/g)) declared.set(m[1]!, m[3]!);
      for (const m of text.matchAll(/\.(callActivity|callActivityWithRetry|callSubOrchestrator|callSubOrchestratorWithRetry|startNew)\(\s*([^,)]+)/g)) calls.push(`${path.basename(file)}: ${m[1]}(${m[2]!.trim()})`);
    }
    // Every start goes through a named constant, so the declared set is the set of names started.
    expect(calls.length).toBeGreaterThan(5);
    expect(calls.filter((c) => !/\(([\w$]+\.)?[A-Z0-9_]+_(ACTIVITY|ORCHESTRATION)\)$/.test(c))).toEqual([]);
    const started = new Set(calls.map((c) => /([A-Z0-9_]+_(?:ACTIVITY|ORCHESTRATION))\)$/.exec(c)![1]!));
    for (const constant of started) expect(declared.has(constant), `${constant} is started but never declared`).toBe(true);

    const response = await fetch(`${base}/admin/functions`, { headers: { 'x-functions-key': MASTER_KEY } });
    expect(response.status).toBe(200);
    const registered = new Map(((await response.json()) as { name: string; config: { bindings: { type: string; direction: string }[] } }[]).map((f) => [f.name, f.config.bindings.find((b) => b.direction === 'in' && /Trigger$/.test(b.type))?.type]));
    for (const [constant, name] of declared) {
      expect(registered.get(name), `${constant} = "${name}"`).toBe(constant.endsWith('_ACTIVITY') ? 'activityTrigger' : 'orchestrationTrigger');
    }
    expect(registered.get('morning-timer')).toBe('timerTrigger');
    expect(registered.get('ingest-sales')).toBe('queueTrigger');
  });

  it('ingests an upload, then refreshes a store through the aks backend to done', async () => {
    const csv = toCsv(sampleStore('pkg-1', 3, 400, 5));
    await storage.clients.container('uploads').getBlockBlobClient('pos/package-test.csv').uploadData(Buffer.from(csv));
    const ingestedBy = Date.now() + 60_000;
    let state = (await storage.stores.get('pkg-1'))?.value;
    while (state?.history === undefined && Date.now() < ingestedBy) {
      await new Promise((r) => setTimeout(r, 250));
      state = (await storage.stores.get('pkg-1'))?.value;
    }
    expect(state, hostLog).toMatchObject({ stale: true, history: { items: 3 } });

    const { runId, run } = await refreshToDone('pkg-1');
    expect(run, `${JSON.stringify(run)}\n${hostLog}\n${k8s.pods.map((p) => p.stderr).join('\n')}`).toMatchObject({ status: 'done' });
    // The Job ran the image's trainer, which published the run the store now points at.
    expect(k8s.pods.map((p) => p.exitCode)).toContain(0);
    expect((await storage.stores.get('pkg-1'))!.value).toMatchObject({ stale: false, current: { runId } });
    const rows = await storage.forecasts.readRun('pkg-1', runId);
    expect(rows.map((r) => r.forecast.length)).toEqual([14, 14, 14]);
    // The cluster's credentials came from ARM with the app's managed identity.
    expect(identity.requests.some((r) => r.includes('resource=https%3A%2F%2Fmanagement'))).toBe(true);
    expect(arm.calls.some((c) => /listClusterUserCredential$/i.test(c.path))).toBe(true);
  });

  it('a check run (the smoke test\'s step 4) sends one store through the aks Job backend and the API serves its forecast', async () => {
    const principal = { 'x-ms-client-principal': encodePrincipal(ADMIN) };
    const podsBefore = k8s.pods.length;
    const accepted = await fetch(`${base}/api/stores/pkg-1/check-run`, { method: 'POST', headers: { ...principal, 'x-requested-with': 'foreact' } });
    expect(accepted.status, hostLog).toBe(202);
    const { runId, statusUrl, store } = (await accepted.json()) as { runId: string; statusUrl: string; store: string };
    expect(store).toBe('pkg-1');
    const doneBy = Date.now() + 120_000;
    let run: { status: string; backend?: string; published?: string[] } = { status: 'queued' };
    while (!['done', 'failed'].includes(run.status) && Date.now() < doneBy) {
      await new Promise((r) => setTimeout(r, 300));
      run = (await (await fetch(`${base}${statusUrl}`, { headers: principal })).json()) as typeof run;
    }
    // What scripts/smoke/smoke.sh asserts after a deploy, here against the shipped zip and the image's trainer.
    expect(run, `${JSON.stringify(run)}\n${hostLog}`).toMatchObject({ status: 'done', backend: 'aks' });
    expect(run.published).toContain('pkg-1');
    expect(k8s.pods.length).toBeGreaterThan(podsBefore);
    const stores = (await (await fetch(`${base}/api/stores`, { headers: principal })).json()) as { stores: { store: string; freshness: { currentRunId: string | null } }[] };
    expect(stores.stores.find((s) => s.store === 'pkg-1')?.freshness.currentRunId).toBe(runId);
    const forecasts = (await (await fetch(`${base}/api/forecasts?stores=pkg-1`, { headers: principal })).json()) as { stores: { store: string; items: unknown[] }[] };
    expect(forecasts.stores.find((s) => s.store === 'pkg-1')?.items.length).toBeGreaterThan(0);
  });

  it('with the default settings a refresh trains in the Function App itself, from the zip\'s worker entry', async () => {
    // One host at a time on the task hub: the first one stops before this one starts.
    host?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    const podsBefore = k8s.pods.length;
    base = await startHost({});
    await storage.clients.container('uploads').getBlockBlobClient('pos/package-test-2.csv').uploadData(Buffer.from(toCsv(sampleStore('pkg-2', 2, 300, 6))));
    const ingestedBy = Date.now() + 60_000;
    while ((await storage.stores.get('pkg-2'))?.value.history === undefined && Date.now() < ingestedBy) await new Promise((r) => setTimeout(r, 250));
    const { runId, run } = await refreshToDone('pkg-2');
    expect(run, hostLog).toMatchObject({ status: 'done' });
    expect(k8s.pods.length).toBe(podsBefore);
    expect((await storage.stores.get('pkg-2'))!.value).toMatchObject({ stale: false, current: { runId } });
  });
});
