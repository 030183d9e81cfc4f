import { dayOfWeek, formatIsoDay, parseIsoDay, type EpochDay, type SeriesHistory, type StoreDrivers } from '../../engine/index.js';
import { checkStores, requireRole, type Principal } from './api-access.js';
import { answerCells, checkAnswerSize, scopeFor, type ApiDeps } from './api-service.js';
import { compareIds, driverMarkers, type DriverMarker } from './api-views.js';
import { mapLimit } from './map-limit.js';
import type { ForecastRow, StoreState } from './model.js';
import { unexpired, type Override } from './overrides.js';
import { REALISED_WINDOW_DAYS, realisedSummary, type RealisedSummary } from './realised.js';

/**
 * What needs a planner's attention (GET /api/attention): store-days and item-days forecast well above their
 * weekday's normal, store-days that moved since the previous run, stores whose realised accuracy dropped
 * below their backtest, and promotions starting on items the engine knows too little about.
 */

export type AttentionKind = 'heightened' | 'changed' | 'accuracy' | 'new-promotion';
/** Why, as a code beside the planner's sentence (`reason`): what the dashboard may style or filter on. */
export type AttentionCause = 'promotion' | 'event' | 'closure-eve' | 'trend' | 'seasonal' | 'previous-run' | 'realised-accuracy' | 'new-item' | 'few-promotions';

export interface AttentionEntry {
  store: string;
  /** ISO date; for `accuracy`, the last day of the realised window. */
  date: string;
  /** Item-level entries only. */
  item?: string;
  kind: AttentionKind;
  /** Relative change: forecast / normal − 1 (heightened), new / previous − 1 (changed), realised / backtest WAPE − 1 (accuracy); null for new-promotion. */
  change: number | null;
  /** Units: forecast − normal (heightened), new − previous (changed); null for accuracy and new-promotion. */
  units: number | null;
  reason: string | null;
  cause: AttentionCause | null;
  /** The dashboard's deep link to the store card at that day: `?store=<store>&date=<date>`. */
  link: string;
}

export interface AttentionQuery {
  stores?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface AttentionSettings {
  /** Least rise over the weekday's normal for a `heightened` entry, in percent (FOREACT_ATTENTION_HEIGHTENED_PERCENT). */
  heightenedPercent: number;
  /** Least extra (or changed) units for a `heightened` or `changed` entry, store-day or item-day (FOREACT_ATTENTION_MIN_UNITS). */
  minUnits: number;
  /** Least change of a store-day total against the previous run, in percent (FOREACT_ATTENTION_CHANGED_PERCENT). */
  changedPercent: number;
  /** Most item-day `heightened` entries per store, the largest kept (FOREACT_ATTENTION_MAX_ITEM_ENTRIES). */
  maxItemEntries: number;
}

/** The same defaults as core/config.ts: a +40 % promoted week of a store selling a few hundred units a day shows. */
export const DEFAULT_ATTENTION_SETTINGS: AttentionSettings = { heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 };

/** The normal is the mean of the same weekday over the last 8 weeks of history: recent, and 8 days per weekday. */
export const NORMAL_DAYS = 56;
/** Marked days (promotions, events, closures) are left out of a weekday's normal while at least this many others remain. */
const MIN_NORMAL_DAYS = 2;
/** A store (item) is on a rising trend when its last 4 weeks sold at least 10 % more than the 4 before. */
const TREND_DAYS = 28;
const TREND_RISE = 0.1;
/** Items below one unit a day on average get no item-day entries: their weekday means rest on a handful of sales. */
const ITEM_MIN_DAILY_UNITS = 1;
/**
 * The engine estimates promotion effects from the last year (engine/effects.ts RECENT_EFFECT_DAYS), and an
 * item's own uplift only outweighs the store's with about 30 baseline units of promoted days behind it: an
 * item promoted on fewer than 3 days of the last year gets its store's uplift, not its own.
 */
const PROMOTION_HISTORY_DAYS = 365;
const MIN_PAST_PROMOTED_DAYS = 3;
/** An item first sold less than 8 weeks ago has no weekday normal of its own yet, let alone an uplift. */
const MIN_ITEM_AGE_DAYS = NORMAL_DAYS;
/**
 * Realised accuracy counts as dropped when the WAPE of the last week with sales is 1.25× the backtest's and
 * at least 5 points worse: 7 store-day totals swing by about that much by chance alone, and the operators'
 * alert (bicep accuracyFactorPercent, 2×) pages only at twice the backtest — planners should hear earlier.
 */
const ACCURACY_DROP_RATIO = 1.25;
const ACCURACY_DROP_POINTS = 0.05;
/** Fewer realised days than this say nothing about a store's accuracy. */
const MIN_REALISED_DAYS = 3;
/** Promoted items named in a reason; the rest are counted. */
const NAMED_ITEMS = 5;

/** Each item's recent daily sales of a history (its last `days` days) and first day with a sale. */
export interface RecentItemSales {
  startDay: EpochDay;
  items: ReadonlyMap<string, { firstSaleDay: EpochDay | null; sales: readonly number[] }>;
}

/** Enough of a history for item normals and trends (a fortnight spare for a forecast cut before the history's end). */
export function recentItemSales(series: readonly SeriesHistory[], days = NORMAL_DAYS + 14): RecentItemSales | undefined {
  if (series.length === 0) return undefined;
  let end = -Infinity;
  for (const s of series) end = Math.max(end, s.startDay + s.values.length);
  const startDay = end - days;
  const items = new Map<string, { firstSaleDay: EpochDay | null; sales: number[] }>();
  for (const s of series) {
    let firstSaleDay: EpochDay | null = null;
    for (let i = 0; i < s.values.length; i++) {
      if (s.values[i]! > 0) {
        firstSaleDay = s.startDay + i;
        break;
      }
    }
    const sales = new Array<number>(days).fill(Number.NaN);
    for (let k = 0; k < days; k++) {
      const v = s.values[startDay + k - s.startDay];
      if (v !== undefined) sales[k] = v;
    }
    items.set(s.item, { firstSaleDay, sales });
  }
  return { startDay, items };
}

/** Bytes a `RecentItemSales` takes in memory, for a byte-bounded cache. */
export function recentItemSalesBytes(r: RecentItemSales | undefined): number {
  let bytes = 64;
  for (const [item, v] of r?.items ?? []) bytes += 64 + 2 * item.length + 8 * v.sales.length;
  return bytes;
}

const round = (v: number, places: number): number => Math.round(v * 10 ** places) / 10 ** places;
const units = (v: number): string => Math.round(v).toLocaleString('en-US');
const percent = (v: number): string => `${Math.round(v * 100)} %`;
const link = (store: string, date: string): string => `?store=${encodeURIComponent(store)}&date=${date}`;

/** Sales on a day (NaN/undefined = no observation). */
type DailySales = (day: EpochDay) => number | undefined;

/**
 * Mean sales per weekday (0 = Sunday) over the `NORMAL_DAYS` before `cut`, leaving out the days `marked`
 * (promotions, events, closures: not normal) while at least `MIN_NORMAL_DAYS` others remain, and days
 * without an observation; `skipZero` also leaves out days without a sale (a store closed).
 */
export function weekdayNormals(sales: DailySales, cut: EpochDay, marked: (day: EpochDay) => boolean, skipZero: boolean): (number | undefined)[] {
  const all: number[][] = Array.from({ length: 7 }, () => []);
  const clean: number[][] = Array.from({ length: 7 }, () => []);
  for (let day = cut - NORMAL_DAYS; day < cut; day++) {
    const v = sales(day);
    if (v === undefined || !Number.isFinite(v) || (skipZero && v <= 0)) continue;
    all[dayOfWeek(day)]!.push(v);
    if (!marked(day)) clean[dayOfWeek(day)]!.push(v);
  }
  return all.map((values, w) => {
    const used = clean[w]!.length >= MIN_NORMAL_DAYS ? clean[w]! : values;
    return used.length === 0 ? undefined : used.reduce((a, b) => a + b, 0) / used.length;
  });
}

/** The last 4 weeks' sales against the 4 before, − 1 (undefined without sales in both). */
export function recentTrend(sales: DailySales, cut: EpochDay): number | undefined {
  let recent = 0;
  let before = 0;
  for (let k = 1; k <= TREND_DAYS; k++) {
    const r = sales(cut - k);
    const b = sales(cut - TREND_DAYS - k);
    if (r !== undefined && Number.isFinite(r)) recent += r;
    if (b !== undefined && Number.isFinite(b)) before += b;
  }
  return recent > 0 && before > 0 ? recent / before - 1 : undefined;
}

/** What a store's drivers say around a forecast, per day: computed once per drivers version and forecast. */
interface DriverDays {
  /** Markers from a year before the forecast to the day after it. */
  byDay: Map<EpochDay, DriverMarker[]>;
  /** Items on promotion, per day. */
  promoted: Map<EpochDay, Set<string>>;
  /** Days with a closure or an event (anything but a promotion). */
  otherMarked: Set<EpochDay>;
  /** Days each item was promoted in the year before the forecast. */
  promotedDays: Map<string, number>;
  /**
   * Weekdays the store closes on every week (closed on at least half of them in the 8 weeks before the
   * forecast): the eve of such a closure is its normal, already in the weekday's mean, not news.
   */
  weeklyClosed: Set<number>;
}

const driverDaysCache = new WeakMap<StoreDrivers, { key: string; days: DriverDays }>();

function driverDays(drivers: StoreDrivers, cut: EpochDay, horizon: number): DriverDays {
  const key = `${cut}:${horizon}`;
  const hit = driverDaysCache.get(drivers);
  if (hit?.key === key) return hit.days;
  const days: DriverDays = { byDay: new Map(), promoted: new Map(), otherMarked: new Set(), promotedDays: new Map(), weeklyClosed: new Set() };
  for (const m of driverMarkers(drivers, Math.max(drivers.firstDay, cut - PROMOTION_HISTORY_DAYS), cut + horizon)) {
    const day = parseIsoDay(m.date)!;
    const list = days.byDay.get(day);
    if (list === undefined) days.byDay.set(day, [m]);
    else list.push(m);
    if (m.kind !== 'promotion') days.otherMarked.add(day);
    else {
      let items = days.promoted.get(day);
      if (items === undefined) days.promoted.set(day, (items = new Set()));
      for (const item of m.items ?? []) items.add(item);
    }
  }
  for (const [day, items] of days.promoted) if (day < cut) for (const item of items) days.promotedDays.set(item, (days.promotedDays.get(item) ?? 0) + 1);
  const closed = new Array<number>(7).fill(0);
  for (let day = cut - NORMAL_DAYS; day < cut; day++) if (days.byDay.get(day)?.some((m) => m.kind === 'closed') === true) closed[dayOfWeek(day)]!++;
  closed.forEach((n, weekday) => {
    if (n >= NORMAL_DAYS / 7 / 2) days.weeklyClosed.add(weekday);
  });
  // One drivers version serves a store for weeks: only the latest forecast's days are worth keeping.
  driverDaysCache.set(drivers, { key, days });
  return days;
}

/** What a store's request reads; everything but the state and rows is optional (absent = not known). */
export interface StoreInputs {
  store: string;
  state: StoreState;
  rows: readonly ForecastRow[];
  /** The previous run's rows (undefined = no previous run, or it could not be read). */
  previousRows?: readonly ForecastRow[] | undefined;
  /** Store-total daily sales of the history. */
  totals?: { startDay: number; sales: readonly number[] } | undefined;
  items?: RecentItemSales | undefined;
  drivers?: StoreDrivers | undefined;
  realised?: RealisedSummary | null | undefined;
  /** The store's promotion overrides in force: planned promotions the stored drivers do not hold. */
  promotionOverrides?: readonly Override[] | undefined;
}

/** Items a planner's promotion overrides promote, per day, with who planned each. */
type PlannedPromotions = Map<EpochDay, Map<string, string>>;

/**
 * Promotion overrides per day and item. The trainer sets them on its own copy of the drivers, so the stored
 * drivers never show them; an override without items promotes every item of the run.
 */
function plannedPromotions(overrides: readonly Override[] | undefined, rows: readonly ForecastRow[]): PlannedPromotions {
  const planned: PlannedPromotions = new Map();
  for (const o of overrides ?? []) {
    const from = parseIsoDay(o.from);
    const to = parseIsoDay(o.to);
    if (o.kind !== 'promotion' || from === undefined || to === undefined) continue;
    const items = o.items ?? rows.map((r) => r.item);
    for (let day = from; day <= to; day++) {
      let byItem = planned.get(day);
      if (byItem === undefined) planned.set(day, (byItem = new Map<string, string>()));
      for (const item of items) byItem.set(item, o.by);
    }
  }
  return planned;
}

/** How a promotion override is named in a reason beside the driver columns' names: a planner's plan, not a record. */
const plannedLabel = (by: string): string => `planned promotion, override by ${by}`;

function dailyTotals(rows: readonly ForecastRow[]): Map<EpochDay, number> {
  const totals = new Map<EpochDay, number>();
  for (const row of rows) {
    const first = parseIsoDay(row.firstDay);
    if (first === undefined) continue;
    row.forecast.forEach((v, i) => {
      if (Number.isFinite(v)) totals.set(first + i, (totals.get(first + i) ?? 0) + v);
    });
  }
  return totals;
}

/**
 * Why a day (of the store, or of one item) may sell more, from what the engine knows: the drivers' promotions,
 * events and next-day closures; failing those, a rising trend; failing that, the seasonal pattern — or
 * nothing (null) when the store has no drivers, so a promotion cannot be ruled out.
 */
function explain(day: EpochDay, drivers: DriverDays | undefined, item: string | undefined, trend: number | undefined, planned: PlannedPromotions): { cause: AttentionCause | null; reason: string | null } {
  const reasons: { cause: AttentionCause; text: string }[] = [];
  const today = drivers?.byDay.get(day) ?? [];
  const promotions = today.filter((m) => m.kind === 'promotion' && (item === undefined || m.items?.includes(item) === true));
  for (const [plannedItem, by] of planned.get(day) ?? []) if (item === undefined || plannedItem === item) promotions.push({ date: formatIsoDay(day), kind: 'promotion', label: plannedLabel(by), items: [plannedItem] });
  if (promotions.length > 0) {
    const labels = [...new Set(promotions.map((m) => m.label))].join(', ');
    if (item !== undefined) reasons.push({ cause: 'promotion', text: `Promotion (${labels})` });
    else {
      const items = [...new Set(promotions.flatMap((m) => m.items ?? []))].sort(compareIds);
      const named = items.slice(0, NAMED_ITEMS).join(', ') + (items.length > NAMED_ITEMS ? ` and ${items.length - NAMED_ITEMS} more` : '');
      reasons.push({ cause: 'promotion', text: `Promotion (${labels}) on ${items.length} item${items.length === 1 ? '' : 's'}: ${named}` });
    }
  }
  const events = [...new Set(today.filter((m) => m.kind === 'event' && (item === undefined || m.items === undefined || m.items.includes(item))).map((m) => m.label))];
  if (events.length > 0) reasons.push({ cause: 'event', text: `Event: ${events.join(', ')}` });
  if (drivers?.byDay.get(day + 1)?.some((m) => m.kind === 'closed') === true && !drivers.weeklyClosed.has(dayOfWeek(day + 1))) reasons.push({ cause: 'closure-eve', text: `The day before a closure (${formatIsoDay(day + 1)})` });
  if (reasons.length > 0) return { cause: reasons[0]!.cause, reason: reasons.map((r) => r.text).join('; ') };
  if (trend !== undefined && trend >= TREND_RISE) return { cause: 'trend', reason: `Rising trend: the last 4 weeks sold ${percent(trend)} more than the 4 before` };
  if (drivers === undefined) return { cause: null, reason: null };
  return { cause: 'seasonal', reason: 'Seasonal pattern: no promotion, event, closure or rising trend on record' };
}

/**
 * One store's entries over [start, end] (epoch days inside its current forecast; empty when end < start,
 * but for the accuracy entry, which is about the store). Pure: everything it needs
 * is in `input`; the work is O(items × (days + 8 weeks)), the reasons worked out only for the entries kept.
 */
export function storeAttention(input: StoreInputs, start: EpochDay, end: EpochDay, settings: AttentionSettings): AttentionEntry[] {
  const current = input.state.current;
  const cut = current === undefined ? undefined : parseIsoDay(current.firstDay);
  if (current === undefined || cut === undefined) return [];
  const { store } = input;
  const threshold = settings.heightenedPercent / 100;
  const drivers = input.drivers === undefined ? undefined : driverDays(input.drivers, cut, current.horizon);
  const planned = plannedPromotions(input.promotionOverrides, input.rows);
  const out: AttentionEntry[] = [];

  // Store-days above their weekday's normal.
  const totals = dailyTotals(input.rows);
  const history = input.totals;
  if (history !== undefined) {
    const sales: DailySales = (day) => history.sales[day - history.startDay];
    const normals = weekdayNormals(sales, cut, (day) => drivers !== undefined && (drivers.otherMarked.has(day) || drivers.promoted.has(day)), true);
    const trend = recentTrend(sales, cut);
    for (let day = start; day <= end; day++) {
      const forecast = totals.get(day);
      const normal = normals[dayOfWeek(day)];
      if (forecast === undefined || normal === undefined || normal <= 0) continue;
      const extra = forecast - normal;
      if (forecast < normal * (1 + threshold) || extra < settings.minUnits) continue;
      const date = formatIsoDay(day);
      out.push({ store, date, kind: 'heightened', change: round(forecast / normal - 1, 3), units: round(extra, 1), ...explain(day, drivers, undefined, trend, planned), link: link(store, date) });
    }
  }

  // Item-days above the item's weekday normal: the largest few per store, items selling at least a unit a day.
  const recent = input.items;
  if (recent !== undefined && settings.maxItemEntries > 0) {
    const candidates: { item: string; day: EpochDay; change: number; extra: number; trend: number | undefined }[] = [];
    for (const row of input.rows) {
      const past = recent.items.get(row.item);
      const first = parseIsoDay(row.firstDay);
      if (past === undefined || first === undefined) continue;
      const sales: DailySales = (day) => past.sales[day - recent.startDay];
      let sum = 0;
      let observed = 0;
      for (let day = cut - NORMAL_DAYS; day < cut; day++) {
        const v = sales(day);
        if (v !== undefined && Number.isFinite(v)) {
          sum += v;
          observed++;
        }
      }
      if (observed === 0 || sum / observed < ITEM_MIN_DAILY_UNITS) continue;
      const normals = weekdayNormals(sales, cut, (day) => drivers !== undefined && (drivers.otherMarked.has(day) || drivers.promoted.get(day)?.has(row.item) === true), false);
      let trend: number | undefined | null = null;
      for (let day = start; day <= end; day++) {
        const forecast = row.forecast[day - first];
        const normal = normals[dayOfWeek(day)];
        if (forecast === undefined || normal === undefined || normal <= 0) continue;
        const extra = forecast - normal;
        if (forecast < normal * (1 + threshold) || extra < settings.minUnits) continue;
        if (trend === null) trend = recentTrend(sales, cut);
        candidates.push({ item: row.item, day, change: forecast / normal - 1, extra, trend });
      }
    }
    candidates.sort((a, b) => b.extra - a.extra || a.day - b.day || compareIds(a.item, b.item));
    for (const c of candidates.slice(0, settings.maxItemEntries)) {
      const date = formatIsoDay(c.day);
      out.push({ store, date, item: c.item, kind: 'heightened', change: round(c.change, 3), units: round(c.extra, 1), ...explain(c.day, drivers, c.item, c.trend, planned), link: link(store, date) });
    }
  }

  // Store-days that moved since the previous run.
  if (input.previousRows !== undefined && input.previousRows.length > 0) {
    const before = dailyTotals(input.previousRows);
    for (let day = start; day <= end; day++) {
      const now = totals.get(day);
      const was = before.get(day);
      if (now === undefined || was === undefined || was <= 0) continue;
      const change = now / was - 1;
      if (Math.abs(change) * 100 <= settings.changedPercent || Math.abs(now - was) < settings.minUnits) continue;
      const date = formatIsoDay(day);
      out.push({ store, date, kind: 'changed', change: round(change, 3), units: round(now - was, 1), cause: 'previous-run', reason: `${units(now)} units, against ${units(was)} in the previous run`, link: link(store, date) });
    }
  }

  // Realised accuracy below the backtest's.
  const backtest = current.accuracy.wape;
  const realised = input.realised;
  if (realised?.wape != null && typeof backtest === 'number' && backtest > 0 && realised.days >= MIN_REALISED_DAYS) {
    if (realised.wape >= backtest * ACCURACY_DROP_RATIO && realised.wape - backtest >= ACCURACY_DROP_POINTS) {
      out.push({
        store,
        date: realised.to,
        kind: 'accuracy',
        change: round(realised.wape / backtest - 1, 3),
        units: null,
        cause: 'realised-accuracy',
        reason: `Realised WAPE ${percent(realised.wape)} over the last ${realised.days} day${realised.days === 1 ? '' : 's'} with sales (${realised.from} to ${realised.to}), against ${percent(backtest)} in the backtest`,
        link: link(store, realised.to),
      });
    }
  }

  // Promotions starting on items the engine knows too little about to estimate an uplift, the stored drivers'
  // and those a planner added as overrides (the model learns no more from a planned promotion than a recorded one).
  if (drivers !== undefined || planned.size > 0) {
    const promotedOn = (day: EpochDay): Set<string> => new Set([...(drivers?.promoted.get(day) ?? []), ...(planned.get(day)?.keys() ?? [])]);
    // Each day's set is the next day's `yesterday`: built once per day, not twice.
    let yesterday = promotedOn(start - 1);
    for (let day = start; day <= end; day++) {
      const promoted = promotedOn(day);
      for (const item of [...promoted].sort(compareIds)) {
        if (yesterday.has(item)) continue;
        const why = tooLittleKnown(item, recent, drivers, cut);
        if (why === undefined) continue;
        const recorded = (drivers?.byDay.get(day) ?? []).filter((m) => m.kind === 'promotion' && m.items?.includes(item) === true).map((m) => m.label);
        const plannedBy = planned.get(day)?.get(item);
        const date = formatIsoDay(day);
        const what = recorded.length === 0 ? `Planned promotion (override by ${plannedBy!})` : `Promotion (${[...new Set([...recorded, ...(plannedBy === undefined ? [] : [plannedLabel(plannedBy)])])].join(', ')})`;
        out.push({ store, date, item, kind: 'new-promotion', change: null, units: null, cause: why.cause, reason: `${what} starts: ${why.reason}`, link: link(store, date) });
      }
      yesterday = promoted;
    }
  }
  return out;
}

/** Why the engine knows too little about `item` to estimate its own promotion uplift, or undefined when it knows enough. */
function tooLittleKnown(item: string, recent: RecentItemSales | undefined, drivers: DriverDays | undefined, cut: EpochDay): { cause: AttentionCause; reason: string } | undefined {
  const known = recent?.items.get(item);
  if (recent !== undefined && (known === undefined || known.firstSaleDay === null)) return { cause: 'new-item', reason: `${item} has no sales on record: no normal and no uplift of its own` };
  if (known?.firstSaleDay != null && cut - known.firstSaleDay < MIN_ITEM_AGE_DAYS) return { cause: 'new-item', reason: `${item} first sold ${cut - known.firstSaleDay} days ago (${formatIsoDay(known.firstSaleDay)}): too young for an uplift of its own` };
  // Without the stored drivers (unreadable) the past promotions are unknown: no claim about them.
  if (drivers === undefined) return undefined;
  const past = drivers.promotedDays.get(item) ?? 0;
  return past < MIN_PAST_PROMOTED_DAYS ? { cause: 'few-promotions', reason: `${item} was promoted on ${past} day${past === 1 ? '' : 's'} of the last year: the uplift is borrowed from the store's other items` } : undefined;
}

const KIND_ORDER: Readonly<Record<AttentionKind, number>> = { heightened: 0, changed: 1, accuracy: 2, 'new-promotion': 3 };

/** Heightened and changed by units (largest first), accuracy by how far it dropped, new promotions by date. */
export function rankEntries(entries: AttentionEntry[]): AttentionEntry[] {
  const byPlace = (a: AttentionEntry, b: AttentionEntry): number => (a.date < b.date ? -1 : a.date > b.date ? 1 : compareIds(a.store, b.store) || compareIds(a.item ?? '', b.item ?? ''));
  return entries.sort((a, b) => {
    if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
    if (a.kind === 'heightened' || a.kind === 'changed') return Math.abs(b.units ?? 0) - Math.abs(a.units ?? 0) || byPlace(a, b);
    if (a.kind === 'accuracy') return (b.change ?? 0) - (a.change ?? 0) || byPlace(a, b);
    return byPlace(a, b);
  });
}

/** The caller's stores (or `q.stores`, 403 for any not theirs), each over its current forecast days inside from/to. */
export async function getAttention(deps: ApiDeps, principal: Principal, q: AttentionQuery) {
  const settings = deps.attention ?? DEFAULT_ATTENTION_SETTINGS;
  const { scope, states } = await scopeFor(deps, principal, q.stores);
  if (q.stores !== undefined) checkStores(scope, q.stores);
  else requireRole(scope);
  const stores = (q.stores ?? [...states.keys()].filter((s) => scope.canSee(s))).filter((s) => states.get(s)?.current !== undefined).sort(compareIds);
  const from = q.from === undefined ? undefined : parseIsoDay(q.from);
  const to = q.to === undefined ? undefined : parseIsoDay(q.to);
  const cells = answerCells(states, stores, undefined, from, to);
  checkAnswerSize(deps, cells, 'The stores asked for hold', 'fewer stores (stores=) or a shorter from/to range');
  const perStore = await mapLimit(stores, deps.readConcurrency ?? 8, async (store) => {
    const state = states.get(store)!;
    const current = state.current!;
    const first = parseIsoDay(current.firstDay);
    if (first === undefined) return [];
    const start = Math.max(first, from ?? first);
    // A range outside the forecast still gets the store's accuracy entry (its date is the realised window's).
    const end = Math.min(first + current.horizon - 1, to ?? Infinity);
    const optional = <T>(p: Promise<T> | undefined): Promise<T | undefined> => (p === undefined ? Promise.resolve(undefined) : p.catch(() => undefined));
    const historyBlob = state.history?.blob;
    const [rows, previousRows, totals, items, drivers, realised, overrides] = await Promise.all([
      deps.forecasts.readRun(store, current.runId),
      state.previousRunId === undefined || state.previousRunId === current.runId ? undefined : optional(deps.forecasts.readRun(store, state.previousRunId)),
      historyBlob === undefined ? undefined : optional(deps.historyTotals?.(historyBlob)),
      historyBlob === undefined ? undefined : optional(deps.itemHistory?.(historyBlob)),
      state.drivers === undefined ? undefined : optional(deps.storeDrivers?.(state.drivers.blob)),
      optional(deps.realised?.recent(store, REALISED_WINDOW_DAYS).then(realisedSummary)),
      optional(deps.overrides?.inForce(store)),
    ]);
    const promotionOverrides = unexpired(overrides ?? [], first).filter((o) => o.kind === 'promotion');
    return storeAttention({ store, state, rows, previousRows, totals, items, drivers, realised, promotionOverrides }, start, end, settings);
  });
  return {
    from: q.from ?? null,
    to: q.to ?? null,
    thresholds: { heightenedPercent: settings.heightenedPercent, minUnits: settings.minUnits, changedPercent: settings.changedPercent, maxItemEntries: settings.maxItemEntries },
    items: rankEntries(perStore.flat()),
  };
}
