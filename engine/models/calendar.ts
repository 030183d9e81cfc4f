import { shapeAt, type SeasonalFactors } from '../seasonality.js';
import type { FitInput, ModelFamily } from './types.js';

export interface CalendarState {
  level: number;
  /** Damped log growth per day, applied from the middle of the level window. */
  logGrowthPerDay: number;
  levelCentreAge: number;
  factors: SeasonalFactors;
}

/** Deseasonalised level over the last `window` days: sales divided by what the seasonal shape predicts. */
export function deseasonalisedLevel(input: FitInput, window: number): { level: number; centreAge: number } {
  const { y, startDay, cal, factors } = input;
  let sales = 0;
  let shape = 0;
  let ageSum = 0;
  let n = 0;
  const from = Math.max(0, y.length - window);
  for (let i = from; i < y.length; i++) {
    const v = y[i]!;
    if (v !== v) continue;
    const c = startDay + i - cal.firstDay;
    sales += v;
    shape += shapeAt(factors, cal, c);
    ageSum += y.length - 1 - i;
    n++;
  }
  if (n === 0 || shape <= 0) return { level: 0, centreAge: 0 };
  return { level: sales / shape, centreAge: ageSum / n };
}

/**
 * Multiplicative calendar model: level × weekday × month-of-year, with the store's year-over-year growth
 * damped by a factor the store's backtest chooses. Cheap, robust, and hard to beat on regular retail.
 */
export const calendarModel: ModelFamily<CalendarState> = {
  name: 'calendar',
  fit(input) {
    const { calendarConfig: config, store } = input;
    let level: number;
    let centreAge: number;
    if (config.shareOfStore) {
      const yearly = deseasonalisedLevel(input, 365);
      const ratio = store.recentToYear.get(config.levelWindow) ?? 1;
      level = yearly.level * ratio;
      centreAge = (config.levelWindow - 1) / 2;
    } else {
      ({ level, centreAge } = deseasonalisedLevel(input, config.levelWindow));
    }
    return { level, logGrowthPerDay: store.logGrowthPerDay * config.growthDamping, levelCentreAge: centreAge, factors: input.factors };
  },
  predict(state, originDay, horizon, cal) {
    const out = new Float64Array(horizon);
    for (let s = 1; s <= horizon; s++) {
      const c = originDay + s - cal.firstDay;
      const growth = Math.exp(state.logGrowthPerDay * (state.levelCentreAge + s));
      out[s - 1] = state.level * shapeAt(state.factors, cal, c) * growth;
    }
    return out;
  },
};
