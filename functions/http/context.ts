import type { StoreDrivers } from '../../engine/index.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { Readable } from 'node:stream';
import * as df from 'durable-functions';
import type { z } from 'zod';
import { appDeps, type AppDeps } from '../../core/composition.js';
import type { AppConfig } from '../../core/config.js';
import type { AccessRepository, Principal } from '../../core/domain/api-access.js';
import { requirePrincipal } from './principal.js';
import { ApiError, apiErrorOf, errorBody } from './errors.js';
import { checkSameOrigin } from './csrf.js';
import { ByteBudgetCache } from './byte-cache.js';
import { historyTotals, type ActiveRunView, type ApiDeps } from '../../core/domain/api-service.js';
import type { RateLimiter } from '../../core/ports/rate-limiter.js';
import type { CheckRunInstances, RefreshInstances } from '../../core/ports/refresh-instances.js';
import { checkInstanceId, MORNING_RUN_ORCHESTRATION, morningInstanceId, refreshInstanceId, STORE_REFRESH_ORCHESTRATION, type MorningRunInput } from '../../orchestrations/names.js';
import { parseQuery } from './queries.js';
import { isActive, runIdOfInstance, statusOfInstance, storeOfCheckRunId, type InstanceSnapshot } from '../../core/domain/api-runs.js';
import { negotiate } from './views.js';
import type { ForecastRow, StoreState } from '../../core/domain/model.js';
import type { ForecastRepository, StoreCatalog } from '../../core/ports/index.js';
import { statusOf } from '../../core/adapters/azure/clients.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { currentIds, httpSpanKind, logger, SpanStatusCode, withSpan } from '../../core/adapters/telemetry.js';

/** Glue between Azure Functions HTTP triggers and the API's domain code: deps, principal, errors. */

export const API_VERSION = '1.0.0';

// Response bodies (CSV) are streamed: in Azure the worker then sends them over its HTTP proxy as they are
// produced instead of buffering them into one RPC message (needs Functions host 4.28+, which the
// deployment runs). Request bodies are not read by the API. Harmless where unsupported: setup refuses
// only once the app has started, and then nothing changes.
try {
  app.setup({ enableHttpStream: true });
} catch {
  // Already started (a module loaded late) or an older host: bodies are buffered, as before.
}

/** Entries the pointer cache may hold before expired ones are dropped (all of them, if none expired). */
const POINTER_CACHE_ENTRIES = 10_000;

/**
 * Store rows (the current-run pointers) cached for a short time per instance, one read in flight per store.
 * A newly published run shows up at most `ttlMs` later, always whole (the pointer names one complete run);
 * without it every request pays a storage round trip per store, which dominates latency under load.
 */
export class CachedStoreReads implements Pick<StoreCatalog, 'getMany' | 'list'> {
  private readonly cache = new Map<string, { at: number; value: Promise<StoreState | undefined> }>();
  constructor(
    private readonly inner: StoreCatalog,
    private readonly ttlMs: number,
  ) {}

  async getMany(stores: readonly string[]): Promise<Map<string, StoreState>> {
    if (this.ttlMs === 0) return this.inner.getMany(stores);
    const now = Date.now();
    const missing = [...new Set(stores)].filter((s) => {
      const hit = this.cache.get(s);
      return hit === undefined || now - hit.at >= this.ttlMs;
    });
    if (missing.length > 0) {
      const read = this.inner.getMany(missing);
      for (const s of missing) {
        const value = read.then((m) => m.get(s));
        value.catch(() => this.cache.delete(s));
        this.cache.set(s, { at: now, value });
      }
    }
    // This request's own reads are held here, so pruning (below, or by a concurrent request) never loses them.
    const pending = stores.map((s) => [s, this.cache.get(s)?.value] as const);
    if (this.cache.size > POINTER_CACHE_ENTRIES) this.prune(now);
    const out = new Map<string, StoreState>();
    for (const [s, value] of pending) {
      const v = await value;
      if (v !== undefined) out.set(s, v);
    }
    return out;
  }

  list(): Promise<StoreState[]> {
    return this.inner.list();
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Expired entries are worthless: dropping them bounds the cache by what `ttlMs` of requests can name
   * (a sweep of unknown ids included); past the bound even fresh ones go (re-read on the next request).
   */
  private prune(now: number): void {
    for (const [s, hit] of this.cache) if (now - hit.at >= this.ttlMs) this.cache.delete(s);
    if (this.cache.size > POINTER_CACHE_ENTRIES) this.cache.clear();
  }
}

/** Bytes a store's daily totals take in memory. */
function totalsBytes(t: { sales: number[] } | undefined): number {
  return 64 + 8 * (t?.sales.length ?? 0);
}

/** Bytes a store's drivers take in memory: one float per column, day and scope. */
function storeDriversBytes(d: StoreDrivers): number {
  const days = d.lastDay - d.firstDay + 1;
  let vectors = d.storeValues.length;
  for (const columns of d.items.values()) vectors += columns.filter((v) => v !== undefined).length;
  return 256 + vectors * days * 8;
}

/** Bytes a run's rows take in memory, roughly: three float arrays per item plus the strings around them. */
export function runRowsBytes(rows: readonly ForecastRow[]): number {
  let bytes = 64;
  for (const r of rows) bytes += 3 * 8 * r.forecast.length + 2 * (r.item.length + r.store.length + r.runId.length + r.modelVersion.length + r.firstDay.length) + 200;
  return bytes;
}

/**
 * The API's one cache of immutable runs: a store's current run is cached whole, keyed by (store, run id)
 * (a new pointer is a new key), within a byte budget, so a planner sweeping dates or stores cannot pin
 * more memory than the budget.
 */
export class CachedRunReads implements Pick<ForecastRepository, 'readRun'> {
  private readonly cache: ByteBudgetCache<ForecastRow[]>;
  constructor(
    private readonly inner: Pick<ForecastRepository, 'readRun'>,
    budgetBytes: number,
  ) {
    this.cache = new ByteBudgetCache<ForecastRow[]>(budgetBytes, runRowsBytes);
  }

  get bytes(): number {
    return this.cache.bytes;
  }

  async readRun(store: string, runId: string, options: { items?: readonly string[] } = {}): Promise<ForecastRow[]> {
    const all = await this.cache.load(`${store}\u0000${runId}`, () => this.inner.readRun(store, runId));
    if (options.items === undefined) return all;
    const wanted = new Set(options.items);
    return all.filter((r) => wanted.has(r.item));
  }
}

export interface ApiContext {
  deps: ApiDeps;
  storage: AzureStorage;
  access: AccessRepository;
  /** Refreshes per user, shared by every instance (a table of token buckets). */
  limiter: RateLimiter;
  config: AppConfig;
}

/** The API's read-side wrappers (short-lived caches) over the process's deps; built once per deps. */
const contexts = new WeakMap<AppDeps, ApiContext>();

export async function apiContext(): Promise<ApiContext> {
  const app = await appDeps();
  let ctx = contexts.get(app);
  if (ctx === undefined) {
    const { storage, config, access } = app;
    // History blobs are immutable: store totals cached by blob, within a small share of the run cache's budget.
    const totals = new ByteBudgetCache<{ startDay: number; sales: number[] } | undefined>(Math.max(1, Math.floor(config.api.runCacheBytes / 16)), totalsBytes);
    // Drivers versions are immutable: cached by blob, within a small share of the run cache's budget.
    const driverCache = new ByteBudgetCache<StoreDrivers>(Math.max(1, Math.floor(config.api.runCacheBytes / 8)), storeDriversBytes);
    const deps: ApiDeps = {
      stores: new CachedStoreReads(storage.stores, config.api.pointerCacheMs),
      forecasts: new CachedRunReads(storage.forecasts, config.api.runCacheBytes),
      access,
      historyTotals: (blob) => totals.load(blob, () => storage.history.read(blob).then(historyTotals)),
      storeDrivers: (blob) => driverCache.load(blob, () => storage.drivers.read(blob)),
      realised: storage.realised,
      backtestFolds: config.forecast.backtestFolds,
      clock: app.clock,
      maxCells: config.api.maxCells,
      operatorStores: config.api.operatorStores,
    };
    ctx = { deps, storage, access, config, limiter: app.refreshLimiter };
    contexts.set(app, ctx);
  }
  return ctx;
}

/** The caller (401 without one; 403 for an app-only caller not in FOREACT_TRUSTED_APP_IDS). */
export async function principalOf(request: HttpRequest): Promise<Principal> {
  const { config } = await apiContext();
  return requirePrincipal(request.headers.get('x-ms-client-principal'), request.headers.get('x-ms-client-principal-idp'), config.api.trustedAppIds);
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } };
}

/**
 * The start every JSON-or-CSV read endpoint shares, in this order: the caller (401), the format from
 * `Accept` (406), the query (400), then the API's deps.
 */
export async function readRequest<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<{ principal: Principal; format: 'json' | 'csv'; query: z.output<S>; deps: ApiDeps }> {
  const principal = await principalOf(request);
  const format = negotiate(request.headers.get('accept'));
  if (format === undefined) throw new ApiError(406, 'not_acceptable', 'This endpoint answers application/json or text/csv.');
  const query = parseQuery(schema, new URL(request.url).searchParams.entries());
  const { deps } = await apiContext();
  return { principal, format, query, deps };
}

/** The `X-Foreact-Runs` header: the run each store's answer came from (`store=runId`, comma-separated). */
export function runsHeader(stores: readonly { store: string; runId: string | null }[]): string {
  return stores.map((s) => `${s.store}=${s.runId ?? ''}`).join(',');
}

/** Lines joined into chunks of about this many characters as a CSV body streams out. */
const CSV_CHUNK_CHARS = 64 * 1024;

/**
 * A CSV body streamed from its lines: produced chunk by chunk as the client reads (back-pressure through
 * the stream), so a large answer is never one string in memory.
 */
export function csvStream(lines: Iterable<string>): Readable {
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= CSV_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return Readable.from(chunks(), { objectMode: false, encoding: 'utf8' });
}

/** A CSV answer (never cached), with the runs header and, when given, a download file name. */
export function csv(body: string | Readable, runs: string, filename?: string): HttpResponseInit {
  return { status: 200, body, headers: { 'content-type': 'text/csv; charset=utf-8', 'x-foreact-runs': runs, 'cache-control': 'no-store', ...(filename ? { 'content-disposition': `attachment; filename="${filename}"` } : {}) } };
}

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(code)) return true;
  const status = statusOf(error);
  return status === 503 || status === 502 || status === 504;
}

/**
 * The one error mapper: ApiError as is, domain refusals by kind; storage outages 503; anything else 500
 * with the request's trace id (App Insights' operation id; the invocation id outside a span) and no stack.
 */
export function toErrorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  const refusal = apiErrorOf(error);
  if (refusal !== undefined) return json(refusal.status, errorBody(refusal.code, refusal.message, refusal.details), refusal.headers);
  const traceId = currentIds()?.traceId ?? context.invocationId;
  context.error(`request failed (trace ${traceId})`, error);
  logger({ function: context.functionName }).error('request failed', { error: error instanceof Error ? error.message : String(error) });
  if (isUnavailable(error)) return json(503, errorBody('unavailable', 'Storage is unreachable right now; try again in a minute.', { traceId }), { 'retry-after': '30' });
  return json(500, errorBody('internal', 'Something went wrong on our side; the error is logged with this trace id.', { traceId }));
}

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
    return withSpan(`${request.method} /api/${route}`, { traceparent, kind: httpSpanKind(), attributes: { 'http.request.method': request.method, 'http.route': `/api/${route}` } }, async (span) => {
      const traceId = span.spanContext().traceId;
      for (const level of ['log', 'info', 'warn', 'error'] as const) {
        const original = context[level].bind(context);
        context[level] = (...args: unknown[]) => original(...args, `(trace ${traceId})`);
      }
      let response: HttpResponseInit;
      try {
        // Before anything else, so that no state-changing function can forget it (functions/http/csrf.ts).
        if (request.method !== 'GET' && request.method !== 'HEAD') checkSameOrigin(request, (await apiContext()).config.api.appOrigins);
        response = await handler(request, context);
      } catch (error) {
        response = toErrorResponse(error, context);
      }
      const status = response.status ?? 200;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return response;
    });
  };
}

export const durableClientInput = df.input.durableClient();

export function durableClient(context: InvocationContext): df.DurableClient {
  return df.getClient(context);
}

export function snapshot(status: df.DurableOrchestrationStatus): InstanceSnapshot {
  const d = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : new Date(0).toISOString());
  return { runtimeStatus: String(status.runtimeStatus), createdTime: d(status.createdTime), lastUpdatedTime: d(status.lastUpdatedTime), input: status.input, customStatus: status.customStatus, output: status.output };
}

/** Runtime statuses of an instance that is still going (a refresh to join). */
const ACTIVE_STATUSES = [df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.ContinuedAsNew];

/**
 * The running refreshes of `stores`, found with one instance query by runtime status (the durable
 * client follows its continuation tokens) instead of one status call per store; only instances whose id
 * is a store's refresh instance id count.
 */
export async function activeRefreshes(client: Pick<df.DurableClient, 'getStatusBy'>, stores: readonly string[], instanceIdOf: (store: string) => string): Promise<Map<string, ActiveRunView>> {
  const out = new Map<string, ActiveRunView>();
  if (stores.length === 0) return out;
  const wanted = new Map(stores.map((s) => [instanceIdOf(s), s]));
  for (const status of await client.getStatusBy({ runtimeStatus: ACTIVE_STATUSES })) {
    const store = wanted.get(status.instanceId);
    if (store === undefined) continue;
    const s = snapshot(status);
    const runId = runIdOfInstance(s);
    if (runId === undefined || !isActive(s)) continue;
    out.set(store, { runId, status: statusOfInstance(s), statusUrl: `/api/runs/${encodeURIComponent(runId)}` });
  }
  return out;
}

/** Status of an instance, or undefined when there is none (the client throws/returns 404 for unknown ids). */
export async function instanceStatus(client: df.DurableClient, instanceId: string): Promise<InstanceSnapshot | undefined> {
  try {
    const s = await client.getStatus(instanceId, { showInput: true });
    if (s === undefined || s === null || !s.runtimeStatus) return undefined;
    return snapshot(s);
  } catch (error) {
    const msg = error instanceof Error ? error.message : String(error);
    if (/404|not found/i.test(msg)) return undefined;
    throw error;
  }
}

/** The `RefreshInstances` port over the durable client: one instance per store (`refreshInstanceId`). */
export function refreshInstances(client: df.DurableClient, start: { requestedBy: string; traceparent: string | undefined }, context: InvocationContext): RefreshInstances {
  return {
    async running(store) {
      const existing = await instanceStatus(client, refreshInstanceId(store));
      const runId = existing === undefined ? undefined : runIdOfInstance(existing);
      return existing !== undefined && isActive(existing) && runId !== undefined ? { runId, status: statusOfInstance(existing) } : undefined;
    },
    async start(store, runId) {
      try {
        await client.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: refreshInstanceId(store), input: { store, runId, requestedBy: start.requestedBy, traceparent: start.traceparent } });
        return true;
      } catch (error) {
        // The host answers 409 when another request started it between the look and the start.
        context.log(`refresh ${store}: start raced (${error instanceof Error ? error.message : String(error)}); joining`);
        return false;
      }
    },
  };
}

/**
 * The `CheckRunInstances` port over the durable client. The day is the host's (UTC in Azure, TZ locally),
 * the one functions/morning-timer.ts names the day's morning run by.
 */
export function checkRunInstances(client: df.DurableClient, traceparent: string | undefined): CheckRunInstances {
  const today = (): string => new Date().toLocaleDateString('sv-SE');
  return {
    async running(store) {
      for (const status of await client.getStatusBy({ runtimeStatus: ACTIVE_STATUSES })) {
        if (storeOfCheckRunId(status.instanceId) === store) return { runId: status.instanceId };
      }
      return undefined;
    },
    async morningRunActive() {
      // Yesterday's too: a run that began before midnight may still be training.
      const yesterday = new Date(Date.now() - 86_400_000).toLocaleDateString('sv-SE');
      const runs = await Promise.all([today(), yesterday].map((day) => instanceStatus(client, morningInstanceId(day))));
      return runs.some((morning) => morning !== undefined && isActive(morning));
    },
    async start(store, runId) {
      const input: MorningRunInput = { date: today(), runId, stores: [store], ...(traceparent ? { traceparent } : {}) };
      await client.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: checkInstanceId(runId), input });
    },
  };
}
