import { applyIntervals } from '../artifact.js';
import { formatIsoDay, type EpochDay } from '../dates.js';
import { MAX_TOTALS_RESIDUALS, SERVICE_LEVELS, addPart, emptyMoments, quantilesOf, sumShape, type ServiceLevel, type SumMoments, type TotalsModel } from '../totals.js';
import type { Intervals } from './calibration.js';
import type { Mix } from './mix.js';
import { mixForecast, type FoldRecord } from './scoring.js';

/** One held-out store-day: the items' forecasts read as a sum (for any rho), and what they actually sold. */
interface HeldOutDay {
  fold: number;
  day: EpochDay;
  moments: SumMoments;
  actual: number;
}

/**
 * The store's held-out days: on each fold, each day some item was scored on, the sum of those items' forecasts
 * and bands (the mixes and the calibrated intervals the forecasts themselves carry) and of their actual sales.
 */
function heldOutDays(records: readonly (readonly (FoldRecord | undefined)[])[], mixes: readonly Mix[], intervals: readonly Intervals[], cutoffs: readonly EpochDay[], horizon: number): HeldOutDay[] {
  const days: HeldOutDay[] = [];
  cutoffs.forEach((cutoff, fold) => {
    const moments = Array.from({ length: horizon }, emptyMoments);
    const actual = new Float64Array(horizon);
    const seen = new Uint8Array(horizon);
    records.forEach((seriesRecords, k) => {
      const record = seriesRecords[fold];
      if (record === undefined) return;
      const forecast = mixForecast(record, mixes[k]!);
      const { p10, p90 } = applyIntervals(forecast, intervals[k]!.buckets, undefined, intervals[k]!.driverBuckets, record.marked);
      for (let s = 0; s < Math.min(horizon, record.actual.length); s++) {
        const a = record.actual[s]!;
        if (a !== a) continue;
        addPart(moments[s]!, { mean: forecast[s]!, p10: p10[s]!, p90: p90[s]! });
        actual[s]! += a;
        seen[s] = 1;
      }
    });
    for (let s = 0; s < horizon; s++) if (seen[s] === 1) days.push({ fold, day: cutoff + s + 1, moments: moments[s]!, actual: actual[s]! });
  });
  return days;
}

/**
 * rho by the method of moments: the squared errors of the totals against their variance under rho,
 * Σ (e² − Σσ²) / Σ ((Σσ)² − Σσ²), summed over the days (so big days weigh more), clipped to [0, 1].
 */
function momentRho(days: readonly HeldOutDay[], excludeFold: number): number {
  let excess = 0;
  let room = 0;
  for (const { fold, moments, actual } of days) {
    if (fold === excludeFold) continue;
    const error = actual - moments.mean;
    excess += error * error - moments.variance;
    room += moments.sd * moments.sd - moments.variance;
  }
  if (!(room > 0)) return 0;
  return Math.max(0, Math.min(1, excess / room));
}

/**
 * Step 6b, totals: the store's item-to-item dependence rho from its held-out store-day totals, how well the
 * totals' quantiles would have held (each fold judged with rho from the other folds only; null with fewer
 * than two folds), and the standardised residuals by date for cross-store dependence. Undefined without a
 * held-out day.
 */
export function estimateTotals(records: readonly (readonly (FoldRecord | undefined)[])[], mixes: readonly Mix[], intervals: readonly Intervals[], cutoffs: readonly EpochDay[], horizon: number): TotalsModel | undefined {
  const days = heldOutDays(records, mixes, intervals, cutoffs, horizon);
  if (days.length === 0) return undefined;
  const rho = momentRho(days, -1);
  const folds = [...new Set(days.map((d) => d.fold))];
  let calibration: Record<ServiceLevel, number> | null = null;
  if (folds.length >= 2) {
    const below: Record<ServiceLevel, number> = { p50: 0, p80: 0, p90: 0, p95: 0 };
    const rhoWithout = new Map(folds.map((fold) => [fold, momentRho(days, fold)]));
    for (const d of days) {
      const shape = sumShape(d.moments, rhoWithout.get(d.fold)!);
      const { quantiles } = quantilesOf(shape.mean, shape.sd, shape.skew);
      for (const level of SERVICE_LEVELS) if (d.actual <= quantiles[level]) below[level]++;
    }
    calibration = { p50: below.p50 / days.length, p80: below.p80 / days.length, p90: below.p90 / days.length, p95: below.p95 / days.length };
  }
  const residuals: { date: string; z: number }[] = [];
  for (const d of [...days].sort((a, b) => a.day - b.day)) {
    const { mean: m, sd } = sumShape(d.moments, rho);
    // Beyond ±100 a residual says the backtest broke; clipped, it still says which way.
    if (sd > 0) residuals.push({ date: formatIsoDay(d.day), z: Math.round(Math.max(-100, Math.min(100, (d.actual - m) / sd)) * 1000) / 1000 + 0 });
  }
  return { rho, points: days.length, calibration, residuals: residuals.slice(-MAX_TOTALS_RESIDUALS) };
}
