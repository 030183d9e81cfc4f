import type { ModelFamily } from './types.js';
import { recentMean } from './types.js';

export interface SeasonalNaiveState {
  /** Last observed sales per weekday (Sunday first). */
  lastWeek: number[];
}

/** Weekly seasonal naive: each weekday repeats its last observed value. The baseline everything must beat. */
export const seasonalNaive: ModelFamily<SeasonalNaiveState> = {
  name: 'seasonal_naive',
  fit({ y, startDay, cal }) {
    const fallback = recentMean(y, 28);
    const lastWeek = new Array<number>(7).fill(Number.NaN);
    let found = 0;
    // Walk back far enough to skip a closed or missing day without inventing a zero.
    for (let i = y.length - 1; i >= 0 && i >= y.length - 28 && found < 7; i--) {
      const v = y[i]!;
      const d = cal.weekday[startDay + i - cal.firstDay]!;
      if (v === v && Number.isNaN(lastWeek[d]!)) {
        lastWeek[d] = v;
        found++;
      }
    }
    return { lastWeek: lastWeek.map((v) => (Number.isNaN(v) ? (Number.isNaN(fallback) ? 0 : fallback) : v)) };
  },
  predict(state, originDay, horizon, cal) {
    const out = new Float64Array(horizon);
    for (let s = 1; s <= horizon; s++) out[s - 1] = state.lastWeek[cal.weekday[originDay + s - cal.firstDay]!]!;
    return out;
  },
};
