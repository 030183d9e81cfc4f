import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';

/**
 * A fake Azure Resource Manager on loopback for the two Microsoft.ContainerService calls the aks backend
 * makes: managedClusters/listClusterUserCredential and agentPools get/createOrUpdate. HTTPS with a
 * throw-away self-signed certificate, because the SDK refuses bearer tokens over plain http; pass `ca`
 * to the client's `tlsOptions`.
 */
export interface ArmCall {
  method: string;
  path: string;
  body?: unknown;
  authorization?: string;
}

export interface FakeArm {
  endpoint: string;
  ca: string;
  calls: ArmCall[];
  pools: Map<string, { count: number; enableAutoScaling: boolean; minCount?: number; maxCount?: number }>;
  stop(): Promise<void>;
}

/** Tests only: ARM never sees it, the fake ignores the token. */
export const fakeCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'fake-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export async function startFakeArm(options: { kubeconfig: () => string; pools?: Record<string, { count: number; enableAutoScaling: boolean; minCount?: number; maxCount?: number }> }): Promise<FakeArm> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-arm-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const calls: ArmCall[] = [];
  const pools = new Map(Object.entries(options.pools ?? { training: { count: 1, enableAutoScaling: false } }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: ArmCall = { method: req.method ?? 'GET', path: url.pathname, ...(text ? { body: JSON.parse(text) as unknown } : {}), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
    calls.push(call);
    const send = (code: number, payload: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const base = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)/i.exec(url.pathname);
    if (!base) return send(404, { error: { code: 'NotFound', message: url.pathname } });
    const rest = url.pathname.slice(base[0].length);
    if (/^\/listClusterUserCredential$/i.test(rest) && call.method === 'POST') {
      return send(200, { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(options.kubeconfig()).toString('base64') }] });
    }
    const pool = /^\/agentPools\/([^/]+)$/i.exec(rest);
    if (pool) {
      const name = decodeURIComponent(pool[1]!);
      const id = `${base[0]}/agentPools/${name}`;
      if (call.method === 'PUT') {
        const props = (call.body as { properties?: { count?: number; enableAutoScaling?: boolean; minCount?: number; maxCount?: number } }).properties ?? {};
        pools.set(name, { count: props.count ?? 0, enableAutoScaling: props.enableAutoScaling ?? false, ...(props.minCount !== undefined ? { minCount: props.minCount } : {}), ...(props.maxCount !== undefined ? { maxCount: props.maxCount } : {}) });
      }
      const p = pools.get(name);
      if (!p) return send(404, { error: { code: 'NotFound', message: `agent pool ${name}` } });
      return send(200, { id, name, type: 'Microsoft.ContainerService/managedClusters/agentPools', properties: { ...p, mode: 'User', vmSize: 'Standard_D4s_v5', provisioningState: 'Succeeded' } });
    }
    return send(404, { error: { code: 'NotFound', message: url.pathname } });
  }

  const server = createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: cert,
    calls,
    pools,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
