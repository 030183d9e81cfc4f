import type { StoreDrivers } from '../../engine/index.js';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { z } from 'zod';
import { appDeps, type AppDeps } from '../../core/composition.js';
import type { AppConfig } from '../../core/config.js';
import type { AccessRepository, Principal } from '../../core/domain/api-access.js';
import { requirePrincipal } from './principal.js';
import { ApiError, apiErrorOf, errorBody } from './errors.js';
import { ByteBudgetCache } from './byte-cache.js';
import { TokenBucketLimiter } from './rate-limit.js';
import { historyTotals, type ApiDeps } from '../../core/domain/api-service.js';
import { parseQuery } from './queries.js';
import type { InstanceSnapshot } from '../../core/domain/api-runs.js';
import { negotiate } from './views.js';
import type { ForecastRow, StoreState } from '../../core/domain/model.js';
import type { ForecastRepository, StoreCatalog } from '../../core/ports/index.js';
import { statusOf } from '../../core/adapters/azure/clients.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';

/** Glue between Azure Functions HTTP triggers and the API's domain code: deps, principal, errors. */

export const API_VERSION = '1.0.0';

/**
 * Store rows (the current-run pointers) cached for a short time per instance, one read in flight per store.
 * A newly published run shows up at most `ttlMs` later, always whole (the pointer names one complete run);
 * without it every request pays a storage round trip per store, which dominates latency under load.
 */
class CachedStoreReads implements Pick<StoreCatalog, 'getMany' | 'list'> {
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
      if (this.cache.size > 50_000) this.cache.clear();
    }
    const out = new Map<string, StoreState>();
    for (const s of stores) {
      const v = await this.cache.get(s)?.value;
      if (v !== undefined) out.set(s, v);
    }
    return out;
  }

  list(): Promise<StoreState[]> {
    return this.inner.list();
  }
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
  limiter: TokenBucketLimiter;
  config: AppConfig;
}

/** The API's read-side wrappers (short-lived caches) over the process's deps; built once per deps. */
const contexts = new WeakMap<AppDeps, ApiContext>();

export async function apiContext(): Promise<ApiContext> {
  const app = await appDeps();
  let ctx = contexts.get(app);
  if (ctx === undefined) {
    const { storage, config, access } = app;
    const totals = new Map<string, Promise<{ startDay: number; sales: number[] } | undefined>>();
    // Drivers versions are immutable: cached by blob, within a small share of the run cache's budget.
    const driverCache = new ByteBudgetCache<StoreDrivers>(Math.max(1, Math.floor(config.api.runCacheBytes / 8)), storeDriversBytes);
    const deps: ApiDeps = {
      stores: new CachedStoreReads(storage.stores, config.api.pointerCacheMs),
      forecasts: new CachedRunReads(storage.forecasts, config.api.runCacheBytes),
      access,
      historyTotals: (blob) => {
        let t = totals.get(blob);
        if (t === undefined) {
          t = storage.history.read(blob).then(historyTotals);
          t.catch(() => totals.delete(blob));
          totals.set(blob, t);
          if (totals.size > 500) totals.delete(totals.keys().next().value!);
        }
        return t;
      },
      storeDrivers: (blob) => driverCache.load(blob, () => storage.drivers.read(blob)),
      realised: storage.realised,
      backtestFolds: config.forecast.backtestFolds,
      clock: app.clock,
    };
    ctx = { deps, storage, access, config, limiter: new TokenBucketLimiter(config.api.refreshBurst, config.api.refreshPerMinute) };
    contexts.set(app, ctx);
  }
  return ctx;
}

export function principalOf(request: HttpRequest): Principal {
  return requirePrincipal(request.headers.get('x-ms-client-principal'), request.headers.get('x-ms-client-principal-idp'));
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } };
}

/**
 * The start every JSON-or-CSV read endpoint shares, in this order: the caller (401), the format from
 * `Accept` (406), the query (400), then the API's deps.
 */
export async function readRequest<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<{ principal: Principal; format: 'json' | 'csv'; query: z.output<S>; deps: ApiDeps }> {
  const principal = principalOf(request);
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

/** A CSV answer (never cached), with the runs header and, when given, a download file name. */
export function csv(body: string, runs: string, filename?: string): HttpResponseInit {
  return { status: 200, body, headers: { 'content-type': 'text/csv; charset=utf-8', 'x-foreact-runs': runs, 'cache-control': 'no-store', ...(filename ? { 'content-disposition': `attachment; filename="${filename}"` } : {}) } };
}

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(code)) return true;
  const status = statusOf(error);
  return status === 503 || status === 502 || status === 504;
}

/** The one error mapper: ApiError as is, domain refusals by kind; storage outages 503; anything else 500 with a trace id and no stack. */
export function toErrorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  const refusal = apiErrorOf(error);
  if (refusal !== undefined) return json(refusal.status, errorBody(refusal.code, refusal.message, refusal.details), refusal.headers);
  const traceId = context.invocationId;
  context.error(`request failed (trace ${traceId})`, error);
  if (isUnavailable(error)) return json(503, errorBody('unavailable', 'Storage is unreachable right now; try again in a minute.', { traceId }), { 'retry-after': '30' });
  return json(500, errorBody('internal', 'Something went wrong on our side; the error is logged with this trace id.', { traceId }));
}

export type ApiHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export function withErrors(handler: ApiHandler): ApiHandler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      return toErrorResponse(error, context);
    }
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
