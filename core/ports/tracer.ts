/**
 * Spans as the domain sees them: named steps with attributes (`runId`, `store`, `trigger`), without
 * OpenTelemetry. core/adapters/telemetry.ts implements it; `noTracer` does nothing (tests, tools).
 */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanHandle {
  end(attributes?: SpanAttributes): void;
  /** Ends the span as failed with the error. */
  fail(error: unknown): void;
}

export interface Tracer {
  /** Starts a child span of the current one. */
  start(name: string, attributes: SpanAttributes): SpanHandle;
}

export const noTracer: Tracer = { start: () => ({ end: () => undefined, fail: () => undefined }) };

/**
 * Consecutive steps of one piece of work, one span each: `next(name)` ends the step before and starts
 * the next; `end()` ends the last; `fail(error)` ends the open step as failed.
 */
export function stepSpans(tracer: Tracer | undefined, attributes: SpanAttributes): { next(name: string): void; end(): void; fail(error: unknown): void } {
  let open: SpanHandle | undefined;
  return {
    next(name) {
      open?.end();
      open = (tracer ?? noTracer).start(name, attributes);
    },
    end() {
      open?.end();
      open = undefined;
    },
    fail(error) {
      open?.fail(error);
      open = undefined;
    },
  };
}
