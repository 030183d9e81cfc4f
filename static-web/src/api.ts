/**
 * Typed client of the Foreact HTTP API. The types mirror `docs/openapi.yaml` one to one (schema names
 * kept); when the document changes, change them here.
 */
import type { ServiceLevel } from '../../engine/totals.js';

export type StoreId = string;
export type ItemId = string;
export type RunId = string;
/** `YYYY-MM-DD` */
export type IsoDate = string;
/** RFC 3339 timestamp */
export type DateTime = string;
export type Role = 'planner' | 'admin' | 'operator';

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    details?: {
      issues?: { path: string; message: string }[];
      retryAfterSeconds?: number;
      stores?: StoreId[];
      traceId?: string;
      [key: string]: unknown;
    };
  };
}

export interface Me {
  userId: string;
  userDetails: string;
  identityProvider: string;
  roles: string[];
  role: Role | null;
  regions: string[];
  stores: StoreId[];
}

export interface Freshness {
  currentRunId: RunId | null;
  generatedAt: DateTime | null;
  origin: IsoDate | null;
  forecastFrom: IsoDate | null;
  forecastTo: IsoDate | null;
  stale: boolean;
  staleReason: string | null;
}

export interface Accuracy {
  rmsse: number | null;
  smape: number | null;
  horizon: number;
  folds: number;
}

export const RUN_STATUSES = ['queued', 'dispatched', 'training', 'publishing', 'done', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STAGE_NAMES = ['queued', 'dispatched', 'training', 'publishing'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface ActiveRun {
  runId: RunId;
  status: RunStatus;
  statusUrl: string;
}

export interface Store {
  store: StoreId;
  name: string | null;
  region: string;
  itemCount: number;
  freshness: Freshness;
  accuracy: Accuracy | null;
  activeRun: ActiveRun | null;
  /** Forecast against actual over the last days with sales (absent from an older API). */
  realised?: RealisedAccuracy | null;
}

export interface RealisedAccuracy {
  days: number;
  wape: number | null;
  bias: number | null;
  inside: number;
  from: string;
  to: string;
}

export interface StoreList {
  stores: Store[];
}

export interface DailyBand {
  firstDate: IsoDate;
  forecast: number[];
  p10: number[];
  p90: number[];
}

export interface ItemForecast extends DailyBand {
  item: ItemId;
  /** The forecast with the overrides in force, beside `forecast` (same length); absent when none touches the item. */
  adjusted?: number[];
}

export interface History {
  firstDate: IsoDate;
  sales: number[];
}

export const DRIVER_KINDS = ['closed', 'promotion', 'event'] as const;
export type DriverKind = (typeof DRIVER_KINDS)[number];

/**
 * A driver known in advance, on one day of the returned range: the store is closed (forecast exactly 0),
 * items are on promotion (`items` absent = every item of the store), or a named event/holiday.
 */
export interface DriverMarker {
  date: IsoDate;
  kind: DriverKind;
  label: string;
  items?: ItemId[];
}

export interface StoreForecast {
  store: StoreId;
  freshness: Freshness;
  accuracy: Accuracy | null;
  history: History | null;
  total: (DailyBand & { adjusted?: number[] }) | null;
  items: ItemForecast[];
  /** Drivers on the days of the returned range, sorted by date then kind (absent from older backends). */
  markers?: DriverMarker[];
}

export interface ForecastResponse {
  from: IsoDate | null;
  to: IsoDate | null;
  stores: StoreForecast[];
}

export interface TransportSeries {
  firstDate: IsoDate | null;
  units: number[];
  p10: number[];
  p90: number[];
  /** The chosen service level's quantile in the chosen unit, per day (absent from older backends). */
  value?: number[] | null;
  /** Units, at the level, of items without pack sizes: not in `value` (cases, pallets, trucks). */
  unconvertedUnits?: number[];
  /** Stores left out of a total (their `value` could not be given in the unit). */
  excludedStores?: StoreId[];
}

export interface TransportStore extends TransportSeries {
  store: StoreId;
  freshness: Freshness;
  /** The store's closed days within the range (absent from older backends). */
  closed?: IsoDate[];
  /** Units with the overrides in force, when one touches the store. */
  adjusted?: number[];
  /** Days whose value exceeds the store's receiving limit. */
  overLimit?: IsoDate[];
  truckPallets?: number | null;
  receivingLimitPallets?: number | null;
  /** Why `value` is null (no truck capacity for the store, no pack sizes for any of its items). */
  reason?: string;
}

// The levels the engine computes totals at: one list, so the dashboard offers exactly those.
export { SERVICE_LEVELS } from '../../engine/totals.js';
export type { ServiceLevel };
export const TRANSPORT_UNITS = ['units', 'cases', 'pallets', 'trucks'] as const;
export type TransportUnit = (typeof TRANSPORT_UNITS)[number];

export interface TransportCalibration {
  source: 'realised' | 'backtest' | null;
  days: number;
  shares: Record<ServiceLevel, number | null>;
}

export interface TransportResponse {
  from: IsoDate | null;
  to: IsoDate | null;
  level?: ServiceLevel;
  unit?: TransportUnit;
  stores: TransportStore[];
  totals: (TransportSeries & { firstDate: IsoDate }) | null;
  calibration?: TransportCalibration;
  /** Items without pack sizes: counted in units, never as 0 pallets. */
  unconverted?: { items: ItemId[] };
  /** How the stores' totals move together (behind `totals.value`). */
  dependence?: { rho: number; points: number };
  /** What the planner should know about the answer (an item master or store file that could not be read). */
  notices?: string[];
}

export const ATTENTION_KINDS = ['heightened', 'changed', 'accuracy', 'new-promotion'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** One thing a planner should look at: a store-day (or item-day) and why. */
export interface AttentionEntry {
  store: StoreId;
  date: IsoDate;
  item?: ItemId;
  kind: AttentionKind;
  /** Relative change, 0.45 = +45 % (null when there is nothing to compare with). */
  change: number | null;
  /** Extra units over the weekday's normal (the ranking key). */
  units: number | null;
  /** Why, in a planner's words (null when the engine cannot tell). */
  reason: string | null;
  /** Why, as a code (promotion, event, closure-eve, trend, seasonal, previous-run, …). */
  cause?: string | null;
  /** The dashboard's deep link: `?store=<store>&date=<date>`. */
  link?: string;
}

/** The settings behind the list (FOREACT_ATTENTION_*): what "well above" means. */
export interface AttentionThresholds {
  heightenedPercent: number;
  minUnits: number;
  changedPercent: number;
  maxItemEntries: number;
}

export interface AttentionResponse {
  from?: IsoDate | null;
  to?: IsoDate | null;
  thresholds?: AttentionThresholds;
  items: AttentionEntry[];
}

/** `promotion`: a planned promotion, which reruns the store with its promotion driver set on those days. */
export type OverrideKind = 'percent' | 'absolute' | 'promotion';

/** A promotion's rerun of the store (POST/PUT answers); null ids when none could start (`error` says why). */
export interface PromotionRefresh {
  runId: RunId | null;
  statusUrl: string | null;
  status?: string;
  joined?: boolean;
  error?: string;
}

export interface OverrideInput {
  from: IsoDate;
  to: IsoDate;
  items?: ItemId[];
  kind: OverrideKind;
  /** Required for percent and absolute; a promotion's defaults to the driver's usual promoted value. */
  value?: number;
  note: string;
  /** PUT only: the version edited (409 when it is no longer the stored one). */
  version?: number;
}

export interface Override extends OverrideInput {
  id: string;
  store: StoreId;
  value: number;
  by: string;
  at: DateTime;
  version: number;
  /** A promotion: the store's driver column it sets. */
  driver?: string;
  refresh?: PromotionRefresh;
}

/** The newest entries of a store's audit log (500 by default), oldest first; `truncated` when older ones exist. */
export interface OverrideHistoryResponse {
  entries: OverrideHistoryEntry[];
  truncated: boolean;
  total: number;
}

export interface OverrideHistoryEntry {
  id: string;
  override: string;
  action: 'create' | 'edit' | 'delete';
  at: DateTime;
  by: string;
  note: string;
  before: Override | null;
  after: Override | null;
  numbers?: { before: number[]; after: number[] };
  from?: IsoDate;
  to?: IsoDate;
  items?: ItemId[];
}

/** Model WAPE against adjusted WAPE over a window of weeks (null while no adjusted day has actuals). */
export interface ValueAddedWindow {
  model: number | null;
  adjusted: number | null;
  days: number;
}

export interface ValueAddedRow {
  weeks: Record<string, ValueAddedWindow>;
}

export interface ValueAddedResponse {
  stores: (ValueAddedRow & { store: StoreId })[];
  planners: (ValueAddedRow & { planner: string })[];
}

export interface RefreshAccepted {
  runId: RunId;
  statusUrl: string;
  store: StoreId;
  status: RunStatus;
  joined: boolean;
}

export type StageStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface RunStage {
  name: StageName;
  status: StageStatus;
  startedAt: DateTime | null;
  finishedAt: DateTime | null;
  durationMs: number | null;
}

export interface Run {
  runId: RunId;
  kind: 'refresh' | 'scheduled';
  stores: StoreId[];
  status: RunStatus;
  createdAt: DateTime;
  updatedAt: DateTime;
  finishedAt: DateTime | null;
  progress: { fraction: number; message: string | null; itemsDone?: number; itemsTotal?: number };
  stages: RunStage[];
  error: { code: string; message: string; stage?: StageName } | null;
  result?: { generatedAt: DateTime; itemCount: number };
}

export interface Health {
  status: 'ok' | 'failing';
  version: string;
  time: DateTime;
  checks: { storage: { status: 'ok' | 'failing'; latencyMs: number; message?: string } };
}

/** A failed call, with the API's error code and a message fit to show to a planner. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ApiErrorBody['error']['details'],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ForecastQuery {
  stores: readonly StoreId[];
  items?: readonly ItemId[];
  from?: IsoDate;
  to?: IsoDate;
  historyDays?: number;
}

export interface TransportQuery {
  stores: readonly StoreId[];
  from?: IsoDate;
  to?: IsoDate;
  level?: ServiceLevel;
  unit?: TransportUnit;
}

export interface AttentionQuery {
  stores?: readonly StoreId[];
  from?: IsoDate;
  to?: IsoDate;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClient {
  me(): Promise<Me>;
  stores(): Promise<StoreList>;
  forecasts(query: ForecastQuery, signal?: AbortSignal): Promise<ForecastResponse>;
  transport(query: TransportQuery, signal?: AbortSignal): Promise<TransportResponse>;
  refresh(store: StoreId): Promise<RefreshAccepted>;
  run(idOrStatusUrl: string, signal?: AbortSignal): Promise<Run>;
  health(): Promise<Health>;
  /** The transport view's CSV as the API writes it (same parameters as `transport`). */
  transportCsv(query: TransportQuery): Promise<string>;
  attention(query: AttentionQuery, signal?: AbortSignal): Promise<AttentionResponse>;
  overrides(store: StoreId): Promise<{ overrides: Override[] }>;
  overrideHistory(store: StoreId): Promise<OverrideHistoryResponse>;
  createOverride(store: StoreId, input: OverrideInput): Promise<Override>;
  editOverride(store: StoreId, id: string, input: OverrideInput): Promise<Override>;
  /** `rerun`: the status URL of the store's rerun when a deleted promotion started (or joined) one. */
  deleteOverride(store: StoreId, id: string): Promise<{ rerun: string | null }>;
  valueAdded(stores: readonly StoreId[], signal?: AbortSignal): Promise<ValueAddedResponse>;
}

export const MAX_STORES_PER_CALL = 50;

function list(values: readonly string[]): string {
  // Ids are restricted to [A-Za-z0-9_.-] by the API; encode anyway, but keep the commas readable.
  return values.map(encodeURIComponent).join(',');
}

/** `?a=1&b=2` from the defined entries, in the given order (stable URLs for caching and tests). */
export function queryString(params: Record<string, string | number | readonly string[] | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? encodeURIComponent(value) : list(value);
    parts.push(`${key}=${text}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

export function forecastsPath(q: ForecastQuery): string {
  return `/forecasts${queryString({ stores: q.stores, items: q.items && q.items.length > 0 ? q.items : undefined, from: q.from, to: q.to, historyDays: q.historyDays })}`;
}

export function transportPath(q: TransportQuery): string {
  return `/transport${queryString({ stores: q.stores, from: q.from, to: q.to, level: q.level, unit: q.unit })}`;
}

export function attentionPath(q: AttentionQuery): string {
  return `/attention${queryString({ stores: q.stores && q.stores.length > 0 ? q.stores : undefined, from: q.from, to: q.to })}`;
}

export function overridesPath(store: StoreId, id?: string): string {
  return `/stores/${encodeURIComponent(store)}/overrides${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
}

/** Path of a run's status: the `statusUrl` the API gave when it is a same-origin API path, else `/runs/{id}`. */
export function runPath(idOrStatusUrl: string, base = '/api'): string {
  if (idOrStatusUrl.startsWith(`${base}/`)) return idOrStatusUrl;
  if (idOrStatusUrl.startsWith('/')) return `${base}${idOrStatusUrl}`;
  return `${base}/runs/${encodeURIComponent(idOrStatusUrl)}`;
}

const SESSION_ENDED = 'Your session has ended. Please sign in again.';
const STATUS_MESSAGES: Record<number, string> = {
  400: 'The request was not understood.',
  401: SESSION_ENDED,
  403: 'You do not have access to this.',
  404: 'Not found.',
  429: 'Too many requests. Please wait a moment and try again.',
  500: 'The Foreact service had a problem. Please try again.',
  502: 'The Foreact service is not reachable right now. Please try again shortly.',
  503: 'The Foreact service is temporarily unavailable. Please try again shortly.',
  504: 'The Foreact service took too long to answer. Please try again.',
};

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

/** Turns a non-2xx response into an ApiError, using the API's error body when there is one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const retryHeader = Number(response.headers.get('Retry-After'));
  const fallback = STATUS_MESSAGES[response.status] ?? `Unexpected answer from the service (HTTP ${response.status}).`;
  if (isErrorBody(body)) {
    const { code, message, details } = body.error;
    const retry = details?.retryAfterSeconds ?? (Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined);
    return new ApiError(response.status, typeof code === 'string' ? code : 'error', message || fallback, details, retry);
  }
  return new ApiError(response.status, `http_${response.status}`, fallback, undefined, Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined);
}

export interface ApiOptions {
  fetch?: FetchLike;
  base?: string;
  timeoutMs?: number;
}

/**
 * A W3C `traceparent` for one user action's API call: a fresh trace id (and span id), sampled. The
 * Function App continues it, so the call, the refresh it starts and the training Job share one trace id
 * (App Insights' operation id), the one a 500's `error.details.traceId` names.
 */
export function newTraceparent(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const hex = (n: number): string => {
    const bytes = random(new Uint8Array(n));
    // All-zero ids are invalid in W3C trace context.
    if (bytes.every((b) => b === 0)) bytes[n - 1] = 1;
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  };
  return `00-${hex(16)}-${hex(8)}-01`;
}

function jsonBody(method: 'POST' | 'PUT', body: unknown): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

export function createApi(options: ApiOptions = {}): ApiClient {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const base = options.base ?? '/api';
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request<T>(path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let response: Response;
    try {
      response = await doFetch(path.startsWith(base) ? path : `${base}${path}`, {
        credentials: 'same-origin',
        ...init,
        // X-Requested-With: the API refuses a state-changing request without it (or the app's own Origin),
        // which a page on another site cannot add: the dashboard's proof that the request is its own.
        headers: { Accept: 'application/json', 'X-Requested-With': 'foreact', traceparent: newTraceparent(), ...(init.headers as Record<string, string> | undefined) },
        signal: controller.signal,
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      const timedOut = controller.signal.aborted;
      throw new ApiError(0, timedOut ? 'timeout' : 'network', timedOut ? 'The Foreact service took too long to answer. Please try again.' : 'Cannot reach the Foreact service. Check your connection and try again.');
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (!response.ok) throw await errorFromResponse(response);
    // No content: what a 204 says is in its headers (a deleted promotion's rerun, in Location).
    if (response.status === 204) return { location: response.headers.get('Location') } as T;
    const type = response.headers.get('Content-Type') ?? '';
    if (type.includes('text/csv')) return (await response.text()) as T;
    // Behind Static Web Apps an expired session answers /api/* with a redirect to the sign-in page.
    if (response.redirected && !type.includes('json')) throw new ApiError(401, 'unauthenticated', SESSION_ENDED);
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(response.status, 'bad_response', 'The Foreact service sent an answer the dashboard could not read.');
    }
  }

  return {
    me: () => request<Me>('/me'),
    stores: () => request<StoreList>('/stores'),
    forecasts: (q, signal) => request<ForecastResponse>(forecastsPath(q), {}, signal),
    transport: (q, signal) => request<TransportResponse>(transportPath(q), {}, signal),
    refresh: (store) => request<RefreshAccepted>(`/stores/${encodeURIComponent(store)}/refresh`, { method: 'POST' }),
    run: (idOrUrl, signal) => request<Run>(runPath(idOrUrl, base), {}, signal),
    health: () => request<Health>('/health'),
    transportCsv: (q) => request<string>(transportPath(q), { headers: { Accept: 'text/csv' } }),
    attention: (q, signal) => request<AttentionResponse>(attentionPath(q), {}, signal),
    overrides: (store) => request<{ overrides: Override[] }>(overridesPath(store)),
    overrideHistory: (store) => request<OverrideHistoryResponse>(`${overridesPath(store)}/history`),
    createOverride: (store, input) => request<Override>(overridesPath(store), jsonBody('POST', input)),
    editOverride: (store, id, input) => request<Override>(overridesPath(store, id), jsonBody('PUT', input)),
    deleteOverride: async (store, id) => ({ rerun: (await request<{ location: string | null }>(overridesPath(store, id), { method: 'DELETE' })).location }),
    valueAdded: (stores, signal) => request<ValueAddedResponse>(`/value-added${queryString({ stores })}`, {}, signal),
  };
}
