import type { IntervalBucket } from '../artifact.js';
import { quantileSorted } from '../metrics.js';
import type { Mix } from './mix.js';
import { mean, type FoldRecord } from './scoring.js';

const BUCKET_EDGES = [7, 28, 91, 182];
const MIN_OWN_RESIDUALS = 30;
/** An item's own residual quantiles count as much as the store's once it has this many residuals. */
const OWN_RESIDUAL_PRIOR = 60;
/** Normal z for the 10th/90th percentiles: the fallback when a store has no backtest at all. */
const Z80 = 1.2816;

interface Residual {
  step: number;
  r: number;
  marked: boolean;
}

export function residuals(record: FoldRecord, mix: Mix): Residual[] {
  const f = mean(mix.map((m) => record.forecasts[m]!));
  const out: Residual[] = [];
  for (let s = 0; s < record.actual.length; s++) {
    const a = record.actual[s]!;
    if (a !== a) continue;
    out.push({ step: s + 1, r: (a - f[s]!) / Math.sqrt(f[s]! + 1), marked: record.marked?.[s] === 1 });
  }
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

export function bucketResiduals(items: readonly Residual[], edges: readonly number[], into?: BucketedResiduals): BucketedResiduals {
  const out = into ?? emptyBuckets(edges);
  for (const { step, r, marked } of items) out[bucketOf(step, edges) + (marked ? edges.length : 0)]!.push(r);
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

/**
 * Step 6, calibration: each series' interval quantiles from the backtest residuals of its mix, blended with
 * the store's (all its series' residuals pooled).
 */
export function calibrateIntervals(records: readonly (readonly (FoldRecord | undefined)[])[], mixes: readonly Mix[], edges: readonly number[]): Intervals[] {
  const pool = emptyBuckets(edges);
  const ownResiduals = records.map((seriesRecords, k) => {
    const own = emptyBuckets(edges);
    for (const record of seriesRecords) {
      if (record === undefined) continue;
      const r = residuals(record, mixes[k]!);
      bucketResiduals(r, edges, own);
      bucketResiduals(r, edges, pool);
    }
    return own;
  });
  const storeQuantiles = poolQuantiles(pool);
  return ownResiduals.map((own) => calibrate(own, storeQuantiles, edges));
}
