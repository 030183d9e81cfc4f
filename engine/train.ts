import { ARTIFACT_SCHEMA, applyIntervals, mixForecast, type IntervalBucket, type ModelArtifact, type ModelComponent, type SeriesForecast, forecastFromArtifact } from './artifact.js';
import { CalendarTable } from './calendar.js';
import { detectClosedDays, recurringClosures } from './closures.js';
import { formatIsoDay, type EpochDay } from './dates.js';
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
}

export interface StoreBacktestReport {
  families: Partial<Record<FamilyName, AccuracyAccumulator>>;
  selected: AccuracyAccumulator;
  choices: Record<string, number>;
  calendarConfig: CalendarConfig;
}

export interface StoreTrainingResult {
  store: string;
  artifacts: ModelArtifact[];
  forecasts: SeriesForecast[];
  report?: StoreBacktestReport;
}

const DEFAULT_FOLDS = 3;
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
  series: (OriginSeries | undefined)[];
}

interface StoreData {
  store: string;
  series: SeriesHistory[];
  masked: Float64Array[];
  closedDays: EpochDay[];
  firstDay: EpochDay;
  lastDay: EpochDay;
  cal: CalendarTable;
}

function prepareStore(series: SeriesHistory[], horizon: number): StoreData {
  let firstDay = Infinity;
  let storeLast = -Infinity;
  for (const s of series) {
    firstDay = Math.min(firstDay, s.startDay);
    storeLast = Math.max(storeLast, lastDay(s));
  }
  const closedDays = detectClosedDays(series, firstDay, storeLast);
  const closed = new Set(closedDays);
  const masked = series.map((s) => {
    if (closed.size === 0) return s.values;
    const copy = Float64Array.from(s.values);
    for (let i = 0; i < copy.length; i++) if (closed.has(s.startDay + i)) copy[i] = Number.NaN;
    return copy;
  });
  return { store: series[0]!.store, series, masked, closedDays, firstDay, lastDay: storeLast, cal: new CalendarTable(firstDay, storeLast + horizon + 7) };
}

function prepareOrigin(data: StoreData, cutoff: EpochDay): Origin {
  const pooledSums = emptySums();
  const own: (SeasonalSums | undefined)[] = [];
  const trimmed: ({ y: Float64Array; startDay: EpochDay } | undefined)[] = [];
  data.series.forEach((s, k) => {
    const end = Math.min(s.values.length - 1, cutoff - s.startDay);
    const values = data.masked[k]!;
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
    series,
  };
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

function familyForecasts(data: StoreData, origin: Origin, k: number, families: readonly FamilyName[], config: CalendarConfig, horizon: number): Float64Array[] {
  const input = fitInput(data, origin, origin.series[k]!, config);
  return families.map((name) => mixForecast([{ family: name, weight: 1, state: FAMILIES[name].fit(input) }], origin.closedMonthDays, origin.cutoff, horizon, data.cal));
}

/**
 * Every family's forecast for the `horizon` days after `cutoff`, as the backtest computes it for a fold.
 * Exposed so tests can prove that nothing after the cut influences a fold.
 */
export function forecastsAtCutoff(series: readonly SeriesHistory[], cutoff: EpochDay, horizon: number, config: CalendarConfig = CALENDAR_CONFIGS[0]!): Map<string, Record<FamilyName, Float64Array>> {
  const data = prepareStore([...series], horizon);
  const origin = prepareOrigin(data, cutoff);
  const out = new Map<string, Record<FamilyName, Float64Array>>();
  data.series.forEach((s, k) => {
    const o = origin.series[k];
    if (o === undefined || o.y.length === 0) return;
    const forecasts = familyForecasts(data, origin, k, FAMILY_NAMES, config, horizon);
    out.set(s.item, Object.fromEntries(FAMILY_NAMES.map((f, i) => [f, forecasts[i]!])) as Record<FamilyName, Float64Array>);
  });
  return out;
}

interface FoldRecord {
  actual: Float64Array;
  scale: number;
  /** One forecast per candidate family, in `families` order. */
  forecasts: Float64Array[];
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

/** Mixes a whole store may share: each family alone, and the mean of all smoothing families. */
function storeWideMixes(families: readonly FamilyName[]): Mix[] {
  const mixes: Mix[] = families.map((_, f) => [f]);
  const smoothing = families.map((name, f) => (name === 'seasonal_naive' ? -1 : f)).filter((f) => f >= 0);
  if (smoothing.length > 1) mixes.push(smoothing);
  return mixes;
}

type StoreStrategy = { kind: 'per-series' } | { kind: 'store-wide'; mix: Mix };

/**
 * Per-series choice pays off when series differ and the backtest has enough points to tell them apart;
 * with short folds on noisy intermittent items it mostly chases noise. So each store compares, on folds
 * the choice did not see, per-series choice against one mix shared by all its items, and keeps the better.
 */
function chooseStrategy(records: readonly (readonly (FoldRecord | undefined)[])[], families: readonly FamilyName[], excludeFold: number): StoreStrategy {
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

function residuals(record: FoldRecord, mix: Mix): { step: number; r: number }[] {
  const f = mean(mix.map((m) => record.forecasts[m]!));
  const out: { step: number; r: number }[] = [];
  for (let s = 0; s < record.actual.length; s++) {
    const a = record.actual[s]!;
    if (a !== a) continue;
    out.push({ step: s + 1, r: (a - f[s]!) / Math.sqrt(f[s]! + 1) });
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

type BucketedResiduals = number[][];

function bucketResiduals(items: readonly { step: number; r: number }[], edges: readonly number[], into?: BucketedResiduals): BucketedResiduals {
  const out = into ?? edges.map(() => []);
  for (const { step, r } of items) out[bucketOf(step, edges)]!.push(r);
  return out;
}

interface PoolQuantiles {
  q10: number[];
  q90: number[];
}

/** Store-wide residual quantiles per bucket, computed once and shared by all the store's items. */
function poolQuantiles(pool: BucketedResiduals): PoolQuantiles {
  const q10: number[] = [];
  const q90: number[] = [];
  for (const residualsOfBucket of pool) {
    const sorted = Float64Array.from(residualsOfBucket).sort();
    q10.push(sorted.length > 0 ? quantileSorted(sorted, 0.1) : -Z80);
    q90.push(sorted.length > 0 ? quantileSorted(sorted, 0.9) : Z80);
  }
  return { q10, q90 };
}

/** Interval quantiles: the item's own residuals blended with its store's, so thin histories stay sane. */
function calibrate(own: BucketedResiduals, pool: PoolQuantiles, edges: readonly number[]): IntervalBucket[] {
  return edges.map((upToStep, b) => {
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

function accumulate(acc: AccuracyAccumulator, record: FoldRecord, forecast: Float64Array, buckets: IntervalBucket[] | undefined): void {
  const { p10, p90 } = buckets === undefined ? { p10: undefined, p90: undefined } : applyIntervals(forecast, buckets);
  let sse = 0;
  let n = 0;
  for (let s = 0; s < record.actual.length; s++) {
    const a = record.actual[s]!;
    if (a !== a) continue;
    const f = forecast[s]!;
    acc.smapeSum += smapePoint(f, a);
    acc.points++;
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
  const data = prepareStore(sorted, horizon);
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
    let any = false;
    for (let step = 1; step <= btHorizon; step++) {
      const i = origin.cutoff + step - s.startDay;
      if (i < s.values.length) {
        actual[step - 1] = s.values[i]!;
        any ||= s.values[i]! === s.values[i]!;
      }
    }
    return any ? actual : undefined;
  };

  // Pass 1: the calendar model's settings, chosen once per store on all its items' folds.
  const configScores = new Float64Array(CALENDAR_CONFIGS.length);
  const scales: (number | undefined)[][] = origins.map(() => []);
  origins.forEach((origin, fold) => {
    data.series.forEach((_, k) => {
      const actual = actualsOf(k, origin);
      if (actual === undefined) return;
      const o = origin.series[k]!;
      const scale = naiveScale(o.y);
      scales[fold]![k] = Number.isFinite(scale) && scale > 0 ? scale : 1;
      CALENDAR_CONFIGS.forEach((config, c) => {
        const state = calendarModel.fit(fitInput(data, origin, o, config));
        const forecast = mixForecast([{ family: 'calendar', weight: 1, state }], origin.closedMonthDays, origin.cutoff, btHorizon, data.cal);
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

  // Pass 2: every family on every fold, with the chosen calendar settings.
  const records: (FoldRecord | undefined)[][] = data.series.map(() => origins.map(() => undefined));
  origins.forEach((origin, fold) => {
    data.series.forEach((_, k) => {
      const actual = actualsOf(k, origin);
      if (actual === undefined) return;
      records[k]![fold] = { actual, scale: scales[fold]![k]!, forecasts: familyForecasts(data, origin, k, families, calendarConfig, btHorizon) };
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
    const index = families.indexOf(preferred);
    return [index >= 0 ? index : 0];
  };
  const choices = data.series.map((_, k) => chooseMix(records[k]!, families.length, -1));
  const strategy = chooseStrategy(records, families, -1);
  const mixes = choices.map((choice, k) => (choice === undefined ? defaultMix(k) : strategy.kind === 'store-wide' ? strategy.mix : choice.mix));

  const pool: BucketedResiduals = edges.map(() => []);
  const ownResiduals = data.series.map((_, k) => {
    const own: BucketedResiduals = edges.map(() => []);
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
  const finalOrigin = prepareOrigin(data, data.lastDay);
  const artifacts: ModelArtifact[] = [];
  const forecasts: SeriesForecast[] = [];
  data.series.forEach((s, k) => {
    const o = finalOrigin.series[k]!;
    const seriesLast = lastDay(s);
    const mix = o.y.length === 0 ? [] : mixes[k]!;
    const input = fitInput(data, finalOrigin, o, calendarConfig);
    const components: ModelComponent[] = mix.length === 0
      ? [{ family: 'ses', weight: 1, state: { alpha: 0, level: 0 } }]
      : mix.map((f) => ({ family: families[f]!, weight: 1 / mix.length, state: FAMILIES[families[f]!].fit(input) }));
    const choice = choices[k];
    const scoreEntries: [string, number][] = [];
    choice?.scores.forEach((score, f) => {
      if (Number.isFinite(score)) scoreEntries.push([families[f]!, score]);
    });
    const seriesAccuracy = emptyAccuracy();
    for (const record of records[k]!) if (record !== undefined) accumulate(seriesAccuracy, record, mean(mix.map((f) => record.forecasts[f]!)), undefined);
    let observations = 0;
    for (const v of s.values) if (v === v) observations++;
    const artifact: ModelArtifact = {
      schema: ARTIFACT_SCHEMA,
      store: s.store,
      item: s.item,
      origin: formatIsoDay(seriesLast),
      window: { from: formatIsoDay(s.startDay), to: formatIsoDay(seriesLast), observations },
      selected: components.map((c) => c.family).join('+'),
      components,
      closedMonthDays: finalOrigin.closedMonthDays,
      intervals: { scale: 'sqrt-forecast-plus-one', buckets: calibrate(ownResiduals[k]!, storeQuantiles, edges) },
      calendarConfig,
      backtest: {
        horizon: btHorizon,
        folds: records[k]!.filter((r) => r !== undefined).length,
        scores: Object.fromEntries(scoreEntries),
        rmsse: seriesAccuracy.rmsseSeries > 0 ? seriesAccuracy.rmsseSum / seriesAccuracy.rmsseSeries : null,
        smape: seriesAccuracy.points > 0 ? seriesAccuracy.smapeSum / seriesAccuracy.points : null,
      },
    };
    artifacts.push(artifact);
    forecasts.push(forecastFromArtifact(artifact, horizon));
  });

  const result: StoreTrainingResult = { store: data.store, artifacts, forecasts };
  if (options.evaluate === true) result.report = evaluate(data, records, families, edges, calendarConfig);
  return result;
}

/**
 * Honest backtest figures: for each fold, model choice and interval quantiles come from the other folds
 * only, so the reported accuracy and coverage are what a planner would have seen.
 */
function evaluate(data: StoreData, records: (FoldRecord | undefined)[][], families: FamilyName[], edges: number[], calendarConfig: CalendarConfig): StoreBacktestReport {
  const foldCount = records[0]?.length ?? 0;
  const familyAcc = families.map(() => emptyAccuracy());
  const selected = emptyAccuracy();
  const choices: Record<string, number> = {};
  for (let fold = 0; fold < foldCount; fold++) {
    const exclude = foldCount > 1 ? fold : -1;
    const pools = families.map(() => edges.map((): number[] => []));
    const selectedPool: BucketedResiduals = edges.map(() => []);
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
        const own: BucketedResiduals = edges.map(() => []);
        records[k]!.forEach((r, other) => {
          if (r !== undefined && other !== exclude) bucketResiduals(residuals(r, mix), edges, own);
        });
        return own;
      };
      families.forEach((_, f) => accumulate(familyAcc[f]!, record, record.forecasts[f]!, calibrate(ownOf([f]), familyQuantiles[f]!, edges)));
      const mix = mixes[k] ?? [families.indexOf('calendar') >= 0 ? families.indexOf('calendar') : 0];
      const label = mix.map((f) => families[f]!).join('+');
      choices[label] = (choices[label] ?? 0) + 1;
      accumulate(selected, record, mean(mix.map((f) => record.forecasts[f]!)), calibrate(ownOf(mix), selectedQuantiles, edges));
    });
  }
  return { families: Object.fromEntries(families.map((f, i) => [f, familyAcc[i]!])), selected, choices, calendarConfig };
}
