import { HttpRequest, InvocationContext } from '@azure/functions';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { createRuntime, useRuntime } from '../../../core/runtime.js';
import { withErrors } from '../../../functions/http/traced-handler.js';
import { ApiError } from '../../../functions/http/errors.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const memory = new InMemorySpanExporter();

function call(handler: () => Promise<never>, traceparent?: string): { response: ReturnType<ReturnType<typeof withErrors>>; logs: string[] } {
  const logs: string[] = [];
  const context = new InvocationContext({ invocationId: 'inv-1', functionName: 'get-things', options: { trigger: { type: 'httpTrigger', name: 'req', route: 'things/{id}' }, extraInputs: [], extraOutputs: [] }, logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')) });
  const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/things/1', headers: traceparent ? { traceparent } : {} });
  return { response: withErrors(handler)(request, context), logs };
}

describe('HTTP functions and the trace id', () => {
  const lines: string[] = [];
  beforeAll(() => {
    // The functions' runtime is the test's own: its spans in memory, its log lines in `lines`.
    useRuntime(createRuntime(loadConfig({}), { telemetry: { spanProcessors: [new SimpleSpanProcessor(memory)], logSink: (l) => lines.push(l) } }));
  });

  it('a 500 names the caller’s trace id (error.details.traceId), as do its log lines; the server span has route and status', async () => {
    const { response, logs } = call(() => Promise.reject(new Error('boom')), `00-${TRACE}-b7ad6b7169203331-01`);
    const r = await response;
    expect(r.status).toBe(500);
    expect((r.jsonBody as { error: { details: { traceId: string } } }).error.details.traceId).toBe(TRACE);
    expect(logs.join('\n')).toContain(TRACE);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'request failed')).toMatchObject({ level: 'error', traceId: TRACE });
    const span = memory.getFinishedSpans().find((s) => s.spanContext().traceId === TRACE);
    expect(span?.name).toBe('GET /api/things/{id}');
    expect(span?.attributes).toMatchObject({ 'http.route': '/api/things/{id}', 'http.response.status_code': 500 });
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('without a traceparent the request starts its own trace, and its id is the one in the body', async () => {
    const r = await call(() => Promise.reject(new Error('boom'))).response;
    const traceId = (r.jsonBody as { error: { details: { traceId: string } } }).error.details.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(memory.getFinishedSpans().some((s) => s.spanContext().traceId === traceId)).toBe(true);
  });

  it('a refusal (4xx) is answered as before, its span records the status', async () => {
    const r = await call(() => Promise.reject(new ApiError(404, 'not_found', 'no such thing')), `00-${TRACE.replace(/^0/, '1')}-b7ad6b7169203331-01`).response;
    expect(r.status).toBe(404);
    expect(memory.getFinishedSpans().at(-1)?.attributes['http.response.status_code']).toBe(404);
  });
});
