import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, trainerEnv } from '../../../core/config.js';

const ROOT = path.resolve(__dirname, '../../..');
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

/**
 * A process with OTEL_TRACES_EXPORTER=console: a span of the main thread, a span of a worker thread
 * (forwarded to the parent, as the local backend's workers do) and a log line, all in one trace.
 */
const SCRIPT = `
const { Worker } = require('node:worker_threads');
const { loadConfig } = require(${JSON.stringify(path.join(ROOT, 'dist/core/config.js'))});
const t = require(${JSON.stringify(path.join(ROOT, 'dist/core/adapters/telemetry.js'))});
const config = loadConfig(process.env);
const telemetry = t.startTelemetry(config.telemetry);
t.withSpan('main-span', { traceparent: '00-${TRACE}-${PARENT}-01', attributes: { runId: 'r1', store: 's1', trigger: 'refresh' } }, async () => {
  telemetry.logger({ runId: 'r1', store: 's1', trigger: 'refresh' }).info('inside the span');
  const worker = new Worker(\`
    const { parentPort, workerData } = require('node:worker_threads');
    const t = require(workerData.telemetry);
    t.startTelemetry(workerData.config, { forward: (spans) => parentPort.postMessage({ spans }) });
    t.withSpan('worker-span', { traceparent: workerData.traceparent, attributes: { runId: 'r1', store: 's1', trigger: 'refresh' } }, async () => undefined).then(() => parentPort.postMessage({ done: true }));
  \`, { eval: true, workerData: { telemetry: ${JSON.stringify(path.join(ROOT, 'dist/core/adapters/telemetry.js'))}, config: config.telemetry, traceparent: t.currentTraceparent() } });
  await new Promise((resolve) => worker.on('message', (m) => (m.spans ? telemetry.exportForwarded(m.spans) : resolve(worker.terminate()))));
}).then(() => telemetry.flush());
`;

describe('telemetry settings', () => {
  it('reads the OpenTelemetry SDK’s and Application Insights’ standard variables', () => {
    expect(loadConfig({}).telemetry).toMatchObject({ serviceName: 'foreact', exporters: [], otlpTracesUrl: undefined, azureMonitorConnectionString: undefined, stdoutLogs: true });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }).telemetry).toMatchObject({ exporters: ['otlp'], otlpTracesUrl: 'http://127.0.0.1:4318/v1/traces' });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).telemetry.exporters).toEqual(['console']);
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'none' }).telemetry.exporters).toEqual([]);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    const azure = loadConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/', APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=abc', WEBSITE_SITE_NAME: 'func-foreact-dev', AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).telemetry;
    expect(azure).toMatchObject({ azureMonitorClientId: 'abc', stdoutLogs: false });
    expect(() => loadConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'nonsense' })).toThrow(/APPLICATIONINSIGHTS_CONNECTION_STRING/);
  });

  it('hands the telemetry settings to a trainer pod', () => {
    expect(trainerEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x', APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD', OTHER: 'no' })).toEqual({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x',
    });
  });
});

describe('OTEL_TRACES_EXPORTER=console', () => {
  it('prints the spans of the process and of its worker threads, in the caller’s trace, with the run attributes', () => {
    if (!existsSync(path.join(ROOT, 'dist/core/adapters/telemetry.js'))) throw new Error('run "npm run build" first (npm test does)');
    const run = spawnSync(process.execPath, ['-e', SCRIPT], { cwd: ROOT, env: { PATH: process.env.PATH, OTEL_TRACES_EXPORTER: 'console' }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    for (const name of ['main-span', 'worker-span']) expect(out).toContain(`name: '${name}'`);
    // Both spans (the console exporter prints one object per span) are in the caller's trace.
    expect(out.match(new RegExp(`^  traceId: '${TRACE}'`, 'gm'))).toHaveLength(2);
    expect(out).toContain(`parentSpanContext: {\n    traceId: '${TRACE}',\n    spanId: '${PARENT}'`);
    expect(out).toMatch(/runId: 'r1'/);
    const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('inside the span'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 'info', message: 'inside the span', traceId: TRACE, runId: 'r1', store: 's1', trigger: 'refresh' });
  });
});
