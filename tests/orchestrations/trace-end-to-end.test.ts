import { startLocalHost, type LocalHost } from '../support/local-host.js';
import { resolve } from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteInstance } from '../support/azurite.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { TableAccessRepository } from '../../core/adapters/azure/api-access-table.js';
import { AksDispatcher } from '../../core/adapters/dispatch/aks.js';
import { LocalDispatcher } from '../../core/adapters/dispatch/local.js';
import type { AppConfig } from '../../core/config.js';
import { encodePrincipal } from '../../functions/http/principal.js';
import { refreshInstanceId } from '../../orchestrations/names.js';
import { REPO, openTestStorage, useTestRuntime, seedPromotions, seedStores, testConfig, trainerEnv } from './helpers.js';
import { createRuntime, type Runtime } from '../../core/runtime.js';

/**
 * Issue 14's trace test: a refresh that arrives with a `traceparent` header is ONE trace, with one trace
 * id, from the HTTP function through the orchestration's activities and the dispatch to the trainer's
 * publish span, for both backends. The test process's spans (HTTP, activities, and the worker threads'
 * spans, which the local backend forwards to the parent) go to an in-memory exporter; a trainer pod of
 * the fake Kubernetes API is a child process and exports OTLP/JSON to a receiver on loopback.
 */

const MODULES = ['functions/refresh-store.ts', 'orchestrations/training-batch.ts', 'orchestrations/store-refresh.ts', 'orchestrations/morning-run.ts'].map((m) => resolve(REPO, m));
const PLANNER = { identityProvider: 'aad', userId: 'u-ann', userDetails: 'ann@contoso.com', userRoles: ['anonymous', 'authenticated', 'planner'] };
const TRAINER_STEPS = ['load history', 'fit and backtest', 'register', 'gate', 'publish'];

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  attributes: Record<string, unknown>;
}

const fromMemory = (s: ReadableSpan): Span => ({ traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, parentSpanId: s.parentSpanContext?.spanId, name: s.name, attributes: { ...s.attributes } });

function hex(bytes: number): string {
  return Array.from({ length: bytes }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join('');
}

describe('one trace from the HTTP refresh to the trainer’s publish span', () => {
  const memory = new InMemorySpanExporter();
  let azurite: AzuriteInstance;
  let host: LocalHost;
  let k8s: FakeKubernetes;
  let otlp: OtlpReceiver;
  let config: AppConfig;
  let runtime: Runtime;
  let local: LocalDispatcher;

  beforeAll(async () => {
    azurite = await startAzurite();
    config = testConfig(azurite.connectionString, { FOREACT_POLL_SECONDS: '0.2', FOREACT_REFRESH_DEADLINE_SECONDS: '60' });
    // The test's own runtime: its telemetry exports to the in-memory exporter.
    runtime = createRuntime(config, { telemetry: { spanProcessors: [new SimpleSpanProcessor(memory)] } });
    const storage = await openTestStorage(azurite.connectionString);
    await seedStores(storage, ['t1', 't2']);
    const access = new TableAccessRepository(storage.clients.table(config.api.accessTable), 0);
    for (const s of ['t1', 't2']) await access.setStoreRegion(s, 'north');
    await access.setUserRegions(PLANNER.userDetails, ['north']);
    otlp = await startOtlpReceiver();
    k8s = await startFakeKubernetes();
    local = new LocalDispatcher({ workers: 1, config, telemetry: runtime.telemetry });
    host = await startLocalHost({ port: 0, storageConnectionString: azurite.connectionString, modules: MODULES, enableTimers: false, log: () => undefined });
  });

  afterAll(async () => {
    await host?.stop();
    await local?.close();
    await k8s?.stop();
    await otlp?.stop();
    await azurite?.stop();
  });

  /** POSTs the refresh with a traceparent, waits for the orchestration, returns the run id and the caller's ids. */
  async function refresh(store: string): Promise<{ runId: string; traceId: string; callerSpanId: string; body: unknown }> {
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const response = await fetch(`${host.url}/api/stores/${store}/refresh`, { method: 'POST', headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-ms-client-principal': encodePrincipal(PLANNER), 'x-requested-with': 'foreact' } });
    const body = (await response.json()) as { runId: string };
    expect(response.status, JSON.stringify(body)).toBe(202);
    const done = await host.durable.waitForInstance(refreshInstanceId(store), 120_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect((done.output as { status: string }).status, JSON.stringify(done.output)).toBe('succeeded');
    await runtime.telemetry.flush();
    return { runId: body.runId, traceId, callerSpanId, body };
  }

  /** The chain every backend must show: caller → HTTP → dispatch activity → trainer → its steps, one trace id. */
  function expectOneTrace(spans: Span[], runId: string, store: string, traceId: string, callerSpanId: string): void {
    const ofRun = spans.filter((s) => s.attributes.runId === runId);
    expect(ofRun.length).toBeGreaterThan(8);
    expect(new Set(ofRun.map((s) => s.traceId))).toEqual(new Set([traceId]));
    const byName = (name: string): Span => {
      const found = ofRun.find((s) => s.name === name);
      expect(found, `${name} in ${ofRun.map((s) => s.name).join(', ')}`).toBeDefined();
      return found!;
    };
    const http = byName('POST /api/stores/{store}/refresh');
    expect(http.parentSpanId).toBe(callerSpanId);
    expect(http.attributes).toMatchObject({ 'http.response.status_code': 202, store, trigger: 'refresh' });
    const dispatch = byName('activity training-dispatch');
    expect(dispatch.parentSpanId).toBe(http.spanId);
    expect(byName('activity refresh-settings').parentSpanId).toBe(http.spanId);
    expect(byName('activity training-result').parentSpanId).toBe(http.spanId);
    const trainer = byName('train stores');
    expect(trainer.parentSpanId).toBe(dispatch.spanId);
    for (const step of TRAINER_STEPS) {
      const s = byName(step);
      expect(s.parentSpanId, step).toBe(trainer.spanId);
      expect(s.attributes, step).toMatchObject({ runId, store, trigger: 'refresh' });
    }
    for (const s of ofRun) expect(s.attributes, s.name).toMatchObject({ runId, trigger: 'refresh' });
  }

  it('local backend: the worker thread’s spans come back through the parent’s exporter', async () => {
    await useTestRuntime(runtime, { dispatcher: local });
    const { runId, traceId, callerSpanId } = await refresh('t1');
    expectOneTrace(memory.getFinishedSpans().map(fromMemory), runId, 't1', traceId, callerSpanId);
  });

  it('aks backend (fake Kubernetes API): the Job gets TRACEPARENT, the trainer pod exports OTLP', async () => {
    const dispatcher = new AksDispatcher({ kubeConfig: k8s.kubeConfig(), namespace: 'foreact', image: 'acr.example/trainer:1', serviceAccount: 'foreact-trainer', pool: 'training', env: { ...trainerEnv(azurite.connectionString), OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'foreact-trainer' } });
    await useTestRuntime(runtime, { dispatcher, scaler: null });
    const { runId, traceId, callerSpanId } = await refresh('t2');
    const job = [...k8s.jobs.values()].find((j) => j.metadata?.annotations?.['foreact/run'] === runId);
    const env = job?.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'TRACEPARENT')?.value).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    // The pod's process flushed before it exited (the Job completed): its spans are here.
    const pod = otlp.spans.filter((s) => s.attributes.runId === runId);
    expect(pod.map((s) => s.name)).toEqual(expect.arrayContaining(['train stores', ...TRAINER_STEPS]));
    expect(new Set(pod.map((s) => s.service))).toEqual(new Set(['foreact-trainer']));
    expectOneTrace([...memory.getFinishedSpans().map(fromMemory), ...otlp.spans], runId, 't2', traceId, callerSpanId);
    // The pod's log lines carry the same trace id.
    const lines = k8s.pods.flatMap((p) => p.stdout.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.runId === runId).every((l) => l.traceId === traceId && l.level !== undefined && l.store === 't2' && l.trigger === 'refresh')).toBe(true);
    expect(lines.some((l) => l.runId === runId && /^published/.test(String(l.message)))).toBe(true);
  });

  it('the morning run’s pooled step: its job’s span and steps continue the run’s trace', async () => {
    await useTestRuntime(runtime, { dispatcher: local });
    // Stores with drivers: the run pools only when some store's learned family would read the models.
    await seedPromotions(await openTestStorage(azurite.connectionString));
    const traceId = hex(16);
    const timerSpanId = hex(8);
    const date = '2026-11-30';
    const runId = `morning-${date}`;
    await host.durable.startNew('morning-run', { instanceId: runId, input: { date, traceparent: `00-${traceId}-${timerSpanId}-01` } });
    const done = await host.durable.waitForInstance(runId, 120_000);
    expect(done.runtimeStatus).toBe('Completed');
    expect((done.output as { pooled?: { version?: string } }).pooled?.version).toBe(runId);
    await runtime.telemetry.flush();
    const spans = memory.getFinishedSpans().map(fromMemory).filter((s) => s.traceId === traceId);
    const pooled = spans.find((s) => s.name === 'train pooled');
    expect(pooled, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(pooled!.attributes).toMatchObject({ runId, trigger: 'morning', mode: 'pooled' });
    // Its parent is the dispatch activity of the pooled job (the one without stores), a child of the run's trace.
    const dispatch = spans.find((s) => s.spanId === pooled!.parentSpanId);
    expect(dispatch?.name).toBe('activity training-dispatch');
    expect(dispatch?.parentSpanId).toBe(timerSpanId);
    for (const step of ['load every store', 'fit pooled', 'write pooled']) expect(spans.find((s) => s.name === step)?.parentSpanId, step).toBe(pooled!.spanId);
    expect(spans.find((s) => s.name === 'activity pooled-result')?.parentSpanId).toBe(timerSpanId);
  });
});
