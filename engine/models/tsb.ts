import { shapeAt, type SeasonalFactors } from '../seasonality.js';
import type { ModelFamily } from './types.js';

export interface TsbState {
  alphaDemand: number;
  alphaSize: number;
  /** Smoothed probability that a day has any sale. */
  probability: number;
  /** Smoothed deseasonalised size of a non-zero day. */
  size: number;
  factors: SeasonalFactors;
}

const ALPHAS_DEMAND = [0.02, 0.05, 0.1, 0.2];
const ALPHAS_SIZE = [0.02, 0.05, 0.1, 0.2];
const FIT_WINDOW = 728;

/**
 * Teunter–Syntetos–Babai for intermittent demand: smooths the probability of a sale and the size of a
 * sale separately, so the forecast decays toward zero for items that stopped selling (Croston never does)
 * yet stays a positive rate, never a row of zeros. Weekday and month shape are applied on top.
 */
export const tsb: ModelFamily<TsbState> = {
  name: 'tsb',
  fit({ y, startDay, cal, factors, weightsFrom }) {
    const from = Math.max(0, y.length - FIT_WINDOW);
    const calOffset = startDay - cal.firstDay;
    let firstSize = 0;
    let valid = 0;
    let nonZero = 0;
    for (let i = from; i < y.length; i++) {
      const v = y[i]!;
      if (v !== v) continue;
      valid++;
      if (v > 0) {
        nonZero++;
        const c = calOffset + i;
        firstSize += v / shapeAt(factors, cal, c);
      }
    }
    const firstProbability = valid > 0 ? nonZero / valid : 0;
    firstSize = nonZero > 0 ? firstSize / nonZero : 0;
    // The shape of each day, computed once for the sixteen pairs of weights tried.
    const shapes = new Float64Array(y.length - from);
    for (let i = from; i < y.length; i++) shapes[i - from] = shapeAt(factors, cal, calOffset + i);
    let best: TsbState | undefined;
    let bestSse = Infinity;
    const given = weightsFrom as Partial<TsbState> | undefined;
    const pairs = given?.alphaDemand !== undefined && given.alphaSize !== undefined
      ? [[given.alphaDemand, given.alphaSize] as const]
      : ALPHAS_DEMAND.flatMap((d) => ALPHAS_SIZE.map((s) => [d, s] as const));
    for (const [alphaDemand, alphaSize] of pairs) {
        let probability = firstProbability;
        let size = firstSize;
        let sse = 0;
        for (let i = from; i < y.length; i++) {
          const v = y[i]!;
          if (v !== v) continue;
          const shape = shapes[i - from]!;
          const err = v - probability * size * shape;
          sse += err * err;
          if (v > 0) {
            probability += alphaDemand * (1 - probability);
            size += alphaSize * (v / shape - size);
          } else probability -= alphaDemand * probability;
        }
        if (sse < bestSse) {
          bestSse = sse;
          best = { alphaDemand, alphaSize, probability, size, factors };
        }
      }
    return best!;
  },
  predict(state, originDay, horizon, cal) {
    const out = new Float64Array(horizon);
    const rate = state.probability * state.size;
    for (let s = 1; s <= horizon; s++) {
      const c = originDay + s - cal.firstDay;
      out[s - 1] = rate * shapeAt(state.factors, cal, c);
    }
    return out;
  },
};
