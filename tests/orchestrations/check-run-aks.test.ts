/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- response bodies and the OpenAPI document are untyped JSON here; bodies are checked against the document */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../support/local-host.js';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { startFakeArm, type FakeArm } from '../support/fake-arm.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { jobName } from '../../core/adapters/dispatch/aks.js';
import { morningInstanceId } from '../../orchestrations/names.js';
import { asApp, SAME_SITE } from '../functions/harness.js';
import { fakeAksBackend, openTestStorage, useTestRuntime, REPO, seedStores, startAppHost, testConfig } from './helpers.js';
import { createRuntime } from '../../core/runtime.js';

/**
 * Issue 18 item 4: the post-deploy smoke test's check run, end to end on the shipped path — the HTTP
 * trigger, the morning-run orchestration restricted to one store, the aks backend (a Job on a fake
 * Kubernetes API whose "kubelet" runs the real trainer), the pool sized through (fake) ARM, and the
 * forecast read back through the API, as the deploy identity (an operator) does it.
 */
const DEPLOY_APP = '0a1b2c3d-0000-4000-8000-00000000d3b1';
const API = ['start-check-run', 'get-run', 'get-stores', 'get-forecasts'];

const doc = parseYaml(readFileSync(resolve(REPO, 'docs/openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi', components: doc.components });
/** The problems of `body` against the documented response of `method path → status` ([] when it fits). */
function undocumented(method: string, path: string, status: number, body: unknown): string[] {
  const op = doc.paths[path]?.[method];
  let resp = op?.responses?.[String(status)];
  if (resp?.$ref) resp = doc.components.responses[resp.$ref.split('/').pop()];
  const schema = resp?.content?.['application/json']?.schema;
  if (schema === undefined) return [`${method} ${path} → ${status} is not documented`];
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components/g, '"openapi#/components')));
  return validate(body) ? [] : [ajv.errorsText(validate.errors)];
}

describe('a check run (POST /api/stores/{store}/check-run) through the aks backend', () => {
  let azurite: AzuriteInstance;
  let storage: AzureStorage;
  let k8s: FakeKubernetes;
  let arm: FakeArm;
  let host: LocalHost;

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = await openTestStorage(azurite.connectionString);
    await seedStores(storage, ['smoke', 's1']);
    k8s = await startFakeKubernetes();
    arm = await startFakeArm({ kubeconfig: () => k8s.kubeConfigYaml(), pools: { training: { count: 0, enableAutoScaling: false } } });
    const env = { FOREACT_DISPATCH: 'aks', FOREACT_AKS_SUBSCRIPTION_ID: 'sub-1', FOREACT_AKS_RESOURCE_GROUP: 'rg', FOREACT_AKS_CLUSTER: 'aks', FOREACT_AKS_IMAGE: 'acr.example/trainer:1', FOREACT_POLL_SECONDS: '0.2', FOREACT_SECONDS_PER_STORE: '600', FOREACT_AKS_WINDOW_SECONDS: '600', FOREACT_AKS_PODS_PER_NODE: '1', FOREACT_TRUSTED_APP_IDS: DEPLOY_APP };
    const config = testConfig(azurite.connectionString, env);
    await useTestRuntime(createRuntime(config), await fakeAksBackend(config, arm, azurite.connectionString));
    host = await startAppHost(azurite.connectionString, API);
  });

  afterAll(async () => {
    await host?.stop();
    await k8s?.stop();
    await arm?.stop();
    await azurite?.stop();
  });

  const call = async (method: string, path: string, template: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${host.url}/api${path}`, { method, headers: asApp(DEPLOY_APP, method === 'GET' ? {} : SAME_SITE) });
    const body = (await res.json());
    expect(undocumented(method.toLowerCase(), template, res.status, body)).toEqual([]);
    return { status: res.status, body };
  };

  it('trains the one store in a Kubernetes Job under its own run id; the forecast is readable through the API', async () => {
    const started = await call('POST', '/stores/smoke/check-run', '/stores/{store}/check-run');
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    expect(runId).toMatch(/^check-\d{8}T\d{9}Z-[0-9a-f]{6}\.smoke$/);
    expect(started.body).toEqual({ runId, statusUrl: `/api/runs/${runId}`, store: 'smoke', joined: false });
    // A retried smoke test joins the running check run instead of queueing a second Job.
    const again = await call('POST', '/stores/smoke/check-run', '/stores/{store}/check-run');
    expect(again.body).toMatchObject({ runId, joined: true });

    let run = await call('GET', `/runs/${runId}`, '/runs/{id}');
    for (const deadline = Date.now() + 240_000; !['done', 'failed'].includes(run.body.status as string) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      run = await call('GET', `/runs/${runId}`, '/runs/{id}');
    }
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ runId, kind: 'check', store: 'smoke', status: 'done', backend: 'aks', published: ['smoke'], failed: [] });
    expect(run.body.error).toBeUndefined();

    // One Job, for this store and run; its pod (the real trainer) published.
    expect([...k8s.jobs.values()].map((j) => j.metadata?.name)).toEqual([jobName(runId, 'smoke')]);
    expect(k8s.pods.filter((p) => p.job === jobName(runId, 'smoke')).map((p) => p.exitCode)).toEqual([0]);
    // The pool went up for one store and back to its resting size.
    expect(arm.calls.filter((c) => c.method === 'PUT').map((c) => (c.body as { properties: { count: number } }).properties.count)).toEqual([1, 0]);

    const stores = await call('GET', '/stores', '/stores');
    expect(stores.body.stores.map((s: any) => [s.store, s.freshness.currentRunId])).toEqual([['smoke', runId]]);
    // The API caches a store's pointer for FOREACT_API_POINTER_CACHE_MS (2 s; docs/api.md): the POST read it
    // moments ago, so the new run may show up to 2 s after it is done, and then whole.
    let forecasts = await call('GET', '/forecasts?stores=smoke', '/forecasts');
    for (const deadline = Date.now() + 10_000; forecasts.body.stores[0]?.freshness.currentRunId !== runId && Date.now() < deadline; ) {
      expect(forecasts.body.stores[0].items).toEqual([]);
      await new Promise((r) => setTimeout(r, 250));
      forecasts = await call('GET', '/forecasts?stores=smoke', '/forecasts');
    }
    expect(forecasts.status).toBe(200);
    expect(forecasts.body.stores[0].freshness.currentRunId).toBe(runId);
    expect(forecasts.body.stores[0].items).toHaveLength(4);
    expect((await storage.stores.get('s1'))!.value.current).toBeUndefined();

    // Not the day's morning run: that instance was never started.
    expect(await host.durable.getStatus(morningInstanceId(new Date().toLocaleDateString('sv-SE')))).toBeUndefined();
    // Once the instance is purged the runs table still answers the same.
    await host.durable.purge(runId);
    const recorded = await call('GET', `/runs/${runId}`, '/runs/{id}');
    expect(recorded.body).toMatchObject({ runId, kind: 'check', status: 'done', backend: 'aks', published: ['smoke'], failed: [] });
  });
});
