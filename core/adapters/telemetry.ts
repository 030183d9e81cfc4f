import { DefaultAzureCredential } from '@azure/identity';
import { useAzureMonitor } from '@azure/monitor-opentelemetry';
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type SpanContext } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { TelemetryConfig } from '../config.js';
import type { Metrics } from '../ports/metrics.js';
import type { SpanAttributes, SpanHandle, Tracer } from '../ports/tracer.js';

/**
 * The app's OpenTelemetry, started once per process (and once per worker thread) from `TelemetryConfig`:
 * - spans go to Application Insights (`APPLICATIONINSIGHTS_CONNECTION_STRING`, Entra token from
 *   DefaultAzureCredential) and/or the SDK's standard exporters (`OTEL_TRACES_EXPORTER=console|otlp`);
 * - W3C `traceparent` in and out (`contextFrom`, `currentTraceparent`): the HTTP request, the
 *   orchestration's input, each activity's input, the Job's `TRACEPARENT`, the worker's request;
 * - a worker thread of the local backend hands its ended spans to the parent (`forward`), which exports
 *   them with its own console/OTLP exporters (`exportForwarded`); Application Insights is exported by
 *   each thread itself;
 * - structured logs (`logger`): one JSON line per record on stdout with level, traceId, spanId, runId,
 *   store, trigger, and the same record as an OpenTelemetry log (App Insights `traces`).
 */

const SCOPE = 'foreact';
const propagator = new W3CTraceContextPropagator();

export interface RunAttributes {
  runId?: string | undefined;
  store?: string | undefined;
  trigger?: string | undefined;
}

/** A span as it crosses a worker-thread boundary (structured-clone safe). */
export interface ForwardedSpan {
  name: string;
  kind: number;
  context: SpanContext;
  parent: SpanContext | undefined;
  startTime: [number, number];
  endTime: [number, number];
  duration: [number, number];
  status: { code: number; message?: string };
  attributes: Attributes;
  events: ReadableSpan['events'];
  links: ReadableSpan['links'];
  resource: Attributes;
  scope: { name: string; version?: string };
}

export interface TelemetryOptions {
  /** Extra span processors of this process (a test's in-memory exporter). */
  spanProcessors?: SpanProcessor[];
  /** A worker thread: ended spans go to the parent instead of this thread's console/OTLP exporters. */
  forward?: (spans: ForwardedSpan[]) => void;
  /** Where JSON log lines go (a test's list); stdout by default. */
  logSink?: (line: string) => void;
}

/**
 * One process's (or worker thread's) telemetry, made by `startTelemetry` and held by its runtime
 * (core/runtime.ts): its logger, its processors for spans a worker thread forwards, its flush.
 */
export interface Telemetry {
  readonly config: TelemetryConfig;
  logger: (fixed?: RunAttributes & Record<string, unknown>) => Logger;
  /** An Application Insights custom event (`customEvents` / `AppEvents`) with its dimensions, also logged. */
  event: (name: string, dimensions: Record<string, string | number | boolean>) => void;
  /** A gauge reading (`customMetrics` / `AppMetrics`: value = Sum / ItemCount of the row), logged unless `log: false`. */
  gauge: (name: string, value: number, attributes?: Attributes, options?: { log?: boolean }) => void;
  /** Spans a worker thread forwarded: exported by this process's console/OTLP/extra processors. */
  exportForwarded: (spans: readonly ForwardedSpan[]) => void;
  /** Exports what is buffered (before a process exits, before a test reads). */
  flush: () => Promise<void>;
  /** The kind of an HTTP function's span: a server span, unless the Functions host records the request itself. */
  httpSpanKind: () => SpanKind;
}

function toForwarded(span: ReadableSpan): ForwardedSpan {
  return {
    name: span.name,
    kind: span.kind,
    context: { ...span.spanContext() },
    parent: span.parentSpanContext ? { ...span.parentSpanContext } : undefined,
    startTime: [...span.startTime],
    endTime: [...span.endTime],
    duration: [...span.duration],
    status: { ...span.status },
    attributes: { ...span.attributes },
    events: span.events,
    links: span.links,
    resource: { ...span.resource.attributes },
    scope: { name: span.instrumentationScope.name, ...(span.instrumentationScope.version ? { version: span.instrumentationScope.version } : {}) },
  };
}

function fromForwarded(s: ForwardedSpan): ReadableSpan {
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => s.context,
    ...(s.parent ? { parentSpanContext: s.parent } : {}),
    startTime: s.startTime,
    endTime: s.endTime,
    duration: s.duration,
    status: s.status,
    attributes: s.attributes,
    links: s.links,
    events: s.events,
    ended: true,
    resource: resourceFromAttributes(s.resource),
    instrumentationScope: s.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Posts each ended span to the parent thread at once (the parent batches). */
class ForwardingProcessor implements SpanProcessor {
  constructor(private readonly send: (spans: ForwardedSpan[]) => void) {}
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.send([toForwarded(span)]);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function localProcessors(config: TelemetryConfig, options: TelemetryOptions): SpanProcessor[] {
  const out: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.forward) return [...out, new ForwardingProcessor(options.forward)];
  // Console: printed as each span ends (what a developer watching `npm start` wants).
  if (config.exporters.includes('console')) out.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  if (config.exporters.includes('otlp') && config.otlpTracesUrl) out.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpTracesUrl }), { scheduledDelayMillis: 500 }));
  return out;
}

/**
 * Starts OpenTelemetry for this process (or worker thread): once per process, through its runtime
 * (core/runtime.ts), which every entry point resolves before its first span.
 */
export function startTelemetry(config: TelemetryConfig, options: TelemetryOptions = {}): Telemetry {
  const local = localProcessors(config, options);
  const resource = resourceFromAttributes({ 'service.name': config.serviceName });
  const write = options.logSink ?? stdoutLine;
  if (config.azureMonitorConnectionString !== undefined) {
    const credential = new DefaultAzureCredential(config.azureMonitorClientId ? { managedIdentityClientId: config.azureMonitorClientId } : {});
    // Every trace (ratio 1, a decision by trace id, the same in every process): the default rate-limited
    // sampler decides per process, so one refresh's trace could lose its trainer half.
    useAzureMonitor({ azureMonitorExporterOptions: { connectionString: config.azureMonitorConnectionString, credential }, resource, spanProcessors: local, enableLiveMetrics: false, samplingRatio: 1, tracesPerSecond: 0 });
    propagation.setGlobalPropagator(propagator);
    return telemetryOf(config, local, undefined, true, write);
  }
  // Always a real provider, even without exporters: the ids it makes are the trace ids in error bodies and logs.
  const provider = new NodeTracerProvider({ resource, spanProcessors: local });
  provider.register({ propagator });
  return telemetryOf(config, local, provider, false, write);
}

/**
 * Telemetry that registers nothing (spans go wherever the process's OpenTelemetry already sends them) and
 * logs to stdout: the fallback while the process's settings are invalid (the deps then name the setting).
 */
export function passiveTelemetry(config?: TelemetryConfig, options: Pick<TelemetryOptions, 'logSink'> = {}): Telemetry {
  const fallback: TelemetryConfig = { serviceName: 'foreact', exporters: [], otlpTracesUrl: undefined, azureMonitorConnectionString: undefined, azureMonitorClientId: undefined, stdoutLogs: true, hostRecordsRequests: false };
  return telemetryOf(config ?? fallback, [], undefined, false, options.logSink ?? stdoutLine);
}

function stdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

function telemetryOf(config: TelemetryConfig, local: SpanProcessor[], provider: NodeTracerProvider | undefined, azureMonitor: boolean, write: (line: string) => void): Telemetry {
  const log = (fixed: RunAttributes & Record<string, unknown>): Logger => makeLogger(fixed, config.stdoutLogs ? write : undefined);
  return {
    config,
    logger: (fixed = {}) => log(fixed),
    event: (name, dimensions) => {
      logs.getLogger(SCOPE).emit({ severityNumber: SeverityNumber.INFO, body: name, attributes: { 'microsoft.custom_event.name': name, ...dimensions }, context: context.active() });
      log({}).info(`event ${name}`, { event: name, ...dimensions });
    },
    gauge: (name, value, attributes = {}, options = {}) => {
      recordGauge(name, value, attributes);
      if (options.log ?? true) log({}).info(`metric ${name}`, { metric: name, value, ...attributes });
    },
    exportForwarded: (spans) => {
      for (const s of spans) for (const p of local) p.onEnd(fromForwarded(s));
    },
    flush: async () => {
      await Promise.all(local.map((p) => p.forceFlush().catch(() => undefined)));
      await provider?.forceFlush().catch(() => undefined);
      if (azureMonitor) {
        // Application Insights' own providers (spans, metrics, log records) batch too: a pod must send them before it exits.
        const flush = async (target: unknown): Promise<void> => {
          const delegate = (target as { getDelegate?: () => unknown }).getDelegate?.() ?? target;
          await (delegate as { forceFlush?: () => Promise<void> }).forceFlush?.().catch(() => undefined);
        };
        await Promise.all([flush(trace.getTracerProvider()), flush(metrics.getMeterProvider()), flush(logs.getLoggerProvider())]);
      }
    },
    httpSpanKind: () => (config.hostRecordsRequests ? SpanKind.INTERNAL : SpanKind.SERVER),
  };
}

export function runAttributes(run: RunAttributes): Attributes {
  const out: Attributes = {};
  if (run.runId !== undefined) out.runId = run.runId;
  if (run.store !== undefined) out.store = run.store;
  if (run.trigger !== undefined) out.trigger = run.trigger;
  return out;
}

function clean(attributes: SpanAttributes | Attributes | undefined): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attributes ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** The context a W3C `traceparent` names (the active one when it is missing or malformed). */
export function contextFrom(traceparent: string | null | undefined, base: Context = context.active()): Context {
  if (!traceparent) return base;
  const carrier: Record<string, string> = { traceparent };
  return propagator.extract(base, carrier, { get: (_c, key) => carrier[key], keys: () => Object.keys(carrier) });
}

/** The active span's `traceparent`, to hand to the next hop (orchestration input, Job env, worker message). */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, {
    set: (_c, k, v) => {
      carrier[k] = v;
    },
  });
  return carrier.traceparent;
}

/** Trace and span id of the active span (undefined outside one). */
export function currentIds(ctx: Context = context.active()): { traceId: string; spanId: string } | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
}

export interface SpanOptions {
  /** W3C parent; default the active context. */
  traceparent?: string | null | undefined;
  attributes?: SpanAttributes | Attributes;
  kind?: SpanKind;
}

/**
 * Runs `work` in a new span (child of `traceparent`, else of the active span): the span is active inside
 * `work`, ends when it settles, and records the error when it throws.
 */
export async function withSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = contextFrom(options.traceparent);
  const span = trace.getTracer(SCOPE).startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: clean(options.attributes) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The `Tracer` port (core/ports/tracer.ts) over OpenTelemetry: child spans of the active one. */
export const otelTracer: Tracer = {
  start(name: string, attributes: SpanAttributes): SpanHandle {
    const span = trace.getTracer(SCOPE).startSpan(name, { attributes: clean(attributes) });
    return {
      end: (more) => {
        if (more) span.setAttributes(clean(more));
        span.end();
      },
      fail: (error) => {
        failSpan(span, error);
        span.end();
      },
    };
  },
};

// ---- Logs -----------------------------------------------------------------------------------------

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The same logger with more fixed fields (a store of a batch). */
  with(fields: RunAttributes & Record<string, unknown>): Logger;
}

const SEVERITY: Record<LogLevel, SeverityNumber> = { debug: SeverityNumber.DEBUG, info: SeverityNumber.INFO, warn: SeverityNumber.WARN, error: SeverityNumber.ERROR };

/**
 * A structured logger: each record carries level, message, the active trace and span ids, and the fixed
 * fields (runId, store, trigger), as a JSON line on `write` (none: Application Insights has the record) and
 * as an OpenTelemetry log record. Only ids and counts belong in fields: no user names or e-mail addresses.
 */
function makeLogger(fixed: RunAttributes & Record<string, unknown>, write: ((line: string) => void) | undefined): Logger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    const ids = currentIds();
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, message, ...(ids ?? {}), ...fixed, ...fields };
    for (const k of Object.keys(record)) if (record[k] === undefined) delete record[k];
    write?.(JSON.stringify(record));
    const attributes: Attributes = {};
    for (const [k, v] of Object.entries({ ...fixed, ...fields })) if (v !== undefined && k !== 'message') attributes[k] = typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
    logs.getLogger(SCOPE).emit({ severityNumber: SEVERITY[level], severityText: level.toUpperCase(), body: message, attributes, context: context.active() });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    with: (more) => makeLogger({ ...fixed, ...more }, write),
  };
}

// ---- Metrics and events (names the alerts read: docs/operations.md section 5) --------------------------

function recordGauge(name: string, value: number, attributes: Attributes): void {
  metrics.getMeter(SCOPE).createGauge(name).record(value, attributes);
}

/** The `Metrics` port (core/ports/metrics.ts): per-store readings, so no log line each (as training_seconds). */
export const otelMetrics: Metrics = {
  gauge(name, value, attributes) {
    recordGauge(name, value, attributes ?? {});
  },
};

export { SpanKind, SpanStatusCode, trace };

/**
 * What every activity's input declares: the orchestration's W3C trace context (orchestrators cannot make
 * spans while replaying, so the context travels in the input) and the run it works for. Absent values are
 * fine (a run without a trace context); an input type that leaves them out is not (`tracedActivity`).
 */
export interface TracedInput {
  traceparent?: string | undefined;
  runId?: string | undefined;
}

/** Empty when `I` declares the trace context and the run; else a required argument whose type says so. */
export type DeclaresTrace<I> = 'traceparent' | 'runId' extends keyof I ? [] : [missing: 'the activity input type must declare traceparent and runId (TracedInput)'];

/**
 * An activity handler in a span that is a child of the `traceparent` its input carries, with runId (and
 * store, stores, trigger where the input has them) as attributes; inside it, `currentTraceparent()` is the
 * activity's own context (for the next hop). `telemetry` is resolved per call, before the span (the
 * process's runtime: core/runtime.ts `tracedActivity`).
 */
export function tracedActivity<I extends TracedInput, O>(telemetry: () => Telemetry, name: string, handler: (input: I) => Promise<O>, ..._declares: DeclaresTrace<I>): (input: I) => Promise<O> {
  return (input) => {
    const log = telemetry().logger;
    // The input crossed the durable runtime as JSON: read it as untrusted.
    const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const stores = Array.isArray(i.stores) ? (i.stores as unknown[]).filter((s): s is string => typeof s === 'string') : undefined;
    const attributes = { ...runAttributes({ runId: text(i.runId), store: text(i.store) ?? (stores?.length === 1 ? stores[0] : undefined), trigger: text(i.trigger) }), ...(stores && stores.length > 1 ? { stores: stores.join(',') } : {}) };
    return withSpan(`activity ${name}`, { traceparent: text(i.traceparent), attributes }, async () => {
      try {
        return await handler(input);
      } catch (error) {
        // The durable runtime retries or fails the orchestration; the log line says which run and why.
        log({ ...attributes, activity: name }).error(`activity ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    });
  };
}

/**
 * A non-HTTP trigger (queue, timer) in a span named after the function, continuing the host's trace
 * context; an error is logged with the trace id before the host retries.
 */
export function tracedTrigger<I, C extends { traceContext?: { traceParent?: string | null | undefined } | undefined }, O>(telemetry: () => Telemetry, name: string, handler: (input: I, context: C) => Promise<O>): (input: I, context: C) => Promise<O> {
  return (input, ctx) => {
    const log = telemetry().logger;
    return withSpan(name, { traceparent: ctx.traceContext?.traceParent }, async () => {
      try {
        return await handler(input, ctx);
      } catch (error) {
        log({ function: name }).error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    });
  };
}
