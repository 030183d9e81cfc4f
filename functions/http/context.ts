import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import type { StoreDrivers } from '../../engine/index.js';
import type { AppDeps } from '../../core/composition.js';
import { processRuntime, processTelemetry } from '../../core/runtime.js';
import type { AppConfig } from '../../core/config.js';
import type { AccessRepository, Principal } from '../../core/domain/api-access.js';
import { historyTotals, type ApiDeps } from '../../core/domain/api-service.js';
import { recentItemSales, recentItemSalesBytes, type RecentItemSales } from '../../core/domain/attention.js';
import type { RateLimiter } from '../../core/ports/rate-limiter.js';
import type { AzureStorage } from '../../core/adapters/azure/index.js';
import { ByteBudgetCache } from './byte-cache.js';
import { CachedRunReads, CachedStoreReads, storeDriversBytes, totalsBytes } from './caches.js';
import { ApiError } from './errors.js';
import { CachedTransportReads, REALISED_CACHE_MS } from './transport-reads.js';
import { requirePrincipal } from './principal.js';
import { parseQuery } from './queries.js';
import { negotiate } from './views.js';

/** Glue between Azure Functions HTTP triggers and the API's domain code: the process's deps and the caller. */

export const API_VERSION = '1.0.0';

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
  const app = await processRuntime().deps();
  let ctx = contexts.get(app);
  if (ctx === undefined) {
    const { storage, config, access } = app;
    // History blobs are immutable: store totals cached by blob, within a small share of the run cache's budget.
    const totals = new ByteBudgetCache<{ startDay: number; sales: number[] } | undefined>(Math.max(1, Math.floor(config.api.runCacheBytes / 16)), totalsBytes);
    // Drivers versions are immutable: cached by blob, within a small share of the run cache's budget.
    const driverCache = new ByteBudgetCache<StoreDrivers>(Math.max(1, Math.floor(config.api.runCacheBytes / 8)), storeDriversBytes);
    // Each item's recent sales (GET /attention's item normals), by immutable history blob like the totals.
    const itemSalesCache = new ByteBudgetCache<RecentItemSales | undefined>(Math.max(1, Math.floor(config.api.runCacheBytes / 8)), recentItemSalesBytes);
    // GET /attention asks for a blob's totals and its items at once: one read feeds both caches.
    const historyReads = new Map<string, ReturnType<AzureStorage['history']['read']>>();
    const readHistory = (blob: string): ReturnType<AzureStorage['history']['read']> => {
      let read = historyReads.get(blob);
      if (read === undefined) {
        read = storage.history.read(blob).finally(() => historyReads.delete(blob));
        historyReads.set(blob, read);
      }
      return read;
    };
    const deps: ApiDeps = {
      stores: new CachedStoreReads(storage.stores, config.api.pointerCacheMs),
      forecasts: new CachedRunReads(storage.forecasts, config.api.runCacheBytes),
      access,
      historyTotals: (blob) => totals.load(blob, () => readHistory(blob).then(historyTotals)),
      storeDrivers: (blob) => driverCache.load(blob, () => storage.drivers.read(blob)),
      transport: new CachedTransportReads(storage, config.api.pointerCacheMs, config.api.pointerCacheMs === 0 ? 0 : REALISED_CACHE_MS, (message, fields) => processTelemetry().logger().warn(message, fields)),
      itemHistory: (blob) => itemSalesCache.load(blob, () => readHistory(blob).then((series) => recentItemSales(series))),
      attention: config.api.attention,
      realised: storage.realised,
      overrides: storage.overrides,
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
