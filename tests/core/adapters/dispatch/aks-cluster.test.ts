import { createServer, type Server } from 'node:http';
import { BatchV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenCredential } from '@azure/identity';
import { clusterKubeConfig } from '../../../../core/adapters/dispatch/aks-cluster.js';
import { startFakeArm, type FakeArm } from '../../../support/fake-arm.js';

describe('clusterKubeConfig with Entra ID auth', () => {
  let apiServer: Server;
  let arm: FakeArm;
  const seen: (string | undefined)[] = [];
  let tokensIssued = 0;
  const credential: TokenCredential = {
    // The same identity signs ARM calls (management scope) and, here, Kubernetes calls (AKS scope).
    getToken: (scopes) => {
      const aks = [scopes].flat().includes('6dae42f8-4368-4678-94ff-3960e28e3630/.default');
      if (aks) tokensIssued++;
      return Promise.resolve({ token: aks ? `entra-${tokensIssued}` : 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };

  beforeAll(async () => {
    apiServer = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'batch/v1', kind: 'JobList', metadata: {}, items: [] }));
    });
    await new Promise<void>((resolve) => apiServer.listen(0, '127.0.0.1', resolve));
    const address = apiServer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // What AKS returns for an Entra-enabled cluster: the user runs kubelogin, which a Functions host lacks.
    const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: aks
  cluster:
    server: http://127.0.0.1:${port}
    insecure-skip-tls-verify: true
contexts:
- name: aks
  context: { cluster: aks, user: clusterUser }
current-context: aks
users:
- name: clusterUser
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]
`;
    arm = await startFakeArm({ kubeconfig: () => kubeconfig });
  });

  afterAll(async () => {
    await arm.stop();
    await new Promise((resolve) => apiServer.close(resolve));
  });

  it('replaces kubelogin with a bearer token from the app identity, fresh on each request', async () => {
    const kc = await clusterKubeConfig({ credential, subscriptionId: 's', resourceGroup: 'rg', cluster: 'aks', endpoint: arm.endpoint, clientOptions: { tlsOptions: { ca: arm.ca } } });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.listNamespacedJob({ namespace: 'foreact' });
    await batch.listNamespacedJob({ namespace: 'foreact' });
    expect(seen).toEqual(['Bearer entra-1', 'Bearer entra-2']);
  });
});
