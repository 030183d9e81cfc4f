/**
 * Test data shaped exactly like the API's answers in docs/openapi.yaml (contract.test.ts checks that),
 * and an in-memory ApiClient for component tests.
 */
import type { ApiClient, AttentionEntry, AttentionResponse, DriverMarker, Freshness, ForecastQuery, ForecastResponse, ItemForecast, Me, Override, OverrideHistoryEntry, OverrideHistoryResponse, OverrideInput, RefreshAccepted, Run, RunStatus, Store, StoreForecast, StoreList, TransportQuery, TransportResponse, ValueAddedResponse } from '../../static-web/src/api';
import { ApiError } from '../../static-web/src/api';
import { addDays, daysBetween } from '../../static-web/src/dates';
import { sumBands } from '../../static-web/src/series';
import { applyOverrides } from '../../static-web/dev/mock-planner';

export const FIRST_DAY = '2017-07-01';

export function freshness(overrides: Partial<Freshness> = {}): Freshness {
  return {
    currentRunId: 'run-20170701-0500',
    generatedAt: '2017-07-01T05:12:31.402Z',
    origin: '2017-06-30',
    forecastFrom: FIRST_DAY,
    forecastTo: addDays(FIRST_DAY, 89),
    stale: false,
    staleReason: null,
    ...overrides,
  };
}

export function store(id: string, overrides: Partial<Store> = {}): Store {
  return {
    store: id,
    name: null,
    region: Number(id) % 2 === 0 ? 'South' : 'North',
    itemCount: 3,
    freshness: freshness(),
    accuracy: { rmsse: 0.71, smape: 12.4, horizon: 90, folds: 3 },
    activeRun: null,
    ...overrides,
  };
}

/** Deterministic item forecast: level × weekday pattern, band ±20 %. */
export function itemForecast(item: string, firstDate: string, days: number, level: number): ItemForecast {
  const forecast = Array.from({ length: days }, (_, i) => Math.round(level * (1 + 0.2 * Math.sin(i)) * 10) / 10);
  return { item, firstDate, forecast, p10: forecast.map((v) => Math.round(v * 0.8 * 10) / 10), p90: forecast.map((v) => Math.round(v * 1.2 * 10) / 10) };
}

/**
 * Drivers of the sample store (FIRST_DAY 2017-07-01 is a Saturday): closed on Sunday 2 July, Independence
 * Day on Tuesday 4 July, item 2 on promotion on Thursday 6 July, every item on promotion on Friday 7 July.
 */
export const SAMPLE_MARKERS: DriverMarker[] = [
  { date: '2017-07-02', kind: 'closed', label: 'Closed' },
  { date: '2017-07-04', kind: 'event', label: 'Independence Day' },
  { date: '2017-07-06', kind: 'promotion', label: 'Promotion', items: ['2'] },
  { date: '2017-07-07', kind: 'promotion', label: 'Summer sale' },
];

export function storeForecast(id: string, opts: { firstDate?: string; days?: number; items?: number; level?: number; fresh?: Partial<Freshness>; markers?: DriverMarker[] } = {}): StoreForecast {
  const firstDate = opts.firstDate ?? FIRST_DAY;
  const days = opts.days ?? 28;
  const level = opts.level ?? 10;
  const items = Array.from({ length: opts.items ?? 3 }, (_, i) => itemForecast(String(i + 1), firstDate, days, level * (i + 1)));
  // As the API does: the forecast of a closed day is exactly 0; markers only for the returned days.
  const last = addDays(firstDate, days - 1);
  const markers = opts.markers?.filter((m) => m.date >= firstDate && m.date <= last);
  for (const m of markers ?? []) {
    if (m.kind !== 'closed') continue;
    const i = daysBetween(firstDate, m.date);
    for (const it of items) it.forecast[i] = it.p10[i] = it.p90[i] = 0;
  }
  const total = sumBands(items);
  return {
    store: id,
    freshness: freshness(opts.fresh),
    accuracy: { rmsse: 0.71, smape: 12.4, horizon: 90, folds: 3 },
    history: { firstDate: addDays(firstDate, -56), sales: Array.from({ length: 56 }, (_, i) => 50 + (i % 7) * 3) },
    total,
    items,
    ...(markers ? { markers } : {}),
  };
}

export function transportFrom(forecasts: StoreForecast[]): TransportResponse {
  const stores = forecasts.map((sf) => {
    const t = sf.total;
    const closed = sf.markers?.filter((m) => m.kind === 'closed').map((m) => m.date);
    return { store: sf.store, freshness: sf.freshness, firstDate: t?.firstDate ?? null, units: t?.forecast ?? [], p10: t?.p10 ?? [], p90: t?.p90 ?? [], ...(closed ? { closed } : {}) };
  });
  const totals = sumBands(forecasts.map((sf) => sf.total).filter((t): t is NonNullable<typeof t> => t !== null));
  return { from: null, to: null, stores, totals: totals ? { firstDate: totals.firstDate, units: totals.forecast, p10: totals.p10, p90: totals.p90 } : null };
}

export function run(status: RunStatus, overrides: Partial<Run> = {}): Run {
  const order = ['queued', 'dispatched', 'training', 'publishing'] as const;
  const at = order.indexOf(status as (typeof order)[number]);
  const stages = order.map((name, i) => {
    const done = status === 'done' || (at >= 0 && i < at);
    const running = i === at;
    return {
      name,
      status: done ? ('done' as const) : running ? ('running' as const) : ('pending' as const),
      startedAt: done || running ? `2017-07-01T09:00:0${i}.000Z` : null,
      finishedAt: done ? `2017-07-01T09:00:0${i + 1}.000Z` : null,
      durationMs: done ? 1000 : null,
    };
  });
  return {
    runId: 'refresh-1-20170701T090000',
    kind: 'refresh',
    stores: ['1'],
    status,
    createdAt: '2017-07-01T09:00:00.000Z',
    updatedAt: '2017-07-01T09:00:05.000Z',
    finishedAt: status === 'done' || status === 'failed' ? '2017-07-01T09:00:05.000Z' : null,
    progress: { fraction: status === 'done' ? 1 : Math.max(0, at) / 4, message: null },
    stages,
    error: null,
    ...(status === 'done' ? { result: { generatedAt: '2017-07-01T09:00:05.000Z', itemCount: 3 } } : {}),
    ...overrides,
  };
}

export interface FakeApiOptions {
  stores: Store[];
  me?: Partial<Me>;
  level?: number;
  /** Drivers per store (as `/api/forecasts` sends `markers` and `/api/transport` `closed`); none by default. */
  markers?: Record<string, DriverMarker[]>;
}

/**
 * In-memory API: forecasts per store (level changes after a refresh), a refresh whose run advances one
 * stage per poll, and switches to make calls fail.
 */
export class FakeApi implements ApiClient {
  stores_: Store[];
  levels = new Map<string, number>();
  calls: string[] = [];
  /** Status sequence returned by successive polls of a refresh. */
  runScript: Run[] = [run('queued'), run('training'), run('publishing'), run('done')];
  failForecasts: ApiError | undefined;
  failRefresh: ApiError | undefined;
  failAttention: ApiError | undefined;
  /** What `/attention` answers (ranked as served). */
  attentionItems: AttentionEntry[] = [];
  /** Overrides in force, per store, and the audit trail (append-only, as the API keeps it). */
  overrideStore = new Map<string, Override[]>();
  historyLog: OverrideHistoryEntry[] = [];
  /** The transport answer's `notices` (master data the API could not read). */
  transportNotices: string[] = [];
  /** The API's bound on a history answer (500 there). */
  historyLimit = 500;
  /** A 400 the next create or edit answers with (the API's check of the input). */
  rejectNextOverride: ApiError | undefined;
  valueAddedAnswer: ValueAddedResponse = { stores: [], planners: [] };
  /** Stores without a truck capacity: `/transport?unit=trucks` has no value for them. */
  noTrucks: string[] = [];
  private nextId = 1;
  /** Forecast reads that still serve the previous run after a refresh is done (an API instance's 2 s pointer cache). */
  staleReadsAfterPublish = 0;
  private readonly pendingPublish = new Map<string, { previous: Freshness; staleReads: number }>();
  private polls = 0;

  constructor(private readonly options: FakeApiOptions) {
    this.stores_ = options.stores;
    for (const s of options.stores) this.levels.set(s.store, options.level ?? 10);
  }

  me(): Promise<Me> {
    this.calls.push('me');
    return Promise.resolve({ userId: 'u1', userDetails: 'ann@contoso.com', identityProvider: 'aad', roles: ['anonymous', 'authenticated', 'planner'], role: 'planner', regions: ['North'], stores: this.stores_.map((s) => s.store), ...this.options.me });
  }

  stores(): Promise<StoreList> {
    this.calls.push('stores');
    return Promise.resolve({ stores: this.stores_ });
  }

  private forecastOf(id: string, q: { from?: string; to?: string }): StoreForecast {
    const s = this.stores_.find((x) => x.store === id);
    if (!s) throw new ApiError(400, 'unknown_store', `Unknown store ${id}.`);
    const first = s.freshness.forecastFrom ?? FIRST_DAY;
    const from = q.from && q.from > first ? q.from : first;
    const days = q.to ? daysBetween(from, q.to) + 1 : 28;
    const markers = this.options.markers?.[id];
    const sf = storeForecast(id, { firstDate: from, days, level: this.levels.get(id) ?? 10, fresh: this.pendingPublish.get(id)?.previous ?? s.freshness, ...(markers ? { markers } : {}) });
    return applyOverrides(sf, this.overrideStore.get(id) ?? []);
  }

  /** Publishing switches a store's forecast once its stale reads are used up: the numbers double. */
  private settle(id: string): void {
    const pending = this.pendingPublish.get(id);
    if (pending === undefined) return;
    if (pending.staleReads > 0) {
      pending.staleReads -= 1;
      return;
    }
    this.pendingPublish.delete(id);
    this.levels.set(id, (this.levels.get(id) ?? 10) * 2);
  }

  forecasts(q: ForecastQuery): Promise<ForecastResponse> {
    this.calls.push(`forecasts ${q.stores.join(',')} ${q.from ?? ''}..${q.to ?? ''}`);
    if (this.failForecasts) return Promise.reject(this.failForecasts);
    for (const id of q.stores) this.settle(id);
    try {
      return Promise.resolve({ from: q.from ?? null, to: q.to ?? null, stores: q.stores.map((id) => this.forecastOf(id, q)) });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  transport(q: TransportQuery): Promise<TransportResponse> {
    this.calls.push(`transport ${q.stores.join(',')}${q.level ? ` ${q.level} ${q.unit ?? 'units'}` : ''}`);
    const t = transportFrom(q.stores.map((id) => this.forecastOf(id, q)));
    return Promise.resolve({ ...withValues(t, q.level ?? 'p50', q.unit ?? 'units', this.noTrucks), from: q.from ?? null, to: q.to ?? null, notices: [...this.transportNotices] });
  }

  transportCsv(q: TransportQuery): Promise<string> {
    this.calls.push(`transport.csv ${q.stores.join(',')} ${q.level ?? ''} ${q.unit ?? ''}`);
    return Promise.resolve('date,store,units,value\r\n');
  }

  attention(): Promise<AttentionResponse> {
    this.calls.push('attention');
    if (this.failAttention) return Promise.reject(this.failAttention);
    return Promise.resolve({ from: FIRST_DAY, to: addDays(FIRST_DAY, 27), thresholds: { heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 }, items: this.attentionItems });
  }

  overrides(storeId: string): Promise<{ overrides: Override[] }> {
    this.calls.push(`overrides ${storeId}`);
    return Promise.resolve({ overrides: [...(this.overrideStore.get(storeId) ?? [])] });
  }

  overrideHistory(storeId: string): Promise<OverrideHistoryResponse> {
    this.calls.push(`history ${storeId}`);
    const all = this.historyLog.filter((e) => (e.after ?? e.before)?.store === storeId);
    return Promise.resolve({ entries: all.slice(-this.historyLimit), truncated: all.length > this.historyLimit, total: all.length });
  }

  private record(action: OverrideHistoryEntry['action'], before: Override | null, after: Override | null, note: string): void {
    const o = (after ?? before)!;
    const units = (x: Override | null): number[] => (x ? [x.kind === 'absolute' ? x.value * 3 : 60 * (1 + x.value / 100)] : [60]);
    this.historyLog.push({ id: `h${this.historyLog.length + 1}`, override: o.id, action, at: `2017-07-01T10:0${this.historyLog.length}:00.000Z`, by: 'ann@contoso.com', note, before, after, numbers: { before: units(before), after: units(after) }, from: o.from, to: o.to });
  }

  createOverride(storeId: string, input: OverrideInput): Promise<Override> {
    this.calls.push(`create-override ${storeId}`);
    const reject = this.rejectNextOverride;
    this.rejectNextOverride = undefined;
    if (reject) return Promise.reject(reject);
    // A promotion reruns the store (the refresh to follow is in the answer, not in the stored override).
    const promotion = input.kind === 'promotion';
    const o: Override = { ...input, value: input.value ?? 1, ...(promotion ? { driver: 'promo' } : {}), id: `o${this.nextId++}`, store: storeId, by: 'ann@contoso.com', at: '2017-07-01T10:00:00.000Z', version: 1 };
    this.overrideStore.set(storeId, [...(this.overrideStore.get(storeId) ?? []), o]);
    this.record('create', null, o, input.note);
    if (promotion) {
      this.polls = 0;
      return Promise.resolve({ ...o, refresh: { runId: `refresh-${storeId}-1`, statusUrl: `/api/runs/refresh-${storeId}-1`, status: 'queued', joined: false } });
    }
    return Promise.resolve(o);
  }

  editOverride(storeId: string, id: string, input: OverrideInput): Promise<Override> {
    this.calls.push(`edit-override ${storeId} ${id}`);
    const reject = this.rejectNextOverride;
    this.rejectNextOverride = undefined;
    if (reject) return Promise.reject(reject);
    const list = this.overrideStore.get(storeId) ?? [];
    const before = list.find((o) => o.id === id);
    if (!before) return Promise.reject(new ApiError(404, 'not_found', 'No such override.'));
    const { version, ...fields } = input;
    if (version !== undefined && version !== before.version) return Promise.reject(new ApiError(409, 'conflict', `Override ${id} changed meanwhile (version ${before.version}, not ${version}).`));
    const after: Override = { ...before, ...fields, value: fields.value ?? before.value, version: before.version + 1 };
    if (!input.items) delete after.items;
    this.overrideStore.set(storeId, list.map((o) => (o.id === id ? after : o)));
    this.record('edit', before, after, input.note);
    return Promise.resolve(after);
  }

  deleteOverride(storeId: string, id: string): Promise<{ rerun: string | null }> {
    this.calls.push(`delete-override ${storeId} ${id}`);
    const list = this.overrideStore.get(storeId) ?? [];
    const before = list.find((o) => o.id === id);
    if (!before) return Promise.reject(new ApiError(404, 'not_found', 'No such override.'));
    this.overrideStore.set(storeId, list.filter((o) => o.id !== id));
    this.record('delete', before, null, before.note);
    if (before.kind === 'promotion') {
      this.polls = 0;
      return Promise.resolve({ rerun: `/api/runs/refresh-${storeId}-2` });
    }
    return Promise.resolve({ rerun: null });
  }

  valueAdded(): Promise<ValueAddedResponse> {
    this.calls.push('value-added');
    return Promise.resolve(this.valueAddedAnswer);
  }

  refresh(storeId: string): Promise<RefreshAccepted> {
    this.calls.push(`refresh ${storeId}`);
    if (this.failRefresh) return Promise.reject(this.failRefresh);
    this.polls = 0;
    return Promise.resolve({ runId: `refresh-${storeId}-1`, statusUrl: `/api/runs/refresh-${storeId}-1`, store: storeId, status: 'queued', joined: false });
  }

  run(idOrUrl: string): Promise<Run> {
    this.calls.push(`run ${idOrUrl}`);
    const r = this.runScript[Math.min(this.polls, this.runScript.length - 1)]!;
    this.polls += 1;
    if (r.status === 'done') {
      // Publishing switched the pointer: the store's numbers change and its freshness moves on.
      const id = /refresh-([^-]+)-/.exec(idOrUrl)?.[1] ?? '1';
      // The store's list entry moves on at once; its forecast reads may lag (an API instance's pointer cache).
      const previous = this.stores_.find((s) => s.store === id)?.freshness;
      this.stores_ = this.stores_.map((s) => (s.store === id ? { ...s, freshness: freshness({ currentRunId: r.runId, generatedAt: '2017-07-01T09:00:05.000Z' }) } : s));
      if (previous) this.pendingPublish.set(id, { previous, staleReads: this.staleReadsAfterPublish });
    }
    return Promise.resolve(r);
  }

  health(): never {
    throw new Error('not used');
  }
}

// The dev stand-in's: the dashboard tests see overrides applied as `npm run dev` shows them.
export { applyOverrides };

const LEVEL_FACTOR = { p50: 1, p80: 1.15, p90: 1.25, p95: 1.35 } as const;
const UNIT_SIZE = { units: 1, cases: 12, pallets: 480, trucks: 480 * 26 } as const;

/**
 * A stand-in for the API's quantile totals in a unit: a fixed factor per level, a fixed pack size; item 3 has
 * no pack sizes (its units at the level are `unconvertedUnits`); `noTrucks` stores have no truck capacity.
 */
export function withValues(t: TransportResponse, level: keyof typeof LEVEL_FACTOR, unit: keyof typeof UNIT_SIZE, noTrucks: readonly string[] = []): TransportResponse {
  const convert = (units: readonly number[]): number[] => units.map((u) => (unit === 'trucks' ? Math.ceil((u * LEVEL_FACTOR[level]) / UNIT_SIZE[unit]) : Math.round(((u * LEVEL_FACTOR[level]) / UNIT_SIZE[unit]) * 10) / 10));
  const unconverted = (units: readonly number[]): number[] => units.map((u) => Math.round(u * 0.1 * LEVEL_FACTOR[level] * 10) / 10);
  const converted = unit !== 'units';
  const excluded = unit === 'trucks' ? t.stores.filter((s) => noTrucks.includes(s.store)).map((s) => s.store) : [];
  return {
    ...t,
    level,
    unit,
    notices: t.notices ?? [],
    stores: t.stores.map((s) => ({
      ...s,
      value: excluded.includes(s.store) ? null : convert(s.units),
      ...(excluded.includes(s.store) ? { reason: 'no truck capacity in the store file' } : {}),
      ...(converted ? { unconvertedUnits: unconverted(s.units) } : {}),
      overLimit: s.firstDate && unit === 'pallets' && level !== 'p50' ? [s.firstDate] : [],
      truckPallets: noTrucks.includes(s.store) ? null : 26,
      receivingLimitPallets: 0.3,
    })),
    totals: t.totals ? { ...t.totals, value: convert(t.totals.units), ...(converted ? { unconvertedUnits: unconverted(t.totals.units) } : {}), excludedStores: excluded } : null,
    calibration: { source: 'realised', days: 84, shares: { p50: 0.52, p80: 0.79, p90: 0.91, p95: 0.95 } },
    unconverted: { items: converted ? ['3'] : [] },
    dependence: { rho: 0.2, points: 84 },
  };
}
