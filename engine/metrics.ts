/** SMAPE of one point, 0 when both are 0 (the contract's definition, design §4). */
export function smapePoint(forecast: number, actual: number): number {
  const denominator = Math.abs(forecast) + Math.abs(actual);
  return denominator === 0 ? 0 : (200 * Math.abs(forecast - actual)) / denominator;
}

/**
 * RMSSE denominator: mean squared one-step naive error over the history from the first non-zero sale.
 * Pairs with a missing day are skipped. Returns NaN when there is not a single pair.
 */
export function naiveScale(history: ArrayLike<number>): number {
  let first = 0;
  while (first < history.length && !(history[first]! > 0)) first++;
  let sum = 0;
  let n = 0;
  for (let i = first + 1; i < history.length; i++) {
    const a = history[i]!;
    const b = history[i - 1]!;
    if (a !== a || b !== b) continue;
    sum += (a - b) * (a - b);
    n++;
  }
  return n > 0 ? sum / n : Number.NaN;
}

/** Empirical quantile with linear interpolation (type 7); `sorted` must be ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.min(sorted.length - 1, lower + 1);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export interface AccuracyAccumulator {
  smapeSum: number;
  points: number;
  rmsseSum: number;
  rmsseSeries: number;
  covered: number;
  intervalPoints: number;
  /** Σ|forecast − actual| and Σ actual over the points: WAPE is their ratio, and sums add across items. */
  absErrorSum: number;
  actualSum: number;
}

export function emptyAccuracy(): AccuracyAccumulator {
  return { smapeSum: 0, points: 0, rmsseSum: 0, rmsseSeries: 0, covered: 0, intervalPoints: 0, absErrorSum: 0, actualSum: 0 };
}

export function mergeAccuracy(into: AccuracyAccumulator, from: AccuracyAccumulator): void {
  into.smapeSum += from.smapeSum;
  into.points += from.points;
  into.rmsseSum += from.rmsseSum;
  into.rmsseSeries += from.rmsseSeries;
  into.covered += from.covered;
  into.intervalPoints += from.intervalPoints;
  into.absErrorSum += from.absErrorSum;
  into.actualSum += from.actualSum;
}

export interface Accuracy {
  smape: number;
  rmsse: number;
  coverage: number;
  points: number;
  series: number;
}

export function summarise(acc: AccuracyAccumulator): Accuracy {
  return {
    smape: acc.points > 0 ? acc.smapeSum / acc.points : Number.NaN,
    rmsse: acc.rmsseSeries > 0 ? acc.rmsseSum / acc.rmsseSeries : Number.NaN,
    coverage: acc.intervalPoints > 0 ? acc.covered / acc.intervalPoints : Number.NaN,
    points: acc.points,
    series: acc.rmsseSeries,
  };
}
