import { ARTIFACT_SCHEMA, applyIntervals, markedDays, mixForecast, type IntervalBucket, type ModelArtifact, type ModelComponent, type SeriesForecast, forecastFromArtifact } from './artifact.js';
import { CalendarTable } from './calendar.js';
import { closedWeekdays, detectClosedDays, recurringClosures } from './closures.js';
import { formatIsoDay, type EpochDay } from './dates.js';
import { storeClosedDays, type StoreDrivers } from './drivers.js';
import { DriverView, EFFECT_CONFIGS, RECENT_EFFECT_DAYS, effectMultipliers, estimateEffects, hasEffects, itemEffects, type EffectConfig, type ItemEffects, type StoreEffects } from './effects.js';
import { compareKeys, lastDay, type SeriesHistory } from './history.js';
import { emptyAccuracy, naiveScale, quantileSorted, smapePoint, type AccuracyAccumulator } from './metrics.js';
import { FAMILIES, FAMILY_NAMES, type CalendarConfig, type FamilyName, type FitInput, type StoreSignals } from './models/index.js';
import { calendarModel } from './models/calendar.js';
import { FLAT_FACTORS, addSums, emptySums, seasonalSums, shapeAt, shrinkFactors, type SeasonalFactors, type SeasonalSums } from './seasonality.js';

export interface TrainOptions {
  horizon: number;
  /** Rolling-origin folds for model choice and interval calibration (default 3). */
  folds?: number;
  /** Candidate families (default: all). */
  families?: readonly FamilyName[];
  /** Also compute an honest backtest report (selection and intervals judged on folds they did not see). */
  evaluate?: boolean;
  /**
   * The store's drivers (history and the days to forecast), from `driversForStore`. With them every family
   * also runs "+drivers" (fitted to sales with the driver effects taken out, times the future effects) and
   * the backtest chooses; known closures (`open = 0`) are forecast as 0 either way.
   */
  drivers?: StoreDrivers;
}

export interface StoreBacktestReport {
  /** Keyed by candidate: a family name, or `family+drivers`. */
  families: Partial<Record<string, AccuracyAccumulator>>;
  selected: AccuracyAccumulator;
  choices: Record<string, number>;
  calendarConfig: CalendarConfig;
  /** The optional driver effects the store's backtest chose (absent without drivers). */
  effectConfig?: EffectConfig;
}

export interface StoreTrainingResult {
  store: string;
  artifacts: ModelArtifact[];
  forecasts: SeriesForecast[];
  report?: StoreBacktestReport;
  /** Things a planner should know, e.g. a driver that never varies and was ignored. */
  notes: string[];
  /**
   * Backtest WAPE of the store's daily totals (items summed, as realised accuracy is measured on ingestion):
   * Σ|forecast − actual| / Σ actual over the first `NEAR_TERM_DAYS` days of each fold, for the mixes the
   * artifacts use; null without a fold or without sales. Per-item sums would overstate it several times
   * over: item errors partly cancel in a store total.
   */
  backtestWape: number | null;
}

const DEFAULT_FOLDS = 3;
/**
 * Lead times of the store's backtest WAPE. Realised accuracy compares each day with the forecast that was
 * current when its sales arrived — a day or a few ahead; scored over the whole backtest horizon (up to
 * half a year ahead) the backtest would set a bar far above what next week's forecast should meet.
 */
const NEAR_TERM_DAYS = 7;
/** The optional driver effects are chosen on the most recent folds only: each trial re-estimates every effect. */
const EFFECT_TRIAL_FOLDS = 2;
/** The longest window the calendar level reads (365 days), with a margin. */
const TRIAL_LEVEL_DAYS = 400;
/** Backtests longer than half a year cost history without telling more about model choice. */
const MAX_BACKTEST_HORIZON = 182;
const FACTOR_WINDOW = 3 * 365;
const WEEKDAY_PRIOR_UNITS = 500;
const MONTH_PRIOR_UNITS = 5000;
/** A pay-cycle shape needs a store's worth of sales per day of month before it is believed. */
const DAY_OF_MONTH_PRIOR_UNITS = 20000;
const LEVEL_WINDOWS = [28, 91, 182, 365];
const MAX_LOG_GROWTH_PER_DAY = Math.log(1.5) / 365;
const BUCKET_EDGES = [7, 28, 91, 182];
const MIN_OWN_RESIDUALS = 30;
/** An item's own residual quantiles count as much as the store's once it has this many residuals. */
const OWN_RESIDUAL_PRIOR = 60;
const MIN_TRAINING_DAYS = 14;
/** Normal z for the 10th/90th percentiles: the fallback when a store has no backtest at all. */
const Z80 = 1.2816;

export const CALENDAR_CONFIGS: readonly CalendarConfig[] = (() => {
  const configs: CalendarConfig[] = [];
  for (const levelWindow of LEVEL_WINDOWS)
    for (const shareOfStore of levelWindow === 365 ? [false] : [false, true])
      for (const growthDamping of [0, 0.5, 1])
        for (const pooledFactors of [false, true]) configs.push({ levelWindow, shareOfStore, growthDamping, pooledFactors });
  return configs;
})();

interface OriginSeries {
  y: Float64Array;
  startDay: EpochDay;
  shrunk: SeasonalFactors;
}

interface Origin {
  cutoff: EpochDay;
  pooled: SeasonalFactors;
  signals: StoreSignals;
  closedMonthDays: number[];
  /** Weekdays (0 = Sunday) the store has been closed on every week recently. */
  closedWeekdays: number[];
  series: (OriginSeries | undefined)[];
}

/** The same cut with the driver effects (estimated up to the cut) taken out of the history. */
interface DriverOrigin {
  origin: Origin;
  effects: StoreEffects;
  items: ItemEffects[];
}

interface StoreData {
  store: string;
  series: SeriesHistory[];
  masked: Float64Array[];
  closedDays: EpochDay[];
  /** Days with store sales > 0: a weekday is closed only if none of its recent days sold. */
  sellingDays: Set<EpochDay>;
  firstDay: EpochDay;
  lastDay: EpochDay;
  cal: CalendarTable;
  view: DriverView | undefined;
}

function prepareStore(series: SeriesHistory[], horizon: number, drivers?: StoreDrivers): StoreData {
  let firstDay = Infinity;
  let storeLast = -Infinity;
  for (const s of series) {
    firstDay = Math.min(firstDay, s.startDay);
    storeLast = Math.max(storeLast, lastDay(s));
  }
  const view = drivers === undefined ? undefined : new DriverView(drivers);
  const closedByDrivers = drivers === undefined ? new Set<EpochDay>() : storeClosedDays(drivers);
  const closedDays = [...new Set([...detectClosedDays(series, firstDay, storeLast), ...[...closedByDrivers].filter((d) => d >= firstDay && d <= storeLast)])].sort((a, b) => a - b);
  const closed = new Set(closedDays);
  const sellingDays = new Set<EpochDay>();
  const masked = series.map((s) => {
    for (let i = 0; i < s.values.length; i++) if (s.values[i]! > 0) sellingDays.add(s.startDay + i);
    const itemClosed = view !== undefined && view.drivers.items.get(s.item) !== undefined;
    if (closed.size === 0 && !itemClosed) return s.values;
    const copy = Float64Array.from(s.values);
    for (let i = 0; i < copy.length; i++) {
      const day = s.startDay + i;
      // A day known to be closed says nothing about demand: it must not pull down levels or shapes.
      if (closed.has(day) || (itemClosed && view.closed(s.item, day))) copy[i] = Number.NaN;
    }
    return copy;
  });
  return { store: series[0]!.store, series, masked, closedDays, sellingDays, firstDay, lastDay: storeLast, cal: new CalendarTable(firstDay, storeLast + horizon + 7), view };
}

function prepareOrigin(data: StoreData, cutoff: EpochDay, maskedValues: readonly Float64Array[] = data.masked): Origin {
  const pooledSums = emptySums();
  const own: (SeasonalSums | undefined)[] = [];
  const trimmed: ({ y: Float64Array; startDay: EpochDay } | undefined)[] = [];
  data.series.forEach((s, k) => {
    const end = Math.min(s.values.length - 1, cutoff - s.startDay);
    const values = maskedValues[k]!;
    let first = 0;
    while (first <= end && !(values[first]! > 0)) first++;
    if (end < 0) {
      trimmed.push(undefined);
      own.push(undefined);
      return;
    }
    const y = values.subarray(first, end + 1);
    const startDay = s.startDay + first;
    trimmed.push({ y, startDay });
    const sums = seasonalSums(y, startDay, Math.max(0, y.length - FACTOR_WINDOW), y.length - 1, data.cal);
    own.push(sums);
    addSums(pooledSums, sums);
  });
  // A store of only thin items has no reliable shape either: its shape leans toward flat in the same way.
  const pooled = shrinkFactors(pooledSums, FLAT_FACTORS, WEEKDAY_PRIOR_UNITS, MONTH_PRIOR_UNITS, DAY_OF_MONTH_PRIOR_UNITS);
  const series = trimmed.map((t, k): OriginSeries | undefined => (t === undefined ? undefined : { ...t, shrunk: shrinkFactors(own[k]!, pooled, WEEKDAY_PRIOR_UNITS, MONTH_PRIOR_UNITS) }));
  return {
    cutoff,
    pooled,
    signals: storeSignals(series, cutoff, pooled, data.cal),
    closedMonthDays: recurringClosures(data.closedDays, data.firstDay, cutoff, data.cal),
    closedWeekdays: closedWeekdays(data.closedDays, data.sellingDays, data.firstDay, cutoff),
    series,
  };
}

/**
 * Driver effects estimated from the history up to `cutoff` only, then taken out of that history so the
 * families fit what sales would have been without promotions and events.
 */
function prepareDriverOrigin(data: StoreData, view: DriverView, cutoff: EpochDay, config: EffectConfig, options: { shapesOf?: Origin; effects?: StoreEffects } = {}): DriverOrigin {
  const effects = options.effects ?? estimateEffects(view, data.series.map((s, k) => ({ item: s.item, values: data.masked[k]!, startDay: s.startDay })), cutoff, config);
  const items = data.series.map((s) => itemEffects(effects, s.item));
  /** Sales of series k from index `from` up to the cut, divided by the driver effects. */
  const deflate = (k: number, from: number): Float64Array => {
    const s = data.series[k]!;
    const masked = data.masked[k]!;
    const end = Math.max(from, Math.min(masked.length, cutoff - s.startDay + 1));
    if (!hasEffects(items[k]!)) return masked.subarray(from, end);
    const multiplier = effectMultipliers(items[k]!, view, s.item, s.startDay + from, end - from);
    const out = masked.slice(from, end);
    for (let i = 0; i < out.length; i++) out[i]! /= multiplier[i]!;
    return out;
  };
  const shapesOf = options.shapesOf;
  if (shapesOf === undefined) return { origin: prepareOrigin(data, cutoff, data.series.map((_, k) => deflate(k, 0))), effects, items };
  // Trials of the optional effects only compare calendar levels (a year at most): they keep the cut's seasonal
  // shapes and store signals, and take the effects out of the last TRIAL_LEVEL_DAYS only.
  const series = shapesOf.series.map((o, k) => {
    if (o === undefined) return undefined;
    const tail = Math.min(o.y.length, TRIAL_LEVEL_DAYS);
    const from = o.startDay - data.series[k]!.startDay + o.y.length - tail;
    return { ...o, y: deflate(k, from), startDay: o.startDay + o.y.length - tail };
  });
  return { origin: { ...shapesOf, series }, effects, items };
}

/** Days after `origin` forecast as exactly 0: known closures (open = 0) and weekdays the store keeps closed. */
function zeroDays(data: StoreData, origin: Origin, item: string, horizon: number): Uint8Array | undefined {
  if (origin.closedWeekdays.length === 0 && data.view === undefined) return undefined;
  const zero = new Uint8Array(horizon);
  for (let s = 0; s < horizon; s++) {
    const day = origin.cutoff + 1 + s;
    const weekdayClosed = origin.closedWeekdays.includes(data.cal.weekday[day - data.cal.firstDay]!);
    if (data.view?.closed(item, day) === true || (weekdayClosed && data.view?.explicitlyOpen(item, day) !== true)) zero[s] = 1;
  }
  return zero;
}

/** Store-wide recent movement and year-over-year growth, from items with a full history in the window. */
function storeSignals(series: readonly (OriginSeries | undefined)[], cutoff: EpochDay, pooled: SeasonalFactors, cal: CalendarTable): StoreSignals {
  const windows = [...LEVEL_WINDOWS, 730];
  const sales = new Float64Array(windows.length);
  const shape = new Float64Array(windows.length);
  // One ascending pass over the longest window feeds every shorter one, in the same summation order.
  const longest = (minimum: number): void => {
    const widest = windows[windows.length - 1]!;
    for (const s of series) {
      if (s === undefined || s.startDay + s.y.length - 1 !== cutoff || s.y.length < minimum) continue;
      const { y, startDay } = s;
      for (let i = Math.max(0, y.length - widest); i < y.length; i++) {
        const v = y[i]!;
        if (v !== v) continue;
        const shapeHere = shapeAt(pooled, cal, startDay + i - cal.firstDay);
        const age = y.length - i;
        for (let w = 0; w < windows.length; w++) {
          if (age > windows[w]!) continue;
          sales[w]! += v;
          shape[w]! += shapeHere;
        }
      }
    }
  };
  longest(730);
  let growthKnown = true;
  if (shape[windows.indexOf(365)]! === 0) {
    growthKnown = false;
    longest(365);
  }
  const level = (w: number): number => (shape[w]! > 0 ? sales[w]! / shape[w]! : Number.NaN);
  const yearIndex = windows.indexOf(365);
  const yearLevel = level(yearIndex);
  const recentToYear = new Map<number, number>();
  LEVEL_WINDOWS.forEach((window, w) => {
    const ratio = level(w) / yearLevel;
    recentToYear.set(window, Number.isFinite(ratio) && ratio > 0 ? ratio : 1);
  });
  let logGrowthPerDay = 0;
  if (growthKnown) {
    const previousYear = (sales[windows.length - 1]! - sales[yearIndex]!) / (shape[windows.length - 1]! - shape[yearIndex]!);
    const growth = Math.log(yearLevel / previousYear) / 365;
    if (Number.isFinite(growth)) logGrowthPerDay = Math.max(-MAX_LOG_GROWTH_PER_DAY, Math.min(MAX_LOG_GROWTH_PER_DAY, growth));
  }
  return { logGrowthPerDay, recentToYear };
}

function fitInput(data: StoreData, origin: Origin, s: OriginSeries, config: CalendarConfig): FitInput {
  return { y: s.y, startDay: s.startDay, cal: data.cal, factors: config.pooledFactors ? origin.pooled : s.shrunk, store: origin.signals, calendarConfig: config };
}

/** A model the backtest can choose: a family on plain sales, or on driver-free sales times the driver effects. */
export interface Candidate {
  family: FamilyName;
  drivers: boolean;
}

export function candidateLabel(c: Candidate): string {
  return c.drivers ? `${c.family}+drivers` : c.family;
}

interface CutState {
  origin: Origin;
  driverOrigin: DriverOrigin | undefined;
}

function candidateForecasts(data: StoreData, cut: CutState, k: number, candidates: readonly Candidate[], config: CalendarConfig, horizon: number): Float64Array[] {
  const { origin, driverOrigin } = cut;
  const item = data.series[k]!.item;
  const zero = zeroDays(data, origin, item, horizon);
  const plainInput = fitInput(data, origin, origin.series[k]!, config);
  const plainStates = new Map<FamilyName, unknown>();
  const plainState = (family: FamilyName): unknown => {
    if (!plainStates.has(family)) plainStates.set(family, FAMILIES[family].fit(plainInput));
    return plainStates.get(family);
  };
  let driverInput: FitInput | undefined;
  let multiplier: Float64Array | undefined;
  return candidates.map(({ family, drivers }) => {
    if (!drivers || driverOrigin === undefined || data.view === undefined) {
      return mixForecast([{ family, weight: 1, state: plainState(family) }], origin.closedMonthDays, origin.cutoff, horizon, data.cal, { zero });
    }
    driverInput ??= fitInput(data, driverOrigin.origin, driverOrigin.origin.series[k]!, config);
    multiplier ??= effectMultipliers(driverOrigin.items[k]!, data.view, item, origin.cutoff + 1, horizon);
    const state = FAMILIES[family].fit(family === 'calendar' ? driverInput : { ...driverInput, weightsFrom: plainState(family) });
    return mixForecast([{ family, weight: 1, state, drivers: true }], origin.closedMonthDays, origin.cutoff, horizon, data.cal, { zero, multiplier });
  });
}

function candidatesOf(families: readonly FamilyName[], withDrivers: boolean): Candidate[] {
  const plain = families.map((family) => ({ family, drivers: false }));
  return withDrivers ? [...plain, ...families.map((family) => ({ family, drivers: true }))] : plain;
}

/**
 * Every candidate's forecast for the `horizon` days after `cutoff`, as the backtest computes it for a fold
 * (keyed by candidate label: `calendar`, `calendar+drivers`, …). Exposed so tests can prove that nothing
 * after the cut, sales or driver-effect estimates, influences a fold, and for the champion gate, which
 * refits two known mixes: `labels` (per item) limits the work to the candidates it names, and items it
 * names nothing for are skipped.
 */
export function forecastsAtCutoff(
  series: readonly SeriesHistory[],
  cutoff: EpochDay,
  horizon: number,
  config: CalendarConfig = CALENDAR_CONFIGS[0]!,
  drivers?: StoreDrivers,
  effectConfig: EffectConfig = EFFECT_CONFIGS[0]!,
  labels?: (item: string) => ReadonlySet<string> | undefined,
): Map<string, Record<string, Float64Array>> {
  const data = prepareStore([...series], horizon, drivers);
  const cut = cutState(data, cutoff, effectConfig);
  const candidates = candidatesOf(FAMILY_NAMES, data.view !== undefined);
  const out = new Map<string, Record<string, Float64Array>>();
  data.series.forEach((s, k) => {
    const o = cut.origin.series[k];
    if (o === undefined || o.y.length === 0) return;
    const wanted = labels?.(s.item);
    const chosen = wanted === undefined ? (labels === undefined ? candidates : []) : candidates.filter((c) => wanted.has(candidateLabel(c)));
    if (chosen.length === 0) return;
    const forecasts = candidateForecasts(data, cut, k, chosen, config, horizon);
    out.set(s.item, Object.fromEntries(chosen.map((c, i) => [candidateLabel(c), forecasts[i]!])));
  });
  return out;
}

function cutState(data: StoreData, cutoff: EpochDay, effectConfig: EffectConfig | undefined): CutState {
  const origin = prepareOrigin(data, cutoff);
  const driverOrigin = data.view === undefined || effectConfig === undefined ? undefined : prepareDriverOrigin(data, data.view, cutoff, effectConfig);
  return { origin, driverOrigin };
}

interface FoldRecord {
  actual: Float64Array;
  scale: number;
  /** One forecast per candidate family, in `families` order. */
  forecasts: Float64Array[];
  /** 1 on days a driver moves the item's sales (promotion, event): their intervals are calibrated apart. */
  marked?: Uint8Array;
}

function scaledSse(forecast: Float64Array, actual: Float64Array): { sse: number; n: number } {
  let sse = 0;
  let n = 0;
  for (let s = 0; s < actual.length; s++) {
    const a = actual[s]!;
    if (a !== a) continue;
    const e = forecast[s]! - a;
    sse += e * e;
    n++;
  }
  return { sse, n };
}

function mean(arrays: readonly Float64Array[]): Float64Array {
  if (arrays.length === 1) return arrays[0]!;
  const out = new Float64Array(arrays[0]!.length);
  for (const a of arrays) for (let s = 0; s < out.length; s++) out[s]! += a[s]! / arrays.length;
  return out;
}

type Mix = number[];

function mixScore(records: readonly (FoldRecord | undefined)[], mix: Mix, excludeFold: number): number {
  let total = 0;
  let folds = 0;
  records.forEach((r, k) => {
    if (r === undefined || k === excludeFold) return;
    const { sse, n } = scaledSse(mean(mix.map((f) => r.forecasts[f]!)), r.actual);
    if (n === 0) return;
    total += sse / n / r.scale;
    folds++;
  });
  return folds > 0 ? total / folds : Number.NaN;
}

/** Best single family, or the mean of the two best when that backtests better. */
function chooseMix(records: readonly (FoldRecord | undefined)[], familyCount: number, excludeFold: number): { mix: Mix; scores: number[] } | undefined {
  const scores = Array.from({ length: familyCount }, (_, f) => mixScore(records, [f], excludeFold));
  const ranked = scores.map((score, f) => ({ score, f })).filter((x) => Number.isFinite(x.score)).sort((a, b) => a.score - b.score);
  if (ranked.length === 0) return undefined;
  const best = ranked[0]!;
  if (ranked.length > 1) {
    const pair = [best.f, ranked[1]!.f].sort((a, b) => a - b);
    if (mixScore(records, pair, excludeFold) < best.score) return { mix: pair, scores };
  }
  return { mix: [best.f], scores };
}

function cellError(record: FoldRecord | undefined, mix: Mix): number {
  if (record === undefined) return Number.NaN;
  const { sse, n } = scaledSse(mean(mix.map((f) => record.forecasts[f]!)), record.actual);
  return n > 0 ? sse / n / record.scale : Number.NaN;
}

/** Mixes a whole store may share: each candidate alone, and the mean of all smoothing families (with drivers and without). */
function storeWideMixes(candidates: readonly Candidate[]): Mix[] {
  const mixes: Mix[] = candidates.map((_, f) => [f]);
  for (const drivers of [false, true]) {
    const smoothing = candidates.map((c, f) => (c.family === 'seasonal_naive' || c.drivers !== drivers ? -1 : f)).filter((f) => f >= 0);
    if (smoothing.length > 1) mixes.push(smoothing);
  }
  return mixes;
}

type StoreStrategy = { kind: 'per-series' } | { kind: 'store-wide'; mix: Mix };

/**
 * Per-series choice pays off when series differ and the backtest has enough points to tell them apart;
 * with short folds on noisy intermittent items it mostly chases noise. So each store compares, on folds
 * the choice did not see, per-series choice against one mix shared by all its items, and keeps the better.
 */
function chooseStrategy(records: readonly (readonly (FoldRecord | undefined)[])[], families: readonly Candidate[], excludeFold: number): StoreStrategy {
  const foldCount = records[0]?.length ?? 0;
  const folds = Array.from({ length: foldCount }, (_, k) => k).filter((k) => k !== excludeFold);
  if (folds.length < 2) return { kind: 'per-series' };
  let perSeries = 0;
  const fixed = storeWideMixes(families).map(() => 0);
  const mixes = storeWideMixes(families);
  for (const seriesRecords of records) {
    for (const k of folds) {
      const record = seriesRecords[k];
      if (record === undefined) continue;
      const heldOut = seriesRecords.map((r, other) => (other === excludeFold ? undefined : r));
      const choice = chooseMix(heldOut, families.length, k);
      const error = choice === undefined ? Number.NaN : cellError(record, choice.mix);
      const fixedErrors = mixes.map((mix) => cellError(record, mix));
      // Only cells every candidate can be judged on, so the comparison is like for like.
      if (!Number.isFinite(error) || fixedErrors.some((e) => !Number.isFinite(e))) continue;
      perSeries += error;
      fixedErrors.forEach((e, m) => (fixed[m]! += e));
    }
  }
  let best = 0;
  fixed.forEach((e, m) => {
    if (e < fixed[best]!) best = m;
  });
  return fixed[best]! < perSeries ? { kind: 'store-wide', mix: mixes[best]! } : { kind: 'per-series' };
}

interface Residual {
  step: number;
  r: number;
  marked: boolean;
}

function residuals(record: FoldRecord, mix: Mix): Residual[] {
  const f = mean(mix.map((m) => record.forecasts[m]!));
  const out: Residual[] = [];
  for (let s = 0; s < record.actual.length; s++) {
    const a = record.actual[s]!;
    if (a !== a) continue;
    out.push({ step: s + 1, r: (a - f[s]!) / Math.sqrt(f[s]! + 1), marked: record.marked?.[s] === 1 });
  }
  return out;
}

function bucketEdges(backtestHorizon: number): number[] {
  const edges = BUCKET_EDGES.filter((e) => e < backtestHorizon);
  edges.push(Math.max(1, backtestHorizon));
  return edges;
}

function bucketOf(step: number, edges: readonly number[]): number {
  for (let b = 0; b < edges.length; b++) if (step <= edges[b]!) return b;
  return edges.length - 1;
}

/** Horizon buckets for ordinary days, then the same buckets again for days a driver moves. */
type BucketedResiduals = number[][];

function emptyBuckets(edges: readonly number[]): BucketedResiduals {
  return [...edges, ...edges].map(() => []);
}

function bucketResiduals(items: readonly Residual[], edges: readonly number[], into?: BucketedResiduals): BucketedResiduals {
  const out = into ?? emptyBuckets(edges);
  for (const { step, r, marked } of items) out[bucketOf(step, edges) + (marked ? edges.length : 0)]!.push(r);
  return out;
}

interface PoolQuantiles {
  q10: number[];
  q90: number[];
  count: number[];
}

/** Store-wide residual quantiles per bucket, computed once and shared by all the store's items. */
function poolQuantiles(pool: BucketedResiduals): PoolQuantiles {
  const q10: number[] = [];
  const q90: number[] = [];
  const count: number[] = [];
  for (const residualsOfBucket of pool) {
    const sorted = Float64Array.from(residualsOfBucket).sort();
    q10.push(sorted.length > 0 ? quantileSorted(sorted, 0.1) : -Z80);
    q90.push(sorted.length > 0 ? quantileSorted(sorted, 0.9) : Z80);
    count.push(sorted.length);
  }
  return { q10, q90, count };
}

interface Intervals {
  buckets: IntervalBucket[];
  driverBuckets?: IntervalBucket[];
}

/**
 * Interval quantiles, for ordinary days and for days a driver moves: promotion days are larger and less
 * predictable than √forecast scaling alone says. The item's own residuals are blended with its store's, so
 * thin histories stay sane; too few driver-day residuals in the store fall back to the ordinary quantiles.
 */
function calibrate(own: BucketedResiduals, pool: PoolQuantiles, edges: readonly number[]): Intervals {
  const buckets = calibrateHalf(own, pool, edges, 0, undefined);
  const markedResiduals = pool.count.slice(edges.length).reduce((a, b) => a + b, 0);
  if (markedResiduals === 0) return { buckets };
  return { buckets, driverBuckets: calibrateHalf(own, pool, edges, edges.length, buckets) };
}

function calibrateHalf(own: BucketedResiduals, pool: PoolQuantiles, edges: readonly number[], offset: number, fallback: IntervalBucket[] | undefined): IntervalBucket[] {
  return edges.map((upToStep, edge) => {
    const b = edge + offset;
    if (fallback !== undefined && pool.count[b]! < MIN_OWN_RESIDUALS) return fallback[edge]!;
    let q10 = pool.q10[b]!;
    let q90 = pool.q90[b]!;
    const ownResiduals = own[b] ?? [];
    if (ownResiduals.length >= MIN_OWN_RESIDUALS) {
      const ownSorted = Float64Array.from(ownResiduals).sort();
      const ownWeight = ownSorted.length / (ownSorted.length + OWN_RESIDUAL_PRIOR);
      q10 = (1 - ownWeight) * q10 + ownWeight * quantileSorted(ownSorted, 0.1);
      q90 = (1 - ownWeight) * q90 + ownWeight * quantileSorted(ownSorted, 0.9);
    }
    return { upToStep, q10, q90 };
  });
}

function accumulate(acc: AccuracyAccumulator, record: FoldRecord, forecast: Float64Array, intervals: Intervals | undefined): void {
  const { p10, p90 } = intervals === undefined ? { p10: undefined, p90: undefined } : applyIntervals(forecast, intervals.buckets, undefined, intervals.driverBuckets, record.marked);
  let sse = 0;
  let n = 0;
  for (let s = 0; s < record.actual.length; s++) {
    const a = record.actual[s]!;
    if (a !== a) continue;
    const f = forecast[s]!;
    acc.smapeSum += smapePoint(f, a);
    acc.points++;
    acc.absErrorSum += Math.abs(f - a);
    acc.actualSum += a;
    sse += (f - a) * (f - a);
    n++;
    if (p10 !== undefined && p90 !== undefined) {
      acc.intervalPoints++;
      if (a >= p10[s]! && a <= p90[s]!) acc.covered++;
    }
  }
  if (n > 0 && Number.isFinite(record.scale) && record.scale > 0) {
    acc.rmsseSum += Math.sqrt(sse / n / record.scale);
    acc.rmsseSeries++;
  }
}

/**
 * Trains every series of one store: rolling-origin backtest on the store's own history, per-store choice of
 * the calendar model's settings, per-series choice of family (or a two-model mean), interval calibration from
 * backtest residuals, then a final fit on all data. All of it uses only data up to each fold's cut.
 */
export function trainStore(series: readonly SeriesHistory[], options: TrainOptions): StoreTrainingResult {
  if (series.length === 0) throw new Error('trainStore needs at least one series');
  const horizon = options.horizon;
  const families = [...(options.families ?? FAMILY_NAMES)];
  const sorted = [...series].sort((a, b) => compareKeys(a.item, b.item));
  const data = prepareStore(sorted, horizon, options.drivers);
  const btHorizon = Math.min(horizon, MAX_BACKTEST_HORIZON);
  const folds = Math.max(0, options.folds ?? DEFAULT_FOLDS);
  const edges = bucketEdges(btHorizon);

  const origins: Origin[] = [];
  for (let k = 1; k <= folds; k++) {
    const cutoff = data.lastDay - k * btHorizon;
    if (cutoff - data.firstDay < MIN_TRAINING_DAYS) break;
    origins.push(prepareOrigin(data, cutoff));
  }

  const actualsOf = (k: number, origin: Origin): Float64Array | undefined => {
    const s = data.series[k]!;
    const o = origin.series[k];
    if (o === undefined || o.y.length < MIN_TRAINING_DAYS || s.startDay + s.values.length - 1 <= origin.cutoff) return undefined;
    const actual = new Float64Array(btHorizon).fill(Number.NaN);
    // Closed days are not demand: forecast as 0 when known, they would only narrow the intervals and flatter
    // every model alike, so they are left out of the scores like missing days.
    const values = data.masked[k]!;
    let any = false;
    for (let step = 1; step <= btHorizon; step++) {
      const i = origin.cutoff + step - s.startDay;
      if (i < values.length) {
        actual[step - 1] = values[i]!;
        any ||= values[i]! === values[i]!;
      }
    }
    return any ? actual : undefined;
  };

  // Pass 1: the calendar model's settings, chosen once per store on all its items' folds.
  const configScores = new Float64Array(CALENDAR_CONFIGS.length);
  const scales: (number | undefined)[][] = origins.map(() => []);
  const actuals: (Float64Array | undefined)[][] = origins.map((origin) => data.series.map((_, k) => actualsOf(k, origin)));
  origins.forEach((origin, fold) => {
    data.series.forEach((s, k) => {
      const actual = actuals[fold]![k];
      if (actual === undefined) return;
      const o = origin.series[k]!;
      const scale = naiveScale(o.y);
      scales[fold]![k] = Number.isFinite(scale) && scale > 0 ? scale : 1;
      const zero = zeroDays(data, origin, s.item, btHorizon);
      CALENDAR_CONFIGS.forEach((config, c) => {
        const state = calendarModel.fit(fitInput(data, origin, o, config));
        const forecast = mixForecast([{ family: 'calendar', weight: 1, state }], origin.closedMonthDays, origin.cutoff, btHorizon, data.cal, { zero });
        const { sse, n } = scaledSse(forecast, actual);
        if (n > 0) configScores[c]! += sse / n / scales[fold]![k]!;
      });
    });
  });
  let bestConfig = 0;
  configScores.forEach((score, c) => {
    if (score < configScores[bestConfig]!) bestConfig = c;
  });
  const calendarConfig = CALENDAR_CONFIGS[bestConfig]!;

  // Pass 1b: which optional driver effects (post-promotion dip, days around events) the store's backtest
  // supports, judged with the calendar family; options that change nothing are not tried.
  let effectConfig: EffectConfig | undefined;
  let cuts: CutState[] = origins.map((origin) => ({ origin, driverOrigin: undefined }));
  if (data.view !== undefined) {
    const view = data.view;
    let best = Infinity;
    let hasFlags = true;
    let hasEvents = true;
    const tryConfig = (config: EffectConfig): void => {
      const trial = origins.slice(0, EFFECT_TRIAL_FOLDS).map((origin) => ({ origin, driverOrigin: prepareDriverOrigin(data, view, origin.cutoff, config, { shapesOf: origin }) }));
      if (effectConfig === undefined) {
        hasFlags = trial.some((t) => t.driverOrigin.effects.flags.length + t.driverOrigin.effects.levels.length > 0);
        hasEvents = trial.some((t) => t.driverOrigin.effects.events.length > 0);
      }
      let score = 0;
      trial.forEach((cut, fold) => {
        data.series.forEach((_, k) => {
          const actual = actuals[fold]![k];
          if (actual === undefined) return;
          const forecast = candidateForecasts(data, cut, k, [{ family: 'calendar', drivers: true }], calendarConfig, btHorizon)[0]!;
          const { sse, n } = scaledSse(forecast, actual);
          if (n > 0) score += sse / n / scales[fold]![k]!;
        });
      });
      if (effectConfig === undefined || score < best) {
        best = score;
        effectConfig = config;
        cuts = trial;
      }
    };
    // Greedy: each option is kept only if it improves on the best so far (4 trials, not every combination).
    tryConfig({ dip: false, neighbours: false });
    if (hasFlags) tryConfig({ dip: false, neighbours: false, recentDays: RECENT_EFFECT_DAYS });
    if (hasFlags) tryConfig({ ...effectConfig!, dip: true });
    if (hasEvents) tryConfig({ ...effectConfig!, neighbours: true });
    const chosen = effectConfig!;
    cuts = origins.map((origin, fold) => ({ origin, driverOrigin: prepareDriverOrigin(data, view, origin.cutoff, chosen, { effects: cuts[fold]?.driverOrigin?.effects }) }));
  }
  const candidates = candidatesOf(families, effectConfig !== undefined);

  // Pass 2: every candidate on every fold, with the chosen settings.
  const records: (FoldRecord | undefined)[][] = data.series.map(() => origins.map(() => undefined));
  cuts.forEach((cut, fold) => {
    data.series.forEach((_, k) => {
      const actual = actuals[fold]![k];
      if (actual === undefined) return;
      const record: FoldRecord = { actual, scale: scales[fold]![k]!, forecasts: candidateForecasts(data, cut, k, candidates, calendarConfig, btHorizon) };
      if (cut.driverOrigin !== undefined && data.view !== undefined) {
        record.marked = markedDays(effectMultipliers(cut.driverOrigin.items[k]!, data.view, data.series[k]!.item, cut.origin.cutoff + 1, btHorizon));
      }
      records[k]![fold] = record;
    });
  });

  const defaultMix = (k: number): Mix => {
    const values = data.masked[k]!;
    let zeros = 0;
    let valid = 0;
    for (let i = Math.max(0, values.length - 91); i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) continue;
      valid++;
      if (v === 0) zeros++;
    }
    const preferred: FamilyName = valid > 0 && zeros / valid > 0.5 ? 'tsb' : 'calendar';
    const index = candidates.findIndex((c) => c.family === preferred && !c.drivers);
    return [index >= 0 ? index : 0];
  };
  const choices = data.series.map((_, k) => chooseMix(records[k]!, candidates.length, -1));
  const strategy = chooseStrategy(records, candidates, -1);
  const mixes = choices.map((choice, k) => (choice === undefined ? defaultMix(k) : strategy.kind === 'store-wide' ? strategy.mix : choice.mix));

  const pool = emptyBuckets(edges);
  const ownResiduals = data.series.map((_, k) => {
    const own = emptyBuckets(edges);
    for (const record of records[k]!) {
      if (record === undefined) continue;
      const r = residuals(record, mixes[k]!);
      bucketResiduals(r, edges, own);
      bucketResiduals(r, edges, pool);
    }
    return own;
  });

  const storeQuantiles = poolQuantiles(pool);

  // Final fit on all history, each series from its own last day.
  const final = cutState(data, data.lastDay, effectConfig);
  const notes = final.driverOrigin?.effects.notes ?? [];
  const artifacts: ModelArtifact[] = [];
  const forecasts: SeriesForecast[] = [];
  // Store totals per fold and step, over the items observed that day: the same days the items are scored on.
  const storeTotals = origins.map(() => ({ forecast: new Float64Array(btHorizon), actual: new Float64Array(btHorizon), seen: new Uint8Array(btHorizon) }));
  data.series.forEach((s, k) => {
    const o = final.origin.series[k]!;
    const seriesLast = lastDay(s);
    const mix = o.y.length === 0 ? [] : mixes[k]!;
    const input = fitInput(data, final.origin, o, calendarConfig);
    const driverSeries = final.driverOrigin?.origin.series[k];
    const driverInput = driverSeries === undefined ? undefined : fitInput(data, final.driverOrigin!.origin, driverSeries, calendarConfig);
    const components: ModelComponent[] = mix.length === 0
      ? [{ family: 'ses', weight: 1, state: { alpha: 0, level: 0 } }]
      : mix.map((f) => {
          const { family, drivers } = candidates[f]!;
          if (drivers && driverInput !== undefined) {
            // As in the backtest: the twin fitted with drivers takes the smoothing weights of the plain fit.
            const weightsFrom = family === 'calendar' ? undefined : FAMILIES[family].fit(input);
            return { family, weight: 1 / mix.length, state: FAMILIES[family].fit({ ...driverInput, weightsFrom }), drivers: true };
          }
          return { family, weight: 1 / mix.length, state: FAMILIES[family].fit(input) };
        });
    const choice = choices[k];
    const scoreEntries: [string, number][] = [];
    choice?.scores.forEach((score, f) => {
      if (Number.isFinite(score)) scoreEntries.push([candidateLabel(candidates[f]!), score]);
    });
    const seriesAccuracy = emptyAccuracy();
    records[k]!.forEach((record, fold) => {
      if (record === undefined) return;
      const forecast = mean(mix.map((f) => record.forecasts[f]!));
      accumulate(seriesAccuracy, record, forecast, undefined);
      const totals = storeTotals[fold]!;
      for (let step = 0; step < record.actual.length; step++) {
        const a = record.actual[step]!;
        if (a !== a) continue;
        totals.forecast[step]! += forecast[step]!;
        totals.actual[step]! += a;
        totals.seen[step] = 1;
      }
    });
    let observations = 0;
    for (const v of s.values) if (v === v) observations++;
    const artifact: ModelArtifact = {
      schema: ARTIFACT_SCHEMA,
      store: s.store,
      item: s.item,
      origin: formatIsoDay(seriesLast),
      window: { from: formatIsoDay(s.startDay), to: formatIsoDay(seriesLast), observations },
      selected: components.map((c) => (c.drivers === true ? `${c.family}+drivers` : c.family)).join('+'),
      components,
      closedMonthDays: final.origin.closedMonthDays,
      closedWeekdays: final.origin.closedWeekdays,
      intervals: { scale: 'sqrt-forecast-plus-one', ...calibrate(ownResiduals[k]!, storeQuantiles, edges) },
      calendarConfig,
      backtest: {
        horizon: btHorizon,
        folds: records[k]!.filter((r) => r !== undefined).length,
        scores: Object.fromEntries(scoreEntries),
        rmsse: seriesAccuracy.rmsseSeries > 0 ? seriesAccuracy.rmsseSum / seriesAccuracy.rmsseSeries : null,
        smape: seriesAccuracy.points > 0 ? seriesAccuracy.smapeSum / seriesAccuracy.points : null,
        absError: seriesAccuracy.absErrorSum,
        actual: seriesAccuracy.actualSum,
      },
    };
    if (effectConfig !== undefined && final.driverOrigin !== undefined) {
      // The effects are kept even when no component uses them: they also say which days get driver intervals.
      artifact.drivers = { effectConfig, effects: final.driverOrigin.items[k]! };
    }
    artifacts.push(artifact);
    forecasts.push(forecastFromArtifact(artifact, horizon, options.drivers));
  });

  let totalError = 0;
  let totalActual = 0;
  for (const totals of storeTotals) {
    for (let step = 0; step < Math.min(btHorizon, NEAR_TERM_DAYS); step++) {
      if (totals.seen[step] !== 1) continue;
      totalError += Math.abs(totals.forecast[step]! - totals.actual[step]!);
      totalActual += totals.actual[step]!;
    }
  }
  const result: StoreTrainingResult = { store: data.store, artifacts, forecasts, notes, backtestWape: totalActual > 0 ? totalError / totalActual : null };
  if (options.evaluate === true) {
    result.report = evaluate(data, records, candidates, edges, calendarConfig);
    if (effectConfig !== undefined) result.report.effectConfig = effectConfig;
  }
  return result;
}

/**
 * Honest backtest figures: for each fold, model choice and interval quantiles come from the other folds
 * only, so the reported accuracy and coverage are what a planner would have seen.
 */
function evaluate(data: StoreData, records: (FoldRecord | undefined)[][], families: Candidate[], edges: number[], calendarConfig: CalendarConfig): StoreBacktestReport {
  const foldCount = records[0]?.length ?? 0;
  const familyAcc = families.map(() => emptyAccuracy());
  const selected = emptyAccuracy();
  const choices: Record<string, number> = {};
  for (let fold = 0; fold < foldCount; fold++) {
    const exclude = foldCount > 1 ? fold : -1;
    const pools = families.map(() => emptyBuckets(edges));
    const selectedPool = emptyBuckets(edges);
    const strategy = chooseStrategy(records, families, exclude);
    const mixes = data.series.map((_, k) => {
      const choice = chooseMix(records[k]!, families.length, exclude);
      return choice === undefined ? undefined : strategy.kind === 'store-wide' ? strategy.mix : choice.mix;
    });
    data.series.forEach((_, k) => {
      records[k]!.forEach((record, other) => {
        if (record === undefined || other === exclude) return;
        families.forEach((_, f) => bucketResiduals(residuals(record, [f]), edges, pools[f]));
        const mix = mixes[k];
        if (mix !== undefined) bucketResiduals(residuals(record, mix), edges, selectedPool);
      });
    });
    const familyQuantiles = pools.map(poolQuantiles);
    const selectedQuantiles = poolQuantiles(selectedPool);
    data.series.forEach((_, k) => {
      const record = records[k]![fold];
      if (record === undefined) return;
      const ownOf = (mix: Mix): BucketedResiduals => {
        const own = emptyBuckets(edges);
        records[k]!.forEach((r, other) => {
          if (r !== undefined && other !== exclude) bucketResiduals(residuals(r, mix), edges, own);
        });
        return own;
      };
      families.forEach((_, f) => accumulate(familyAcc[f]!, record, record.forecasts[f]!, calibrate(ownOf([f]), familyQuantiles[f]!, edges)));
      const calendarIndex = families.findIndex((c) => c.family === 'calendar' && !c.drivers);
      const mix = mixes[k] ?? [Math.max(0, calendarIndex)];
      const label = mix.map((f) => candidateLabel(families[f]!)).join(' + ');
      choices[label] = (choices[label] ?? 0) + 1;
      accumulate(selected, record, mean(mix.map((f) => record.forecasts[f]!)), calibrate(ownOf(mix), selectedQuantiles, edges));
    });
  }
  return { families: Object.fromEntries(families.map((f, i) => [candidateLabel(f), familyAcc[i]!])), selected, choices, calendarConfig };
}
