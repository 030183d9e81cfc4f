import type { IntervalBucket } from '../artifact.js';
import { quantileSorted } from '../metrics.js';
import type { Candidate } from './candidates.js';
import { chooseMix, chooseStrategy, type Mix } from './mix.js';
import { mixForecast, type FoldRecord } from './scoring.js';

const BUCKET_EDGES = [7, 28, 91, 182];
const MIN_OWN_RESIDUALS = 30;
/** An item's own residual quantiles count as much as the store's once it has this many residuals. */
const OWN_RESIDUAL_PRIOR = 60;
/** Normal z for the 10th/90th percentiles: the fallback when a store has no backtest at all. */
const Z80 = 1.2816;
/** The share of held-out points a p10–p90 interval should hold. */
const TARGET_COVERAGE = 0.8;
/** A store's width factor counts as much as "no widening" once it rests on this many held-out points. */
const FACTOR_PRIOR_POINTS = 50;
/** Beyond these, a factor says more about a broken backtest than about the store's future. */
const MIN_WIDTH_FACTOR = 0.5;
const MAX_WIDTH_FACTOR = 3;
/** Held-out driver-day points a store needs before its driver days get a width factor of their own. */
const MIN_MARKED_POINTS = 30;

/** Residuals of each mix a fold record was judged with: the honest steps ask for the same ones fold after fold. */
const residualCache = new WeakMap<FoldRecord, Map<string, Float64Array>>();

/** Each day's residual `(actual − forecast) / √(forecast + 1)` of a mix's forecast; NaN on days not scored. */
export function residuals(record: FoldRecord, mix: Mix): Float64Array {
  let byMix = residualCache.get(record);
  if (byMix === undefined) residualCache.set(record, (byMix = new Map<string, Float64Array>()));
  const key = mix.join(',');
  let out = byMix.get(key);
  if (out !== undefined) return out;
  const f = mixForecast(record, mix);
  out = new Float64Array(record.actual.length);
  for (let s = 0; s < out.length; s++) {
    const a = record.actual[s]!;
    out[s] = a !== a ? Number.NaN : (a - f[s]!) / Math.sqrt(f[s]! + 1);
  }
  byMix.set(key, out);
  return out;
}

export function bucketEdges(backtestHorizon: number): number[] {
  const edges = BUCKET_EDGES.filter((e) => e < backtestHorizon);
  edges.push(Math.max(1, backtestHorizon));
  return edges;
}

function bucketOf(step: number, edges: readonly number[]): number {
  for (let b = 0; b < edges.length; b++) if (step <= edges[b]!) return b;
  return edges.length - 1;
}

/** Horizon buckets for ordinary days, then the same buckets again for days a driver moves. */
export type BucketedResiduals = number[][];

export function emptyBuckets(edges: readonly number[]): BucketedResiduals {
  return [...edges, ...edges].map(() => []);
}

/** A fold record's residuals of `mix`, added to their buckets (driver-moved days to the second half). */
export function bucketResiduals(record: FoldRecord, mix: Mix, edges: readonly number[], into?: BucketedResiduals): BucketedResiduals {
  const out = into ?? emptyBuckets(edges);
  const r = residuals(record, mix);
  for (let s = 0; s < r.length; s++) {
    if (r[s]! !== r[s]!) continue;
    out[bucketOf(s + 1, edges) + (record.marked?.[s] === 1 ? edges.length : 0)]!.push(r[s]!);
  }
  return out;
}

export interface PoolQuantiles {
  q10: number[];
  q90: number[];
  count: number[];
}

/** Store-wide residual quantiles per bucket, computed once and shared by all the store's items. */
export function poolQuantiles(pool: BucketedResiduals): PoolQuantiles {
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

export interface Intervals {
  buckets: IntervalBucket[];
  driverBuckets?: IntervalBucket[];
}

/**
 * Interval quantiles, for ordinary days and for days a driver moves: promotion days are larger and less
 * predictable than √forecast scaling alone says. The item's own residuals are blended with its store's, so
 * thin histories stay sane; too few driver-day residuals in the store fall back to the ordinary quantiles.
 */
export function calibrate(own: BucketedResiduals, pool: PoolQuantiles, edges: readonly number[]): Intervals {
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

/** Folds set aside: `withoutFold(records, f)` is the backtest as if fold f had never been scored. */
export function withoutFold(records: readonly (readonly (FoldRecord | undefined)[])[], fold: number): (FoldRecord | undefined)[][] {
  return records.map((seriesRecords) => seriesRecords.map((record, f) => (f === fold ? undefined : record)));
}

/**
 * Each series' mix chosen as step 5 would without `excludeFold` (-1: none): the store's strategy and each
 * series' best candidates; the calendar family for a series no other fold scored.
 */
export function heldOutMixes(records: readonly (readonly (FoldRecord | undefined)[])[], candidates: readonly Candidate[], excludeFold: number): Mix[] {
  const strategy = chooseStrategy(records, candidates, excludeFold);
  const calendarIndex = candidates.findIndex((c) => c.family === 'calendar' && !c.drivers);
  return records.map((seriesRecords) => {
    const choice = chooseMix(seriesRecords, candidates.length, excludeFold);
    if (choice === undefined) return [Math.max(0, calendarIndex)];
    return strategy.kind === 'store-wide' ? strategy.mix : choice.mix;
  });
}

/** Residual quantiles of each series' mix (blended with the store's pool) from every fold but `excludeFold`. */
export function quantileIntervals(records: readonly (readonly (FoldRecord | undefined)[])[], mixes: readonly Mix[], edges: readonly number[], excludeFold: number): Intervals[] {
  const pool = emptyBuckets(edges);
  const ownResiduals = records.map((seriesRecords, k) => {
    const own = emptyBuckets(edges);
    seriesRecords.forEach((record, fold) => {
      if (record === undefined || fold === excludeFold) return;
      bucketResiduals(record, mixes[k]!, edges, own);
      bucketResiduals(record, mixes[k]!, edges, pool);
    });
    return own;
  });
  const storeQuantiles = poolQuantiles(pool);
  return ownResiduals.map((own) => calibrate(own, storeQuantiles, edges));
}

/** Multipliers of a store's interval half-widths: one for ordinary days, one for days a driver moves. */
export interface WidthFactors {
  ordinary: number;
  marked: number;
}

export const NO_WIDENING: WidthFactors = { ordinary: 1, marked: 1 };

/**
 * The smallest multiple of the bucket's half-width on the residual's side that holds it: the conformity
 * score. A side that points the wrong way (q10 ≥ 0 under a shortfall) holds nothing however widened.
 */
function coveringMultiple(r: number, bucket: IntervalBucket): number {
  if (r < 0) return bucket.q10 < 0 ? r / bucket.q10 : Number.POSITIVE_INFINITY;
  if (r === 0) return 0;
  return bucket.q90 > 0 ? r / bucket.q90 : Number.POSITIVE_INFINITY;
}

/**
 * Split-conformal quantile of the covering multiples: the ⌈(n + 1)·0.8⌉-th smallest holds at least 80 % of
 * a new point's like in expectation. Few points make it noisy, so it leans toward 1 (the quantiles as
 * measured) in proportion.
 */
function conformalFactor(multiples: readonly number[]): number {
  const n = multiples.length;
  if (n === 0) return 1;
  const sorted = Float64Array.from(multiples).sort();
  const rank = Math.ceil((n + 1) * TARGET_COVERAGE);
  const factor = Math.min(MAX_WIDTH_FACTOR, rank > n ? Number.POSITIVE_INFINITY : sorted[rank - 1]!);
  const shrunk = 1 + ((factor - 1) * n) / (n + FACTOR_PRIOR_POINTS);
  return Math.max(MIN_WIDTH_FACTOR, Math.min(MAX_WIDTH_FACTOR, shrunk));
}

/**
 * The store's width factors, split-conformal over its folds: for each fold, the mixes are chosen and the
 * quantiles measured on the other folds only, exactly as the final ones are on all of them; that fold's
 * points then say how much wider (or narrower) those intervals had to be to hold 80 % of what followed. In-
 * sample quantiles are optimistic twice over (the mix was chosen on the same residuals, and a store with one
 * series pools nothing), so without this the intervals are too narrow on new data. Needs two scored folds;
 * `records` may have folds set aside (`withoutFold`) for a report judged on them.
 */
export function widthFactors(records: readonly (readonly (FoldRecord | undefined)[])[], candidates: readonly Candidate[], edges: readonly number[]): WidthFactors {
  const foldCount = records[0]?.length ?? 0;
  const folds = Array.from({ length: foldCount }, (_, f) => f).filter((f) => records.some((seriesRecords) => seriesRecords[f] !== undefined));
  if (folds.length < 2) return NO_WIDENING;
  const ordinary: number[] = [];
  const marked: number[] = [];
  for (const fold of folds) {
    const mixes = heldOutMixes(records, candidates, fold);
    const intervals = quantileIntervals(records, mixes, edges, fold);
    records.forEach((seriesRecords, k) => {
      const record = seriesRecords[fold];
      if (record === undefined) return;
      const { buckets, driverBuckets } = intervals[k]!;
      const r = residuals(record, mixes[k]!);
      for (let s = 0; s < r.length; s++) {
        if (r[s]! !== r[s]!) continue;
        const isMarked = record.marked?.[s] === 1;
        const bucket = (isMarked && driverBuckets !== undefined ? driverBuckets : buckets)[bucketOf(s + 1, edges)]!;
        (isMarked ? marked : ordinary).push(coveringMultiple(r[s]!, bucket));
      }
    });
  }
  if (marked.length < MIN_MARKED_POINTS) {
    const factor = conformalFactor([...ordinary, ...marked]);
    return { ordinary: factor, marked: factor };
  }
  return { ordinary: conformalFactor(ordinary), marked: conformalFactor(marked) };
}

/** Intervals with every bucket's half-widths multiplied by the store's factors. */
export function widen(intervals: Intervals, factors: WidthFactors): Intervals {
  const scale = (buckets: readonly IntervalBucket[], factor: number): IntervalBucket[] => buckets.map(({ upToStep, q10, q90 }) => ({ upToStep, q10: q10 * factor, q90: q90 * factor }));
  const buckets = scale(intervals.buckets, factors.ordinary);
  return intervals.driverBuckets === undefined ? { buckets } : { buckets, driverBuckets: scale(intervals.driverBuckets, factors.marked) };
}

/**
 * Step 6, calibration: each series' interval quantiles from the backtest residuals of its mix, blended with
 * the store's (all its series' residuals pooled), widened by the store's split-conformal width factors.
 */
export function calibrateIntervals(records: readonly (readonly (FoldRecord | undefined)[])[], mixes: readonly Mix[], edges: readonly number[], candidates: readonly Candidate[]): Intervals[] {
  const factors = widthFactors(records, candidates, edges);
  return quantileIntervals(records, mixes, edges, -1).map((intervals) => widen(intervals, factors));
}
