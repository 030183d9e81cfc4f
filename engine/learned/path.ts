/**
 * How the learned family lives in a model artifact. Its model is fitted across series (a store's items, or a group
 * of stores) and is megabytes; one copy per item artifact would multiply that by the items. So the artifact keeps
 * what the model forecast for the item from the artifact's origin (with the drivers known then), and forecasting
 * again from the artifact reads that path. A change of drivers is a reason to retrain the store (a refresh).
 */
export interface LearnedPathState {
  /** Forecast for origin+1, origin+2, … */
  path: number[];
}

const DECIMALS = 1e4;

export function learnedPathState(forecast: Float64Array): LearnedPathState {
  return { path: Array.from(forecast, (v) => Math.round(Math.max(0, v) * DECIMALS) / DECIMALS) };
}

/** The stored path; days past its end repeat its last week (a weekly pattern, never an invented trend). */
export function learnedPathForecast(state: LearnedPathState, horizon: number): Float64Array {
  const { path } = state;
  const out = new Float64Array(horizon);
  const week = Math.min(7, path.length);
  for (let s = 0; s < horizon; s++) out[s] = s < path.length ? path[s]! : path[path.length - week + ((s - path.length) % week)]!;
  return out;
}

/** Checks a learned component's state read back from storage; throws naming what is wrong. */
export function parseLearnedPath(state: unknown): LearnedPathState {
  const path = (state as { path?: unknown } | null)?.path;
  if (!Array.isArray(path) || path.length === 0) throw new Error('learned component: state.path must be a non-empty array');
  path.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`learned component: state.path[${i}] must be a finite number ≥ 0`);
  });
  return { path: path as number[] };
}
