import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Stand-ins for the two programs the deploy scripts talk to Azure through, `az` and `curl`, put first on
 * PATH. There is no local Azure CLI or Entra ID to run the scripts against, so these answer from a script
 * of responses and record every call (arguments, headers, URL), which is what the tests assert on: which
 * token each request carried, how often the scripts signed in, which requests were made.
 */

export interface FakeResponse { status: number; body?: unknown }
/** Answers requests whose URL contains `url` (and whose method is `method`, default any), in order; the last one repeats. `{{n}}` in a body is the route's hit count. */
export interface FakeRoute { url: string; method?: string; /** Only requests with (true) or without (false) an Authorization header. */ auth?: boolean; /** Only requests with this Origin header (null: without one). */ origin?: string | null; responses: FakeResponse[] }
export interface FakeState {
  routes: FakeRoute[];
  /** `az account show`: user.type and user.name. */
  account?: { type: string; name: string };
  /** `az storage entity show ... --query status`. */
  entityStatus?: string;
  /** `az account get-access-token` fails (no sign-in). */
  noToken?: boolean;
}
export interface Call { tool: 'az' | 'curl'; args: string[]; method?: string; url?: string; headers?: Record<string, string>; status?: number }

const CURL = String.raw`
const fs = require('node:fs');
const [stateFile, callsFile] = [process.env.FAKE_CLI_STATE, process.env.FAKE_CLI_CALLS];
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const args = process.argv.slice(2);
let out, format = '', method, url, fail = false, data;
const headers = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-o') out = args[++i];
  else if (a === '-w') format = args[++i];
  else if (a === '-X') method = args[++i];
  else if (a === '-H') { const [k, ...v] = args[++i].split(':'); headers[k.trim().toLowerCase()] = v.join(':').trim(); }
  else if (a === '--max-time' || a === '-m') i++;
  else if (a === '-d' || a === '--data' || a === '--data-binary') data = args[++i];
  else if (a === '--fail' || a === '-f' || a === '-fsS') fail = true;
  else if (a.startsWith('-')) continue;
  else url = a;
}
method = method || (data !== undefined ? 'POST' : 'GET');
state.hits = state.hits || {};
const index = state.routes.findIndex((r) => url && url.includes(r.url) && (!r.method || r.method === method) && (r.auth === undefined || r.auth === ('authorization' in headers)) && (r.origin === undefined || r.origin === (headers.origin === undefined ? null : headers.origin)));
let status = 0, body = '';
if (index >= 0) {
  const n = (state.hits[index] || 0) + 1;
  state.hits[index] = n;
  const route = state.routes[index];
  const response = route.responses[Math.min(n - 1, route.responses.length - 1)];
  status = response.status;
  body = response.body === undefined ? '' : (typeof response.body === 'string' ? response.body : JSON.stringify(response.body)).replaceAll('{{n}}', String(n));
}
fs.writeFileSync(stateFile, JSON.stringify(state));
fs.appendFileSync(callsFile, JSON.stringify({ tool: 'curl', args, method, url, headers, status }) + '\n');
if (status === 0) { if (format) process.stdout.write(format.replace('%{http_code}', '000')); process.exit(7); }
if (fail && status >= 400) process.exit(22);
if (out && out !== '/dev/null') fs.writeFileSync(out, body); else if (!out) process.stdout.write(body);
if (format) process.stdout.write(format.replace('%{http_code}', String(status)));
`;

const AZ = String.raw`
const fs = require('node:fs');
const [stateFile, callsFile] = [process.env.FAKE_CLI_STATE, process.env.FAKE_CLI_CALLS];
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const args = process.argv.slice(2);
fs.appendFileSync(callsFile, JSON.stringify({ tool: 'az', args }) + '\n');
const has = (...words) => words.every((w, i) => args[i] === w);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
let code = 0;
if (has('login')) state.logins = (state.logins || 0) + 1;
else if (has('account', 'get-access-token')) { if (state.noToken) code = 1; else process.stdout.write('token-' + (state.logins || 0) + '\n'); }
else if (has('account', 'show')) {
  const query = option('--query');
  const account = state.account || { type: 'user', name: 'someone@example.com' };
  process.stdout.write((query === 'user.type' ? account.type : query === 'user.name' ? account.name : JSON.stringify({ user: account })) + '\n');
}
else if (has('account', 'set') || has('storage', 'blob', 'upload')) code = 0;
else if (has('storage', 'entity', 'show')) { if (state.entityStatus) process.stdout.write(state.entityStatus + '\n'); else code = 3; }
else { process.stderr.write('fake az: no answer for ' + args.join(' ') + '\n'); code = 2; }
fs.writeFileSync(stateFile, JSON.stringify(state));
process.exit(code);
`;

export interface FakeCli {
  /** Environment for a child process: PATH with the fakes first, and where they keep their state. */
  env: NodeJS.ProcessEnv;
  calls(): Call[];
  /** The API requests (curl calls to FUNC_HOST/SWA_HOST, not the OIDC endpoint). */
  apiCalls(host: string): Call[];
}

export function createFakeCli(dir: string, state: FakeState): FakeCli {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const stateFile = path.join(dir, 'state.json');
  const callsFile = path.join(dir, 'calls.jsonl');
  writeFileSync(stateFile, JSON.stringify(state));
  writeFileSync(callsFile, '');
  for (const [name, source] of [['curl', CURL], ['az', AZ]] as const) {
    writeFileSync(path.join(dir, `${name}.js`), source);
    writeFileSync(path.join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, `${name}.js`)}" "$@"\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  const calls = (): Call[] => readFileSync(callsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_CLI_STATE: stateFile, FAKE_CLI_CALLS: callsFile },
    calls,
    apiCalls: (host) => calls().filter((c) => c.tool === 'curl' && (c.url ?? '').includes(host)),
  };
}

/** Runs a bash script with only the given environment (plus the fakes' PATH), never the test's own Azure/GitHub variables. */
export function runScript(script: string, env: NodeJS.ProcessEnv, cwd: string): { status: number; stdout: string; stderr: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|ACTIONS_|GITHUB_|FOREACT_|API_APP_ID|FUNC_HOST|SWA_HOST|DATA_ACCOUNT|SMOKE_|RUNNER_)/.test(k)));
  const result = spawnSync('bash', [script], { cwd, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function haveJq(): boolean {
  return spawnSync('jq', ['--version']).status === 0;
}

/** A new empty directory for the running test, removed when the test finishes. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
