import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TableAccessRepository } from '../../../../core/adapters/azure/api-access-table.js';
import { createStorageClients, type StorageClients } from '../../../../core/adapters/azure/clients.js';
import { ensureStorage } from '../../../../core/adapters/azure/index.js';
import { loadConfig } from '../../../../core/config.js';
import { TableRateLimiter } from '../../../../core/adapters/azure/rate-limit-table.js';
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY } from '../../../support/azurite.js';

/**
 * Issue 18, item 6: the access and rate-limit tables were created on first use, but in Azure the app holds
 * Table Data Contributor on single tables, and creating a table is an account-level operation that such a
 * role is refused. With a credential (managed identity) the app must never try: Bicep creates the tables.
 *
 * Observed against a real Azurite table service, through its debug log (every request it served, with its
 * method and URL): Azurite over HTTPS with OAuth on (the SDK sends bearer tokens only over TLS), the app's
 * own `createStorageClients` with an identity configuration, and DefaultAzureCredential getting its token
 * from an App Service-style managed identity endpoint (IDENTITY_ENDPOINT) that hands out a well-formed JWT.
 */

let work: string;
let azurite: ChildProcess;
let identity: Server;
let tableEndpoint: string;
let debugLog: string;
const saved: Record<string, string | undefined> = {};

function setEnv(name: string, value: string): void {
  if (!(name in saved)) saved[name] = process.env[name];
  process.env[name] = value;
}

/** An unsigned JWT with what Azurite's basic OAuth check reads: lifetime, an Entra issuer, the storage audience. */
function storageToken(): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/', iat: now - 60, nbf: now - 60, exp: now + 3600, oid: 'test-identity' })}.`;
}

/** The requests Azurite logged after `from` characters of its debug log: "METHOD path". */
function requestsSince(from: number): string[] {
  const text = readFileSync(debugLog, 'utf8').slice(from);
  return [...text.matchAll(/RequestMethod=(\w+) RequestURL=(\S+)/g)].map((m) => `${m[1]} ${new URL(m[2]!).pathname}`);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'foreact-tables-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem')], { stdio: 'ignore' });
  debugLog = path.join(work, 'azurite-debug.log');
  azurite = spawn(process.execPath, [require.resolve('azurite/dist/src/table/main.js'), '--tableHost', '127.0.0.1', '--tablePort', '0', '--inMemoryPersistence', '--cert', path.join(work, 'cert.pem'), '--key', path.join(work, 'key.pem'), '--oauth', 'basic', '--debug', debugLog, '--skipApiVersionCheck', '--loose', '--disableTelemetry'], { cwd: work, stdio: 'ignore' });
  for (let i = 0; i < 200 && tableEndpoint === undefined; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const listening = /successfully listens on (https:\/\/\S+)/.exec((() => {
      try {
        return readFileSync(debugLog, 'utf8');
      } catch {
        return '';
      }
    })());
    if (listening) tableEndpoint = `${listening[1]}/${AZURITE_ACCOUNT}`;
  }
  if (tableEndpoint === undefined) throw new Error('Azurite (table, https) did not start');

  identity = createServer((req, res) => {
    if (req.headers['x-identity-header'] !== 'test-identity-header') return void res.writeHead(401).end();
    const resource = new URL(req.url ?? '/', 'http://x').searchParams.get('resource') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: storageToken(), expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
  setEnv('IDENTITY_ENDPOINT', `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`);
  setEnv('IDENTITY_HEADER', 'test-identity-header');
  // Azurite's throw-away certificate, for this process's connections to it.
  setEnv('NODE_TLS_REJECT_UNAUTHORIZED', '0');

  // What Bicep does in Azure: the tables exist before the app starts (made here with the account key).
  const connectionString = `DefaultEndpointsProtocol=https;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=${tableEndpoint};`;
  for (const name of ['access', 'ratelimits']) await TableClient.fromConnectionString(connectionString, name).createTable();
}, 60_000);

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  azurite?.kill('SIGKILL');
  await new Promise((resolve) => identity?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('tables are never created under a managed identity', () => {
  const exercise = async (clients: StorageClients, access: string, limits: string): Promise<void> => {
    const repo = new TableAccessRepository(clients.table(access), 0);
    await repo.setStoreRegion('S1', 'north');
    expect(await repo.storeRegions()).toEqual(new Map([['S1', 'north']]));
    await repo.setUserRegions('ada@example.com', ['north']);
    expect(await repo.userRegions({ identityProvider: 'aad', userId: 'u-ada' }, 'ada@example.com')).toEqual(['north']);
    const limiter = new TableRateLimiter(clients.table(limits), 2, 1);
    expect(await limiter.take('u-ada')).toBe(0);
  };

  test('with a credential: the access and rate-limit tables are used, and no create-table request reaches storage', async () => {
    const from = readFileSync(debugLog, 'utf8').length;
    const clients = createStorageClients({ kind: 'identity', blobServiceUri: tableEndpoint.replace(/:\d+\//, ':1/'), tableServiceUri: tableEndpoint });
    await exercise(clients, 'access', 'ratelimits');
    // Start-up's ensureStorage is a no-op too (it used to be skipped only by its caller).
    await ensureStorage(loadConfig({ FOREACT_STORAGE__blobServiceUri: tableEndpoint.replace(/:\d+\//, ':1/'), FOREACT_STORAGE__tableServiceUri: tableEndpoint }));
    const requests = requestsSince(from);
    // The log saw the work (entity reads and writes of both tables)…
    expect(requests.filter((r) => r.includes('/access')).length).toBeGreaterThan(3);
    expect(requests.filter((r) => r.includes('/ratelimits')).length).toBeGreaterThan(0);
    // …and no create-table request (POST …/Tables) among it.
    expect(requests.filter((r) => /^POST \/[^/]+\/Tables$/.test(r))).toEqual([]);
  });

  test('with a connection string (Azurite, a developer\'s account) the same code creates the tables it needs, which the log shows', async () => {
    const from = readFileSync(debugLog, 'utf8').length;
    const clients = createStorageClients({ kind: 'connectionString', connectionString: `DefaultEndpointsProtocol=https;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=${tableEndpoint};BlobEndpoint=${tableEndpoint};`, source: 'AzureWebJobsStorage' });
    await exercise(clients, 'accesslocal', 'ratelimitslocal');
    expect(requestsSince(from).filter((r) => /^POST \/[^/]+\/Tables$/.test(r))).toHaveLength(2);
  });
});
