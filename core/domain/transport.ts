import { estimateCrossRho, SERVICE_LEVELS, type ServiceLevel, type TotalsModel } from '../../engine/index.js';
import { addPart, emptyMoments, quantilesOf, sumShape, type Marginal, type SumMoments, type SumQuantiles } from '../../engine/totals.js';
import type { RealisedDay } from '../ports/index.js';
import type { Principal } from './api-access.js';
import { sumBands, type FreshnessView } from './api-views.js';
import { currentItems, markersFor, type ApiDeps, type ForecastQuery } from './api-service.js';
import { unitFactor, type ItemMaster } from './item-master.js';
import { adjustItems, type AdjustedItemView, type Override } from './overrides.js';
import type { StoreLogistics } from './store-attributes.js';
import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
import type { StoreState } from './model.js';

/**
 * The transport view: per store and day, the units forecast (model numbers, as before) and `value`, the
 * store-day total at a service level in a unit (units, cases, pallets or trucks), with the planners' overrides
 * applied; the region total the same way over the stores. Totals are quantiles of sums (engine/totals.ts), not
 * sums of quantiles: items within a store are joined by the store's backtest dependence, stores by the
 * dependence of their backtest residuals.
 */
export const TRANSPORT_UNITS = ['units', 'cases', 'pallets', 'trucks'] as const;
export type TransportUnit = (typeof TRANSPORT_UNITS)[number];

export type TransportQuery = Pick<ForecastQuery, 'stores' | 'from' | 'to'> & { level?: ServiceLevel | undefined; unit?: TransportUnit | undefined };

/** What the transport view reads beside the forecasts; each may be cached by the caller (they change rarely). */
export interface TransportInputs {
  /** The item master (pack sizes); undefined when none was uploaded. */
  itemMaster(): Promise<ItemMaster | undefined>;
  /** Each store's truck capacity and receiving limit from the store file. */
  storeLogistics(): Promise<ReadonlyMap<string, StoreLogistics>>;
  /** The store's most recent realised days (the last CALIBRATION_WINDOW_DAYS), oldest first. */
  realisedDays(store: string): Promise<readonly RealisedDay[]>;
  /** The store's live overrides, as `ApiDeps.overrides` gives them (a cached copy); absent → `ApiDeps.overrides`. */
  overridesInForce?(store: string): Promise<readonly Override[]>;
}

/**
 * What the planner is told when the item master or the store file cannot be read (a tampered or invalid blob):
 * the view answers as if there were none rather than failing, and says so.
 */
const unreadable = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
};
export const itemMasterNotice = (error: unknown): string => `The item master could not be read: ${unreadable(error)}; pack sizes are ignored until it is uploaded again`;
export const storeFileNotice = (error: unknown): string => `The store file could not be read: ${unreadable(error)}; truck capacities and receiving limits are ignored until it is uploaded again`;

/** Realised days per store the calibration looks back over: a quarter, as forecast value added does. */
export const CALIBRATION_WINDOW_DAYS = 91;
/** Below this many realised store-days (with quantiles) the backtest's calibration is shown instead. */
export const MIN_REALISED_DAYS = 28;

export interface CalibrationView {
  source: 'realised' | 'backtest' | null;
  /** Store-days the shares rest on (realised days, or the backtest's held-out store-days). */
  days: number;
  /** Per level, the share of those store-days whose actual total was at or below that quantile. */
  shares: Record<ServiceLevel, number | null>;
}

export interface TransportStoreView {
  store: string;
  runId: string | null;
  freshness: FreshnessView;
  firstDate: string | null;
  units: number[];
  p10: number[];
  p90: number[];
  /** The store-day total at the level, in the unit, overrides applied; null when the unit cannot be reached (`reason`). */
  value: number[] | null;
  reason?: string;
  /** Store-day totals in units with the overrides in force; present when one touches the range. */
  adjusted?: number[];
  /** Units of the items without pack sizes, at the level (not in `value`); present for cases, pallets and trucks when some item lacks them. */
  unconvertedUnits?: number[];
  /** Days whose pallets at the level exceed the store's receiving limit. */
  overLimit: string[];
  truckPallets: number | null;
  receivingLimitPallets: number | null;
  /** The store's closed days in the range: a planner books no truck, rather than a 0-unit one. */
  closed: string[];
}

export interface TransportTotalsView {
  firstDate: string;
  units: number[];
  p10: number[];
  p90: number[];
  /** The region total at the level in the unit (trucks: the stores' trucks added up, each store booking its own). */
  value: number[];
  adjusted?: number[];
  unconvertedUnits?: number[];
  /** Stores left out of `value` (their own value is null). */
  excludedStores: string[];
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

const NO_SHARES: Record<ServiceLevel, null> = { p50: null, p80: null, p90: null, p95: null };

/** Cross-store dependence is a pure function of the stores' runs: remembered per set of runs. */
const crossRhoMemo = new Map<string, { rho: number; points: number }>();
const CROSS_RHO_MEMO_ENTRIES = 256;

function crossRho(states: readonly (StoreState | undefined)[]): { rho: number; points: number } {
  const models = states.flatMap((s) => (s?.current?.totals === undefined ? [] : [{ runId: s.current.runId, store: s.store, totals: s.current.totals }]));
  if (models.length < 2) return { rho: 0, points: 0 };
  const key = models.map((m) => `${m.store}\u0000${m.runId}`).sort().join('\u0001');
  let hit = crossRhoMemo.get(key);
  if (hit === undefined) {
    hit = estimateCrossRho(models.map((m) => m.totals.residuals));
    if (crossRhoMemo.size >= CROSS_RHO_MEMO_ENTRIES) crossRhoMemo.delete(crossRhoMemo.keys().next().value!);
    crossRhoMemo.set(key, hit);
  }
  return hit;
}

/**
 * The realised ledger's calibration over the stores' recent days that recorded their quantiles; the
 * backtest's (weighted by held-out store-days) while fewer than MIN_REALISED_DAYS are known.
 */
export function calibrationOf(realised: readonly (readonly RealisedDay[])[], backtests: readonly (TotalsModel | undefined)[]): CalibrationView {
  const days = realised.flat().filter((d) => d.quantiles !== undefined);
  if (days.length >= MIN_REALISED_DAYS) {
    const shares = { ...NO_SHARES } as Record<ServiceLevel, number | null>;
    for (const level of SERVICE_LEVELS) shares[level] = round(days.filter((d) => d.actual <= d.quantiles![level] + 1e-9).length / days.length);
    return { source: 'realised', days: days.length, shares };
  }
  const models = backtests.filter((t): t is TotalsModel & { calibration: Record<ServiceLevel, number> } => t?.calibration != null && t.points > 0);
  const points = models.reduce((a, t) => a + t.points, 0);
  if (points === 0) return { source: null, days: days.length, shares: { ...NO_SHARES } };
  const shares = { ...NO_SHARES } as Record<ServiceLevel, number | null>;
  for (const level of SERVICE_LEVELS) shares[level] = round(models.reduce((a, t) => a + t.calibration[level] * t.points, 0) / points);
  return { source: 'backtest', days: points, shares };
}

interface StoreDays {
  view: TransportStoreView;
  /** Per day, the store-day sum in the unit (trucks: pallets) as a part of the region total; undefined when value is null. */
  sums?: Marginal[];
  /** Per day, the unconverted items' sum in units. */
  unconverted?: Marginal[];
}

/** Scratch part: addPart reads it and keeps nothing, so one object serves every item-day. */
const part: Marginal = { mean: 0, p10: 0, p90: 0 };

function storeDays(
  item: readonly AdjustedItemView[],
  first: number,
  n: number,
  rho: number,
  level: ServiceLevel,
  unit: TransportUnit,
  master: ItemMaster | undefined,
  logistics: StoreLogistics | undefined,
  unconvertedItems: string[],
): Pick<StoreDays, 'sums' | 'unconverted'> & Pick<TransportStoreView, 'value' | 'reason' | 'unconvertedUnits' | 'overLimit'> {
  const measured: TransportUnit = unit === 'trucks' ? 'pallets' : unit;
  const limit = logistics?.receivingLimitPallets ?? null;
  const inUnit = Array.from({ length: n }, emptyMoments);
  const unconverted = measured === 'units' ? undefined : Array.from({ length: n }, emptyMoments);
  // Pallets for the receiving limit, when the unit is not pallets already.
  const pallets = limit !== null && measured !== 'pallets' ? Array.from({ length: n }, emptyMoments) : undefined;
  let converted = 0;
  let lacking = 0;
  for (const it of item) {
    const start = parseIsoDay(it.firstDate);
    if (start === undefined) continue;
    const sizes = master?.get(it.item);
    const factor = unitFactor(sizes, measured);
    const palletFactor = pallets === undefined ? undefined : unitFactor(sizes, 'pallets');
    if (factor === undefined) {
      unconvertedItems.push(it.item);
      lacking++;
    } else converted++;
    const mean = it.adjusted ?? it.forecast;
    const p10 = it.adjustedP10 ?? it.p10;
    const p90 = it.adjustedP90 ?? it.p90;
    const offset = start - first;
    for (let i = 0; i < mean.length; i++) {
      const k = offset + i;
      if (k < 0 || k >= n) continue;
      const m = mean[i]!;
      const lo = p10[i] ?? m;
      const hi = p90[i] ?? m;
      const scale = factor ?? 1;
      part.mean = m * scale;
      part.p10 = lo * scale;
      part.p90 = hi * scale;
      addPart((factor === undefined ? unconverted : inUnit)![k]!, part);
      if (palletFactor !== undefined) {
        part.mean = m * palletFactor;
        part.p10 = lo * palletFactor;
        part.p90 = hi * palletFactor;
        addPart(pallets![k]!, part);
      }
    }
  }
  const sums = inUnit.map((moments) => quantilesAt(moments, rho));
  const atLevel = (quantiles: readonly SumQuantiles[]): number[] => quantiles.map((q) => round(q.quantiles[level]));
  const palletValues = measured === 'pallets' ? atLevel(sums) : pallets === undefined ? undefined : atLevel(pallets.map((m) => quantilesAt(m, rho)));
  const overLimit: string[] = [];
  if (limit !== null && palletValues !== undefined && converted > 0) palletValues.forEach((v, k) => (v > limit ? overLimit.push(formatIsoDay(first + k)) : undefined));
  const unconvertedSums = unconverted === undefined || lacking === 0 ? undefined : unconverted.map((m) => quantilesAt(m, rho));
  const unconvertedOut = unconvertedSums === undefined ? {} : { unconverted: unconvertedSums, unconvertedUnits: atLevel(unconvertedSums) };
  if (converted === 0 && item.length > 0 && measured !== 'units') return { value: null, reason: `none of the store's items has pack sizes in the item master: counted in units (unconvertedUnits)`, overLimit, ...unconvertedOut };
  if (unit === 'trucks') {
    const truck = logistics?.truckPallets ?? null;
    if (truck === null) return { value: null, reason: 'no truck capacity for this store: give truck_pallets in the store file', overLimit, ...unconvertedOut };
    // Each store-day books whole trucks: the pallets at the level, rounded up to trucks.
    return { value: palletValues!.map((p) => Math.ceil(p / truck - 1e-9)), sums, overLimit, ...unconvertedOut };
  }
  return { value: atLevel(sums), sums, overLimit, ...unconvertedOut };
}

function quantilesAt(moments: SumMoments, rho: number) {
  const { mean, sd, skew } = sumShape(moments, rho);
  return quantilesOf(mean, sd, skew);
}

function sumOver(days: readonly (readonly Marginal[])[], n: number, offsets: readonly number[], rho: number, level: ServiceLevel): number[] {
  const moments = Array.from({ length: n }, emptyMoments);
  days.forEach((parts, s) => parts.forEach((p, i) => addPart(moments[offsets[s]! + i]!, p)));
  return moments.map((m) => round(quantilesAt(m, rho).quantiles[level]));
}

interface StoreTotals {
  sum: ReturnType<typeof sumBands>;
  days?: ReturnType<typeof storeDays> & { adjusted?: number[] };
  lacking: string[];
}

/**
 * A store's totals are a function of its run's rows in the range (immutable), its overrides, the item master,
 * its logistics, its rho, the level and the unit: remembered per store, run, range, level and unit while the
 * inputs are the same objects (the transport inputs' caches hand out the same ones until they re-read), so a
 * dashboard's repeated loads do not redo the sums.
 */
const storeMemo = new Map<string, { overrides: readonly Override[]; master: ItemMaster | undefined; own: StoreLogistics | undefined; rho: number; totals: StoreTotals }>();
/** Store-days the memo holds at most (~200 bytes each: a day's sums and its values), oldest dropped first: ~20 MB. */
const STORE_MEMO_DAYS = 100_000;
let storeMemoDays = 0;
const memoDays = (t: StoreTotals): number => t.sum?.forecast.length ?? 0;

function storeTotals(
  r: { store: string; runId: string | null; items: AdjustedItemView[]; from: number | undefined; to: number | undefined },
  overrides: readonly Override[],
  rho: number,
  level: ServiceLevel,
  unit: TransportUnit,
  master: ItemMaster | undefined,
  own: StoreLogistics | undefined,
): StoreTotals {
  const key = r.runId === null ? undefined : `${r.store}\u0000${r.runId}\u0000${r.from}\u0000${r.to}\u0000${level}\u0000${unit}`;
  const hit = key === undefined ? undefined : storeMemo.get(key);
  if (hit !== undefined && hit.master === master && hit.own === own && hit.rho === rho && (hit.overrides === overrides || (hit.overrides.length === 0 && overrides.length === 0))) return hit.totals;
  const sum = sumBands(r.items);
  const first = sum === null ? undefined : parseIsoDay(sum.firstDate);
  let totals: StoreTotals;
  if (sum === null || first === undefined) totals = { sum, lacking: [] };
  else {
    const items: AdjustedItemView[] = overrides.length === 0 ? r.items : adjustItems(r.items, overrides);
    const lacking: string[] = [];
    const days = storeDays(items, first, sum.forecast.length, rho, level, unit, master, own, lacking);
    const adjusted = items.some((i) => i.adjusted !== undefined) ? sumBands(items.map((i) => ({ firstDate: i.firstDate, forecast: i.adjusted ?? i.forecast, p10: i.p10, p90: i.p90 })))?.forecast : undefined;
    totals = { sum, days: adjusted === undefined ? days : { ...days, adjusted }, lacking };
  }
  if (key !== undefined) {
    const replaced = storeMemo.get(key);
    if (replaced !== undefined) {
      storeMemoDays -= memoDays(replaced.totals);
      storeMemo.delete(key);
    }
    for (const [oldest, entry] of storeMemo) {
      if (storeMemoDays + memoDays(totals) <= STORE_MEMO_DAYS) break;
      storeMemoDays -= memoDays(entry.totals);
      storeMemo.delete(oldest);
    }
    storeMemo.set(key, { overrides, master, own, rho, totals });
    storeMemoDays += memoDays(totals);
  }
  return totals;
}

export async function getTransport(deps: ApiDeps, principal: Principal, q: TransportQuery) {
  const level = q.level ?? 'p50';
  const unit = q.unit ?? 'units';
  const read = await currentItems(deps, principal, q.stores, undefined, q.from, q.to);
  const inputs = deps.transport;
  const notices: string[] = [];
  const orElse = <T>(read: Promise<T>, fallback: T, notice: (error: unknown) => string): Promise<T> =>
    read.catch((error: unknown) => {
      notices.push(notice(error));
      return fallback;
    });
  const [master, logistics, realised] = await Promise.all([
    inputs === undefined ? undefined : orElse(inputs.itemMaster(), undefined, itemMasterNotice),
    inputs === undefined ? new Map<string, StoreLogistics>() : orElse(inputs.storeLogistics(), new Map<string, StoreLogistics>(), storeFileNotice),
    Promise.all(read.map((r) => (inputs !== undefined ? inputs.realisedDays(r.store) : deps.realised !== undefined ? deps.realised.recent(r.store, CALIBRATION_WINDOW_DAYS) : Promise.resolve([])))),
  ]);
  const unconvertedItems = new Set<string>();
  const stores: StoreDays[] = await Promise.all(
    read.map(async (r): Promise<StoreDays> => {
      const closed = (await markersFor(deps, r.state, r.items, r.from, r.to)).filter((m) => m.kind === 'closed').map((m) => m.date);
      const overrides = r.items.length === 0 ? [] : inputs?.overridesInForce !== undefined ? await inputs.overridesInForce(r.store) : deps.overrides !== undefined ? await deps.overrides.inForce(r.store) : [];
      const own = logistics.get(r.store);
      const { sum, days, lacking } = storeTotals(r, overrides, r.state?.current?.totals?.rho ?? 0, level, unit, master, own);
      for (const item of lacking) unconvertedItems.add(item);
      const base = { store: r.store, runId: r.runId, freshness: r.freshness, firstDate: sum?.firstDate ?? null, units: sum?.forecast ?? [], p10: sum?.p10 ?? [], p90: sum?.p90 ?? [], truckPallets: own?.truckPallets ?? null, receivingLimitPallets: own?.receivingLimitPallets ?? null, closed };
      if (days === undefined) return { view: { ...base, value: [], overLimit: [] } };
      const { sums, unconverted, adjusted, ...view } = days;
      return { view: { ...base, ...view, ...(adjusted === undefined ? {} : { adjusted }) }, ...(sums === undefined || view.value === null ? {} : { sums }), ...(unconverted === undefined ? {} : { unconverted }) };
    }),
  );
  const views = stores.map((s) => s.view);
  const bands = sumBands(views.filter((s) => s.firstDate !== null).map((s) => ({ firstDate: s.firstDate!, forecast: s.units, p10: s.p10, p90: s.p90 })));
  const dependence = crossRho(read.map((r) => r.state));
  let totals: TransportTotalsView | null = null;
  if (bands !== null) {
    const first = parseIsoDay(bands.firstDate)!;
    const n = bands.forecast.length;
    const placed = stores.filter((s) => s.view.firstDate !== null);
    const offset = (s: StoreDays): number => parseIsoDay(s.view.firstDate!)! - first;
    const counted = placed.filter((s) => s.view.value !== null);
    let value: number[];
    if (unit === 'trucks') {
      value = new Array<number>(n).fill(0);
      for (const s of counted) s.view.value!.forEach((t, i) => (value[offset(s) + i]! += t));
    } else {
      const withSums = counted.filter((s) => s.sums !== undefined);
      value = sumOver(withSums.map((s) => s.sums!), n, withSums.map(offset), dependence.rho, level);
    }
    const withUnconverted = placed.filter((s) => s.unconverted !== undefined);
    const adjusted = placed.some((s) => s.view.adjusted !== undefined) ? sumBands(placed.map((s) => ({ firstDate: s.view.firstDate!, forecast: s.view.adjusted ?? s.view.units, p10: [], p90: [] })))?.forecast : undefined;
    totals = {
      firstDate: bands.firstDate,
      units: bands.forecast,
      p10: bands.p10,
      p90: bands.p90,
      value,
      ...(adjusted === undefined ? {} : { adjusted }),
      ...(withUnconverted.length === 0 ? {} : { unconvertedUnits: sumOver(withUnconverted.map((s) => s.unconverted!), n, withUnconverted.map(offset), dependence.rho, level) }),
      excludedStores: placed.filter((s) => s.view.value === null).map((s) => s.view.store),
    };
  }
  const calibration = calibrationOf(realised, read.map((r) => r.state?.current?.totals));
  return {
    from: q.from ?? null,
    to: q.to ?? null,
    level,
    unit,
    stores: views,
    totals,
    unconverted: { items: [...unconvertedItems].sort() },
    calibration,
    dependence: { rho: round(dependence.rho), points: dependence.points },
    notices,
  };
}
