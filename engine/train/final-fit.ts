import { ARTIFACT_SCHEMA, forecastFromArtifact, type BacktestSummary, type ModelArtifact, type ModelComponent, type SeriesForecast } from '../artifact.js';
import { formatIsoDay } from '../dates.js';
import type { StoreDrivers } from '../drivers.js';
import type { EffectConfig } from '../effects.js';
import { lastDay } from '../history.js';
import type { CalendarConfig } from '../models/index.js';
import type { Intervals } from './calibration.js';
import { SeriesAtCut, type Candidate } from './candidates.js';
import { cutState } from './cut.js';
import type { Mix } from './mix.js';
import type { StoreLearned } from './learned.js';
import type { StoreData } from './store.js';

/** What the steps before chose for the store and each of its series. */
export interface StoreChoices {
  calendarConfig: CalendarConfig;
  effectConfig: EffectConfig | undefined;
  candidates: readonly Candidate[];
  mixes: readonly Mix[];
  intervals: readonly Intervals[];
  /** The learned family, when it is a candidate: its forecast from the store's last day. */
  learned?: StoreLearned | undefined;
}

/**
 * Step 7, final fit: each series' mix refitted on all its history (the cut at the store's last day), as
 * an artifact that forecasts without refitting, and its forecast. `backtests[k]` is series k's backtest summary.
 */
export function finalFit(data: StoreData, choices: StoreChoices, backtests: readonly BacktestSummary[], horizon: number, drivers: StoreDrivers | undefined): { artifacts: ModelArtifact[]; forecasts: SeriesForecast[]; notes: string[] } {
  const { calendarConfig, effectConfig, candidates, mixes, intervals } = choices;
  const final = cutState(data, data.lastDay, effectConfig);
  if (choices.learned !== undefined && mixes.some((mix) => mix.some((f) => candidates[f]!.family === 'learned'))) final.learned = choices.learned.at(data.lastDay, horizon);
  const artifacts: ModelArtifact[] = [];
  const forecasts: SeriesForecast[] = [];
  data.series.forEach((s, k) => {
    const seriesLast = lastDay(s);
    // The learned path starts the day after the store's last day: a series that ended earlier, or one without recent
    // sales to scale by, keeps the rest of its mix.
    const learnedUsable = final.learned?.[k] !== undefined && seriesLast === data.lastDay;
    const kept = mixes[k]!.filter((f) => candidates[f]!.family !== 'learned' || learnedUsable);
    const chosen = kept.length > 0 ? kept : [Math.max(0, candidates.findIndex((c) => c.family === 'calendar' && !c.drivers))];
    const mix = final.origin.series[k]!.y.length === 0 ? [] : chosen;
    const series = new SeriesAtCut(data, final, k);
    const components: ModelComponent[] = mix.length === 0 ? [{ family: 'ses', weight: 1, state: { alpha: 0, level: 0 } }] : mix.map((f) => series.component(candidates[f]!, calendarConfig, 1 / mix.length));
    let observations = 0;
    for (const v of s.values) if (v === v) observations++;
    const artifact: ModelArtifact = {
      schema: ARTIFACT_SCHEMA,
      store: s.store,
      item: s.item,
      origin: formatIsoDay(seriesLast),
      window: { from: formatIsoDay(s.startDay), to: formatIsoDay(seriesLast), observations },
      selected: components.map((c) => (c.drivers === true ? `${c.family}+drivers` : c.family)).join('+'),
      components,
      closedMonthDays: final.origin.closedMonthDays,
      closedWeekdays: final.origin.closedWeekdays,
      intervals: { scale: 'sqrt-forecast-plus-one', ...intervals[k]! },
      calendarConfig,
      backtest: backtests[k]!,
    };
    if (effectConfig !== undefined && final.driverOrigin !== undefined) {
      // The effects are kept even when no component uses them: they also say which days get driver intervals.
      artifact.drivers = { effectConfig, effects: final.driverOrigin.items[k]! };
    }
    artifacts.push(artifact);
    forecasts.push(forecastFromArtifact(artifact, horizon, drivers));
  });
  return { artifacts, forecasts, notes: final.driverOrigin?.effects.notes ?? [] };
}
