import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { changesState, checkSameOrigin } from './csrf.js';
import { apiContext } from './context.js';
import { toErrorResponse } from './responses.js';
import { SpanStatusCode, withSpan } from '../../core/adapters/telemetry.js';
import { processTelemetry } from '../../core/runtime.js';

export type ApiHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** The route template a function was registered with (`stores/{store}/refresh`), for span names and metrics. */
function routeOf(context: InvocationContext): string {
  const route = (context.options as { trigger?: { route?: unknown } } | undefined)?.trigger?.route;
  return typeof route === 'string' ? route : context.functionName;
}

/**
 * Every HTTP function: one span per request (API latency and errors by route), continuing the host's
 * trace context, else the caller's W3C `traceparent` (the dashboard sends one); `context.log` lines carry
 * the trace id; errors become responses (`toErrorResponse`).
 */
export function withErrors(handler: ApiHandler): ApiHandler {
  return (request, context) => {
    const route = routeOf(context);
    // In Azure the host's request (already a child of the caller's traceparent) is the parent; locally the header.
    const traceparent = context.traceContext?.traceParent ?? request.headers.get('traceparent');
    // The process's telemetry before its first span (a fresh worker's first request).
    const telemetry = processTelemetry();
    return withSpan(`${request.method} /api/${route}`, { traceparent, kind: telemetry.httpSpanKind(), attributes: { 'http.request.method': request.method, 'http.route': `/api/${route}` } }, async (span) => {
      const traceId = span.spanContext().traceId;
      for (const level of ['log', 'info', 'warn', 'error'] as const) {
        const original = context[level].bind(context);
        context[level] = (...args: unknown[]) => original(...args, `(trace ${traceId})`);
      }
      let response: HttpResponseInit;
      try {
        // Before anything else, so that no state-changing function can forget it (functions/http/csrf.ts).
        if (changesState(request.method)) checkSameOrigin(request, (await apiContext()).config.api.appOrigins);
        response = await handler(request, context);
      } catch (error) {
        response = toErrorResponse(error, context, telemetry.logger());
      }
      const status = response.status ?? 200;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
    });
  };
}
