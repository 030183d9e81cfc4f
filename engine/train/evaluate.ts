import { applyIntervals, type BacktestSummary } from '../artifact.js';
import { emptyAccuracy, smapePoint, type AccuracyAccumulator } from '../metrics.js';
import type { CalendarConfig } from '../models/index.js';
import { NO_WIDENING, bucketResiduals, calibrate, emptyBuckets, heldOutMixes, poolQuantiles, quantileIntervals, widen, widthFactors, withoutFold, type BucketedResiduals, type Intervals } from './calibration.js';
import { candidateLabel, type Candidate } from './candidates.js';
import type { Mix, MixChoice } from './mix.js';
import { mean, mixForecast, type FoldRecord } from './scoring.js';
import type { StoreData } from './store.js';
import type { StoreBacktestReport } from '../train.js';

/**
 * Lead times of the store's backtest WAPE. Realised accuracy compares each day with the forecast that was
 * current when its sales arrived — a day or a few ahead; scored over the whole backtest horizon (up to
 * half a year ahead) the backtest would set a bar far above what next week's forecast should meet.
 */
const NEAR_TERM_DAYS = 7;

export function accumulate(acc: AccuracyAccumulator, record: FoldRecord, forecast: Float64Array, intervals: Intervals | undefined): void {
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
 * Honest backtest figures: for each fold, model choice, interval quantiles and the width factors come from
 * the other folds only (the factors nested: each from folds that fold and the scored one both left out), so
 * the reported accuracy and coverage are what a planner would have seen. Each family alone gets its plain
 * quantiles, without factors: their coverage is for comparing families, the selected mix's is the planner's.
 */
export function evaluate(data: StoreData, records: (FoldRecord | undefined)[][], families: Candidate[], edges: number[], calendarConfig: CalendarConfig): StoreBacktestReport {
  const foldCount = records[0]?.length ?? 0;
  const familyAcc = families.map(() => emptyAccuracy());
  const selected = emptyAccuracy();
  const choices: Record<string, number> = {};
  for (let fold = 0; fold < foldCount; fold++) {
    const exclude = foldCount > 1 ? fold : -1;
    const pools = families.map(() => emptyBuckets(edges));
    const mixes = heldOutMixes(records, families, exclude);
    data.series.forEach((_, k) => {
      records[k]!.forEach((record, other) => {
        if (record === undefined || other === exclude) return;
        families.forEach((_, f) => bucketResiduals(record, [f], edges, pools[f]));
      });
    });
    const familyQuantiles = pools.map(poolQuantiles);
    const factors = exclude < 0 ? NO_WIDENING : widthFactors(withoutFold(records, exclude), families, edges);
    const selectedIntervals = quantileIntervals(records, mixes, edges, exclude).map((intervals) => widen(intervals, factors));
    data.series.forEach((_, k) => {
      const record = records[k]![fold];
      if (record === undefined) return;
      const ownOf = (mix: Mix): BucketedResiduals => {
        const own = emptyBuckets(edges);
        records[k]!.forEach((r, other) => {
          if (r !== undefined && other !== exclude) bucketResiduals(r, mix, edges, own);
        });
        return own;
      };
      families.forEach((_, f) => accumulate(familyAcc[f]!, record, record.forecasts[f]!, calibrate(ownOf([f]), familyQuantiles[f]!, edges)));
      const mix = mixes[k]!;
      const label = mix.map((f) => candidateLabel(families[f]!)).join(' + ');
      choices[label] = (choices[label] ?? 0) + 1;
      accumulate(selected, record, mean(mix.map((f) => record.forecasts[f]!)), selectedIntervals[k]);
    });
  }
  return { families: Object.fromEntries(families.map((f, i) => [candidateLabel(f), familyAcc[i]!])), selected, choices, calendarConfig };
}

/** A series' backtest as its artifact keeps it: each candidate's score, and the accuracy of its mix. */
export function seriesBacktest(records: readonly (FoldRecord | undefined)[], mix: Mix, choice: MixChoice | undefined, candidates: readonly Candidate[], horizon: number): BacktestSummary {
  const scoreEntries: [string, number][] = [];
  choice?.scores.forEach((score, f) => {
    if (Number.isFinite(score)) scoreEntries.push([candidateLabel(candidates[f]!), score]);
  });
  const accuracy = emptyAccuracy();
  for (const record of records) if (record !== undefined) accumulate(accuracy, record, mean(mix.map((f) => record.forecasts[f]!)), undefined);
  return {
    horizon,
    folds: records.filter((r) => r !== undefined).length,
    scores: Object.fromEntries(scoreEntries),
    rmsse: accuracy.rmsseSeries > 0 ? accuracy.rmsseSum / accuracy.rmsseSeries : null,
    smape: accuracy.points > 0 ? accuracy.smapeSum / accuracy.points : null,
    absError: accuracy.absErrorSum,
    actual: accuracy.actualSum,
  };
}

/**
 * Backtest WAPE of the store's daily totals (items summed, as realised accuracy is measured on ingestion):
 * Σ|forecast − actual| / Σ actual over the first `NEAR_TERM_DAYS` days of each fold, for the series' mixes;
 * null without a fold or without sales. Each fold's total on a day sums the items observed that day: the
 * same days the items are scored on.
 */
export function storeBacktestWape(records: readonly (readonly (FoldRecord | undefined)[])[], mixes: readonly Mix[], folds: number, horizon: number): number | null {
  const storeTotals = Array.from({ length: folds }, () => ({ forecast: new Float64Array(horizon), actual: new Float64Array(horizon), seen: new Uint8Array(horizon) }));
  records.forEach((seriesRecords, k) => {
    seriesRecords.forEach((record, fold) => {
      if (record === undefined) return;
      const forecast = mixForecast(record, mixes[k]!);
      const totals = storeTotals[fold]!;
      for (let step = 0; step < record.actual.length; step++) {
        const a = record.actual[step]!;
        if (a !== a) continue;
        totals.forecast[step]! += forecast[step]!;
        totals.actual[step]! += a;
        totals.seen[step] = 1;
      }
    });
  });
  let totalError = 0;
  let totalActual = 0;
  for (const totals of storeTotals) {
    for (let step = 0; step < Math.min(horizon, NEAR_TERM_DAYS); step++) {
      if (totals.seen[step] !== 1) continue;
      totalError += Math.abs(totals.forecast[step]! - totals.actual[step]!);
      totalActual += totals.actual[step]!;
    }
  }
  return totalActual > 0 ? totalError / totalActual : null;
}
