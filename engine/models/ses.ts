import type { ModelFamily } from './types.js';

export interface SesState {
  alpha: number;
  level: number;
}

const ALPHAS = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5];
const FIT_WINDOW = 728;

/** Simple exponential smoothing, flat forecast: the reference the M5 literature measures against. */
export const ses: ModelFamily<SesState> = {
  name: 'ses',
  fit({ y }) {
    const from = Math.max(0, y.length - FIT_WINDOW);
    let best: SesState = { alpha: ALPHAS[0]!, level: 0 };
    let bestSse = Infinity;
    for (const alpha of ALPHAS) {
      let level = Number.NaN;
      let sse = 0;
      for (let i = from; i < y.length; i++) {
        const v = y[i]!;
        if (v !== v) continue;
        if (level !== level) {
          level = v;
          continue;
        }
        const err = v - level;
        sse += err * err;
        level += alpha * err;
      }
      if (sse < bestSse) {
        bestSse = sse;
        best = { alpha, level: level === level ? level : 0 };
      }
    }
    return best;
  },
  predict(state, _originDay, horizon) {
    return new Float64Array(horizon).fill(state.level);
  },
};
