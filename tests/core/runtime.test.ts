import { afterEach, describe, expect, test } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withSpan } from '../../core/adapters/telemetry.js';
import type { AppDeps } from '../../core/composition.js';
import { loadConfig } from '../../core/config.js';
import { createRuntime, processRuntime, processTelemetry, useRuntime } from '../../core/runtime.js';

/** Deps that need no storage: the runtime only hands them on. */
const fakeDeps = (horizonDays: number): AppDeps => ({ config: loadConfig({ FOREACT_HORIZON_DAYS: String(horizonDays) }) }) as unknown as AppDeps;

describe('the runtime', () => {
  afterEach(() => useRuntime(undefined));

  test('a test builds its own from plain settings: config, telemetry and deps, no process.env', async () => {
    const lines: string[] = [];
    const memory = new InMemorySpanExporter();
    const deps = fakeDeps(9);
    const runtime = createRuntime(loadConfig({ FOREACT_HORIZON_DAYS: '9' }), { deps, telemetry: { spanProcessors: [new SimpleSpanProcessor(memory)], logSink: (l) => lines.push(l) } });
    expect(runtime.config.forecast.horizonDays).toBe(9);
    await expect(runtime.deps()).resolves.toBe(deps);
    await withSpan('probe', {}, () => {
      runtime.telemetry.logger({ runId: 'r1' }).info('inside');
      return Promise.resolve();
    });
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ message: 'inside', runId: 'r1' });
    // The log line carries the id of the span its runtime's telemetry recorded.
    expect(memory.getFinishedSpans().map((s) => s.spanContext().traceId)).toContain(line.traceId);
  });

  test('a case of the same test: other settings and deps, the same telemetry', async () => {
    const base = createRuntime(loadConfig({}), { deps: fakeDeps(28), telemetry: { logSink: () => undefined } });
    const other = fakeDeps(14);
    const variant = base.with({ config: loadConfig({ FOREACT_HORIZON_DAYS: '14' }), deps: other });
    expect(variant.telemetry).toBe(base.telemetry);
    expect(variant.config.forecast.horizonDays).toBe(14);
    await expect(variant.deps()).resolves.toBe(other);
    await expect(base.deps()).resolves.not.toBe(other);
  });

  test('the process runtime is the one installed, until it is taken away', () => {
    const runtime = createRuntime(loadConfig({ FOREACT_HORIZON_DAYS: '7' }), { deps: fakeDeps(7), telemetry: { logSink: () => undefined } });
    useRuntime(runtime);
    expect(processRuntime()).toBe(runtime);
    expect(processTelemetry()).toBe(runtime.telemetry);
    useRuntime(undefined);
    expect(processRuntime()).not.toBe(runtime);
  });
});
