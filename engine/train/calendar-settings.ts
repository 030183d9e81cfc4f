import type { CalendarConfig } from '../models/index.js';
import { foldScores, type Backtest } from './backtest.js';
import { SeriesAtCut, type Candidate } from './candidates.js';
import { LEVEL_WINDOWS, type CutState } from './cut.js';
import type { StoreData } from './store.js';

export const CALENDAR_CONFIGS: readonly CalendarConfig[] = (() => {
  const configs: CalendarConfig[] = [];
  for (const levelWindow of LEVEL_WINDOWS)
    for (const shareOfStore of levelWindow === 365 ? [false] : [false, true])
      for (const growthDamping of [0, 0.5, 1])
        for (const pooledFactors of [false, true]) configs.push({ levelWindow, shareOfStore, growthDamping, pooledFactors });
  return configs;
})();

const PLAIN_CALENDAR: Candidate = { family: 'calendar', drivers: false };

/** Step 2, calendar settings: the calendar model's settings, chosen once per store on all its items' folds. */
export function chooseCalendarConfig(data: StoreData, backtest: Backtest): CalendarConfig {
  const cuts: CutState[] = backtest.origins.map((origin) => ({ origin, driverOrigin: undefined }));
  const scores = foldScores(backtest, cuts, CALENDAR_CONFIGS.length, (cut, k) => {
    const series = new SeriesAtCut(data, cut, k);
    return CALENDAR_CONFIGS.map((config) => series.forecasts([PLAIN_CALENDAR], config, backtest.horizon)[0]!);
  });
  let best = 0;
  scores.forEach((score, c) => {
    if (score < scores[best]!) best = c;
  });
  return CALENDAR_CONFIGS[best]!;
}
