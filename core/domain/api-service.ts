import { formatIsoDay, parseIsoDay, type SeriesHistory, type StoreDrivers } from '../../engine/index.js';
import type { Clock, ForecastRepository, RealisedAccuracyLedger, StoreCatalog } from '../ports/index.js';
import { mapLimit } from './map-limit.js';
import { REALISED_WINDOW_DAYS, realisedSummary } from './realised.js';
import { checkStores, requireRole, resolveScope, roleOf, type AccessRepository, type AccessScope, type Principal } from './api-access.js';
import { accuracyView, compareIds, driverMarkers, freshnessView, itemViews, sumBands, type AccuracyView, type Band, type FreshnessView, type ItemForecastView } from './api-views.js';
import type { StoreState } from './model.js';
import { DomainError } from './errors.js';
import type { TransportInputs } from './transport.js';
import { adjustItems, unexpired, type Override } from './overrides.js';

/** The reads behind the HTTP API. No SDKs: storage comes in through ports. */
/** What a planner asks for (validated by the HTTP layer): stores, optionally items, and an ISO date range. */
export interface ForecastQuery {
  stores: string[];
  items?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  historyDays?: number | undefined;
}

export interface ApiDeps {
  stores: Pick<StoreCatalog, 'getMany' | 'list'>;
  forecasts: Pick<ForecastRepository, 'readRun'>;
  access: AccessRepository;
  /** Store-total daily sales of a history blob (immutable, so callers may cache); absent → no history. */
  historyTotals?: (blob: string) => Promise<{ startDay: number; sales: number[] } | undefined>;
  /** Forecast against actual as sales arrive; absent → no realised accuracy. */
  realised?: Pick<RealisedAccuracyLedger, 'recent'>;
  /** Planners' live overrides of a store (core/domain/overrides.ts); absent → no adjustments. */
  overrides?: { inForce(store: string): Promise<Override[]> };
  /** A store's drivers by blob (immutable, so callers may cache); absent → no markers. */
  storeDrivers?: (blob: string) => Promise<StoreDrivers>;
  /** The transport view's item master, store logistics and realised days (transport.ts; callers may cache); absent → no pack sizes or logistics, realised days read from `realised`. */
  transport?: TransportInputs;
  /** Each item's recent daily sales and first sale day of a history blob (attention.ts recentItemSales; immutable, so callers may cache); absent → no item-day attention entries. */
  itemHistory?: (blob: string) => Promise<{ startDay: number; items: ReadonlyMap<string, { firstSaleDay: number | null; sales: readonly number[] }> } | undefined>;
  /** Thresholds of GET /attention (FOREACT_ATTENTION_*); absent → attention.ts DEFAULT_ATTENTION_SETTINGS. */
  attention?: { heightenedPercent: number; minUnits: number; changedPercent: number; maxItemEntries: number };
  backtestFolds: number;
  clock: Clock;
  /** Most store × item × day values one /forecasts or /transport answer may hold; absent → no cap. */
  maxCells?: number;
  /** Most storage reads one request runs at once (per-store reads of /stores); absent → 8. */
  readConcurrency?: number;
  /** The only stores an `operator` (a trusted app) sees; absent → none. */
  operatorStores?: readonly string[];
}

export interface ActiveRunView {
  runId: string;
  status: 'queued' | 'dispatched' | 'training' | 'publishing' | 'done' | 'failed';
  statusUrl: string;
}

export async function scopeFor(deps: ApiDeps, principal: Principal, stores?: readonly string[]): Promise<{ scope: AccessScope; states: Map<string, StoreState> }> {
  const states = stores === undefined ? new Map((await deps.stores.list()).map((s) => [s.store, s])) : await deps.stores.getMany(stores);
  const scope = await resolveScope(deps.access, principal, [...states.keys()], deps.operatorStores);
  return { scope, states };
}

export async function me(deps: ApiDeps, principal: Principal) {
  const role = roleOf(principal);
  const { scope, states } = role === null ? { scope: undefined, states: new Map<string, StoreState>() } : await scopeFor(deps, principal);
  return {
    userId: principal.userId,
    userDetails: principal.userDetails,
    identityProvider: principal.identityProvider,
    roles: principal.userRoles,
    role,
    regions: scope?.regions ?? [],
    stores: scope === undefined ? [] : [...states.keys()].filter((s) => scope.canSee(s)).sort(compareIds),
  };
}

/**
 * The stores a caller sees. `activeRuns` answers for all of them at once (one query for the running
 * refreshes, not one per store); a failed lookup shows no running refresh rather than failing the list.
 */
export async function listStores(deps: ApiDeps, principal: Principal, activeRuns: (stores: readonly string[]) => Promise<ReadonlyMap<string, ActiveRunView>>) {
  const { scope, states } = await scopeFor(deps, principal);
  requireRole(scope);
  const now = deps.clock.now();
  const visible = [...states.values()].filter((s) => scope.canSee(s.store)).sort((a, b) => compareIds(a.store, b.store));
  const running = await activeRuns(visible.map((s) => s.store)).catch(() => new Map<string, ActiveRunView>());
  const active = visible.map((s) => running.get(s.store) ?? null);
  const realised = await mapLimit(visible, deps.readConcurrency ?? 8, (s) => (deps.realised ? deps.realised.recent(s.store, REALISED_WINDOW_DAYS).then(realisedSummary).catch(() => null) : Promise.resolve(null)));
  return {
    stores: visible.map((s, i) => ({
      store: s.store,
      name: null,
      region: scope.storeRegion.get(s.store) ?? 'unassigned',
      itemCount: s.current?.items ?? 0,
      freshness: freshnessView(s, now),
      accuracy: accuracyView(s, deps.backtestFolds),
      activeRun: active[i] ?? null,
      realised: realised[i] ?? null,
    })),
  };
}

export interface StoreForecastView {
  store: string;
  runId: string | null;
  freshness: FreshnessView;
  accuracy: AccuracyView | null;
  history: { firstDate: string; sales: number[] } | null;
  /** `adjusted`: the store total with the overrides in force, when any item has one. */
  total: (Band & { adjusted?: number[] }) | null;
  /** `adjusted`: beside `forecast` (same length) when an override in force touches the item in the range. */
  items: (ItemForecastView & { adjusted?: number[] })[];
  markers: MarkerView[];
}

/**
 * The returned items with the overrides in force (percent re-applied to this run's numbers, absolute values
 * as set), and the total's `adjusted`. A store-wide absolute value is a store-day total spread over every
 * item of the store, so when only some items were asked for, the shares come from the whole run.
 */
async function withOverrides(deps: ApiDeps, store: string, state: StoreState | undefined, items: ItemForecastView[], total: Band | null, from: number | undefined, to: number | undefined): Promise<Pick<StoreForecastView, 'items' | 'total'> & { live: Override[] }> {
  const current = state?.current;
  if (deps.overrides === undefined || current === undefined || items.length === 0) return { items, total, live: [] };
  const live = unexpired(await deps.overrides.inForce(store), parseIsoDay(current.firstDay));
  if (live.length === 0) return { items, total, live };
  const spreadsOverStore = live.some((o) => o.kind === 'absolute' && o.items === undefined);
  const whole = spreadsOverStore && items.length < current.items ? (await runBlock(deps, store, current.runId, undefined, from, to)).items : items;
  const wanted = new Set(items.map((i) => i.item));
  const adjusted = adjustItems(whole, live)
    .filter((i) => wanted.has(i.item))
    .map(({ adjustedP10: _p10, adjustedP90: _p90, ...item }) => item);
  if (total === null || !adjusted.some((i) => i.adjusted !== undefined)) return { items: adjusted, total, live };
  const first = parseIsoDay(total.firstDate)!;
  const sum = new Array<number>(total.forecast.length).fill(0);
  for (const item of adjusted) {
    const start = parseIsoDay(item.firstDate);
    if (start === undefined) continue;
    const values = item.adjusted ?? item.forecast;
    for (let i = 0; i < values.length; i++) if (start + i - first >= 0 && start + i - first < sum.length) sum[start + i - first]! += values[i]!;
  }
  return { items: adjusted, total: { ...total, adjusted: sum.map((v) => Math.round(v * 1000) / 1000) }, live };
}

/** What a planner sees on a day of the forecast: a closure, a promotion (with its items) or an event. */
export interface MarkerView {
  date: string;
  kind: 'closed' | 'event' | 'promotion';
  label: string;
  /** Promotions: the returned items on promotion that day; absent means every item of the store. */
  items?: string[];
}

const KIND_ORDER: Readonly<Record<MarkerView['kind'], number>> = { closed: 0, event: 1, promotion: 2 };
const capitalised = (text: string): string => (text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1));

/**
 * The markers of a store's forecast days: closures, events, promotions, from its stored drivers. One closed
 * and one promotion marker per day at most (several promotion columns are one promotion to a planner);
 * promotions name only the returned items, and are left out when none of them is promoted. A planner's
 * promotion override in force (`overrides`) is a promotion marker of its own, labelled as one.
 */
export async function markersFor(deps: ApiDeps, state: StoreState | undefined, items: readonly ItemForecastView[], from: number | undefined, to: number | undefined, overrides: readonly Override[] = []): Promise<MarkerView[]> {
  if (state?.current === undefined || ((state.drivers === undefined || deps.storeDrivers === undefined) && overrides.length === 0)) return [];
  const first = parseIsoDay(state.current.firstDay);
  if (first === undefined) return [];
  const start = Math.max(first, from ?? first);
  const end = Math.min(first + state.current.horizon - 1, to ?? Infinity);
  if (end < start) return [];
  const drivers = state.drivers === undefined || deps.storeDrivers === undefined ? undefined : await deps.storeDrivers(state.drivers.blob).catch(() => undefined);
  const returned = new Set(items.map((i) => i.item));
  const byDay = new Map<string, MarkerView[]>();
  for (const m of drivers === undefined ? [] : driverMarkers(drivers, start, end)) {
    const day = byDay.get(m.date) ?? [];
    byDay.set(m.date, day);
    if (m.kind === 'closed') {
      if (!day.some((d) => d.kind === 'closed')) day.push({ date: m.date, kind: 'closed', label: 'Closed' });
    } else if (m.kind === 'event') {
      // An item-level event concerns only its items: shown when one of them is returned.
      if (m.items === undefined || m.items.some((i) => returned.has(i))) day.push({ date: m.date, kind: 'event', label: capitalised(m.label) });
    } else {
      const promoted = (m.items ?? []).filter((i) => returned.has(i));
      if (promoted.length === 0) continue;
      const existing = day.find((d) => d.kind === 'promotion');
      if (existing === undefined) day.push({ date: m.date, kind: 'promotion', label: capitalised(m.label), items: promoted });
      else existing.items = [...new Set([...(existing.items ?? []), ...promoted])].sort(compareIds);
    }
  }
  for (const m of promotionOverrideMarkers(overrides, returned, start, end)) byDay.set(m.date, [...(byDay.get(m.date) ?? []), m]);
  const markers = [...byDay.values()].flat();
  // Every item of the store on promotion: a store-wide promotion, shown without a list.
  for (const m of markers) if (m.kind === 'promotion' && m.items !== undefined && m.items.length >= state.current.items) delete m.items;
  return markers.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : KIND_ORDER[a.kind] - KIND_ORDER[b.kind]));
}

export const PROMOTION_OVERRIDE_LABEL = 'Planned promotion (override)';

/**
 * Planners' promotion overrides as promotion markers: the stored drivers do not hold them (the trainer sets
 * them on its copy), and the card should show a promotion from the moment it is made, before the rerun ends.
 */
function promotionOverrideMarkers(overrides: readonly Override[], returned: ReadonlySet<string>, start: number, end: number): MarkerView[] {
  const out: MarkerView[] = [];
  for (const o of overrides) {
    if (o.kind !== 'promotion') continue;
    const from = parseIsoDay(o.from);
    const to = parseIsoDay(o.to);
    if (from === undefined || to === undefined) continue;
    const items = o.items?.filter((i) => returned.has(i));
    if (items !== undefined && items.length === 0) continue;
    for (let day = Math.max(from, start); day <= Math.min(to, end); day++) out.push({ date: formatIsoDay(day), kind: 'promotion', label: PROMOTION_OVERRIDE_LABEL, ...(items === undefined ? {} : { items: items.sort(compareIds) }) });
  }
  return out;
}

function clip(item: ItemForecastView, from: number | undefined, to: number | undefined): ItemForecastView | undefined {
  const first = parseIsoDay(item.firstDate);
  if (first === undefined) return undefined;
  const start = from === undefined ? 0 : Math.max(0, from - first);
  const end = to === undefined ? item.forecast.length : Math.min(item.forecast.length, to - first + 1);
  if (end <= start) return undefined;
  if (start === 0 && end === item.forecast.length) return item;
  return { item: item.item, firstDate: formatIsoDay(first + start), forecast: item.forecast.slice(start, end), p10: item.p10.slice(start, end), p90: item.p90.slice(start, end) };
}

interface RunBlock {
  items: ItemForecastView[];
  total: Band | null;
}

function emptyBlock(): RunBlock {
  return { items: [], total: null };
}

/** A run's items clipped to the range, and their total. The rows themselves are cached by the reader. */
async function runBlock(deps: ApiDeps, store: string, runId: string, items: readonly string[] | undefined, from: number | undefined, to: number | undefined): Promise<RunBlock> {
  const rows = await deps.forecasts.readRun(store, runId, items ? { items } : {});
  const clipped: ItemForecastView[] = [];
  for (const view of itemViews(rows)) {
    const c = clip(view, from, to);
    if (c !== undefined) clipped.push(c);
  }
  return { items: clipped, total: sumBands(clipped) };
}

/**
 * How many store × item × day values an answer would hold, from the stores' pointers alone (before any
 * row is read): the items asked for (or every item of the run) times the run's days inside the range.
 */
export function answerCells(states: ReadonlyMap<string, StoreState>, stores: readonly string[], items: readonly string[] | undefined, from: number | undefined, to: number | undefined): number {
  let cells = 0;
  for (const store of stores) {
    const current = states.get(store)?.current;
    const first = current === undefined ? undefined : parseIsoDay(current.firstDay);
    if (current === undefined || first === undefined) continue;
    const days = Math.min(first + current.horizon - 1, to ?? Infinity) - Math.max(first, from ?? -Infinity) + 1;
    if (days <= 0) continue;
    cells += Math.min(items?.length ?? current.items, current.items) * days;
  }
  return cells;
}

/** Refuses an answer over `deps.maxCells` values with a 400 that says how to narrow this endpoint's query. */
export function checkAnswerSize(deps: ApiDeps, cells: number, subject = 'The answer would hold', narrow = 'fewer stores, an items= list, or a shorter from/to range, and page through the rest'): void {
  if (deps.maxCells === undefined || cells <= deps.maxCells) return;
  throw new DomainError(
    'invalid',
    `${subject} ${cells.toLocaleString('en-US')} store × item × day values; the limit is ${deps.maxCells.toLocaleString('en-US')} per request (FOREACT_API_MAX_CELLS). Narrow the query: ${narrow}.`,
  );
}

/** Reads the current run of each store (each store's pointer read once: one whole run per store). */
export async function currentItems(deps: ApiDeps, principal: Principal, stores: readonly string[], items: readonly string[] | undefined, from: string | undefined, to: string | undefined) {
  const { scope, states } = await scopeFor(deps, principal, stores);
  checkStores(scope, stores);
  const now = deps.clock.now();
  const f = from === undefined ? undefined : parseIsoDay(from);
  const t = to === undefined ? undefined : parseIsoDay(to);
  checkAnswerSize(deps, answerCells(states, stores, items, f, t));
  return Promise.all(
    stores.map(async (store) => {
      const state = states.get(store);
      const runId = state?.current?.runId;
      const block = runId === undefined ? emptyBlock() : await runBlock(deps, store, runId, items, f, t);
      return { store, state, runId: runId ?? null, freshness: freshnessView(state, now), items: block.items, total: block.total, from: f, to: t };
    }),
  );
}

export async function getForecasts(deps: ApiDeps, principal: Principal, q: ForecastQuery): Promise<{ from: string | null; to: string | null; stores: StoreForecastView[] }> {
  const read = await currentItems(deps, principal, q.stores, q.items, q.from, q.to);
  const historyDays = q.historyDays ?? 56;
  const stores = await Promise.all(
    read.map(async (r): Promise<StoreForecastView> => {
      let history: StoreForecastView['history'] = null;
      const blob = r.state?.history?.blob;
      const firstForecast = r.state?.current ? parseIsoDay(r.state.current.firstDay) : undefined;
      if (historyDays > 0 && blob !== undefined && firstForecast !== undefined && deps.historyTotals) {
        const totals = await deps.historyTotals(blob).catch(() => undefined);
        if (totals !== undefined) {
          const start = Math.max(totals.startDay, firstForecast - historyDays);
          const end = Math.min(totals.startDay + totals.sales.length, firstForecast);
          if (end > start) history = { firstDate: formatIsoDay(start), sales: totals.sales.slice(start - totals.startDay, end - totals.startDay) };
        }
      }
      const adjusted = await withOverrides(deps, r.store, r.state, r.items, r.total, r.from, r.to);
      return {
        store: r.store,
        runId: r.runId,
        freshness: r.freshness,
        accuracy: accuracyView(r.state, deps.backtestFolds),
        history,
        total: adjusted.total,
        items: adjusted.items,
        markers: await markersFor(deps, r.state, r.items, r.from, r.to, adjusted.live),
      };
    }),
  );
  return { from: q.from ?? null, to: q.to ?? null, stores };
}

/** Store-total sales per day of a history (NaN = no observation, counted as 0). */
export function historyTotals(series: readonly SeriesHistory[]): { startDay: number; sales: number[] } | undefined {
  if (series.length === 0) return undefined;
  let start = Infinity;
  let end = -Infinity;
  for (const s of series) {
    start = Math.min(start, s.startDay);
    end = Math.max(end, s.startDay + s.values.length);
  }
  const sales = new Array<number>(end - start).fill(0);
  for (const s of series) for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (Number.isFinite(v)) sales[s.startDay - start + i]! += v;
  }
  return { startDay: start, sales: sales.map((v) => Math.round(v * 1000) / 1000) };
}

/** Checks the caller may refresh or read one store: 403 alike for an unknown store and another region's. */
export async function authoriseStore(deps: ApiDeps, principal: Principal, store: string): Promise<AccessScope> {
  const { scope } = await scopeFor(deps, principal, [store]);
  checkStores(scope, [store]);
  return scope;
}

/** Who may start a check run (a one-store morning run): admins, and operators on their own stores. */
export async function authoriseCheckRun(deps: ApiDeps, principal: Principal, store: string): Promise<AccessScope> {
  const scope = await authoriseStore(deps, principal, store);
  if (scope.role !== 'admin' && scope.role !== 'operator') throw new DomainError('forbidden', 'Only admins and operators may start a check run.');
  return scope;
}

/**
 * Who may read a run that is not a store's refresh (a scheduled or check run): admins and operators (the
 * deploy gate reads the day's morning run). A refresh run is readable by whoever may see its store.
 */
export async function authoriseRunRead(deps: ApiDeps, principal: Principal, refreshStore: string | undefined): Promise<AccessScope> {
  const role = roleOf(principal);
  if (role === 'admin' || role === 'operator') return (await scopeFor(deps, principal, refreshStore === undefined ? [] : [refreshStore])).scope;
  if (refreshStore === undefined) {
    const { scope } = await scopeFor(deps, principal, []);
    requireRole(scope);
    throw new DomainError('forbidden', 'Only admins and operators may read scheduled and check runs.');
  }
  return authoriseStore(deps, principal, refreshStore);
}
