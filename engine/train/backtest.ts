import { naiveScale } from '../metrics.js';
import { prepareOrigin, type Origin } from './cut.js';
import type { StoreData } from './store.js';

export const DEFAULT_FOLDS = 3;
/** Backtests longer than half a year cost history without telling more about model choice. */
const MAX_BACKTEST_HORIZON = 182;
export const MIN_TRAINING_DAYS = 14;

/** The store's rolling-origin backtest: where each fold cuts, and what each series is scored against there. */
export interface Backtest {
  horizon: number;
  /** Most recent first: fold f cuts `(f + 1) × horizon` days before the store's last day. */
  origins: Origin[];
  /** Per fold and series, the days after the cut (NaN = not scored); undefined = the series is not scored on the fold. */
  actuals: (Float64Array | undefined)[][];
  /** Per fold and series (where scored), the naive scale its squared errors are divided by. */
  scales: (number | undefined)[][];
}

/** Step 1, backtest origins: up to `folds` cuts, each leaving `horizon` days (at most half a year) to score. */
export function backtestOrigins(data: StoreData, horizon: number, folds: number): Backtest {
  const btHorizon = Math.min(horizon, MAX_BACKTEST_HORIZON);
  const origins: Origin[] = [];
  for (let k = 1; k <= folds; k++) {
    const cutoff = data.lastDay - k * btHorizon;
    if (cutoff - data.firstDay < MIN_TRAINING_DAYS) break;
    origins.push(prepareOrigin(data, cutoff));
  }
  const actuals = origins.map((origin) => data.series.map((_, k) => actualsAfter(data, k, origin, btHorizon)));
  const scales = origins.map((origin, fold) =>
    data.series.map((_, k) => {
      if (actuals[fold]![k] === undefined) return undefined;
      const scale = naiveScale(origin.series[k]!.y);
      return Number.isFinite(scale) && scale > 0 ? scale : 1;
    }),
  );
  return { horizon: btHorizon, origins, actuals, scales };
}

function actualsAfter(data: StoreData, k: number, origin: Origin, horizon: number): Float64Array | undefined {
  const s = data.series[k]!;
  const o = origin.series[k];
  if (o === undefined || o.y.length < MIN_TRAINING_DAYS || s.startDay + s.values.length - 1 <= origin.cutoff) return undefined;
  const actual = new Float64Array(horizon).fill(Number.NaN);
  // Closed days are not demand: forecast as 0 when known, they would only narrow the intervals and flatter
  // every model alike, so they are left out of the scores like missing days.
  const values = data.masked[k]!;
  let any = false;
  for (let step = 1; step <= horizon; step++) {
    const i = origin.cutoff + step - s.startDay;
    if (i < values.length) {
      actual[step - 1] = values[i]!;
      any ||= values[i]! === values[i]!;
    }
  }
  return any ? actual : undefined;
}

/**
 * The one fold loop: every series scored on every given fold's cut, fold by fold, series by series (the order
 * every sum over the backtest is taken in). `cuts[f]` is fold f's state; a prefix of the folds may be given.
 */
export function forEachScored<C>(backtest: Backtest, cuts: readonly C[], visit: (cut: C, k: number, fold: number, actual: Float64Array, scale: number) => void): void {
  cuts.forEach((cut, fold) => {
    backtest.actuals[fold]!.forEach((actual, k) => {
      if (actual !== undefined) visit(cut, k, fold, actual, backtest.scales[fold]![k]!);
    });
  });
}

/** Squared error over the scored (non-NaN) days of `actual`, and how many there were. */
export function scaledSse(forecast: Float64Array, actual: Float64Array): { sse: number; n: number } {
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

/**
 * Backtest scores of `count` alternatives: for each, the sum over folds and series of its mean squared error
 * divided by the series' naive scale. `forecast` gives the alternatives' forecasts of series k at a fold's cut.
 */
export function foldScores<C>(backtest: Backtest, cuts: readonly C[], count: number, forecast: (cut: C, k: number) => readonly Float64Array[]): Float64Array {
  const scores = new Float64Array(count);
  forEachScored(backtest, cuts, (cut, k, _fold, actual, scale) => {
    forecast(cut, k).forEach((f, i) => {
      const { sse, n } = scaledSse(f, actual);
      if (n > 0) scores[i]! += sse / n / scale;
    });
  });
  return scores;
}
