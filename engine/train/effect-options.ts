import { EFFECT_TRIALS, NO_OPTIONAL_EFFECTS, type EffectConfig, type EffectTrial } from '../effects.js';
import type { CalendarConfig } from '../models/index.js';
import { foldScores, type Backtest } from './backtest.js';
import { SeriesAtCut, type Candidate } from './candidates.js';
import { prepareDriverOrigin, type CutState, type DriverOrigin } from './cut.js';
import type { StoreData } from './store.js';

/** The optional driver effects are chosen on the most recent folds only: each trial re-estimates every effect. */
const EFFECT_TRIAL_FOLDS = 2;

const CALENDAR_WITH_DRIVERS: Candidate = { family: 'calendar', drivers: true };

/**
 * Step 3, effects: which optional driver effects (the window, the post-promotion dip, the days around
 * events) the store's backtest supports, judged with the calendar family on its chosen settings, trying
 * `EFFECT_TRIALS` in order. Returns the folds' cuts with the chosen effects taken out (no effects and plain
 * cuts without drivers).
 */
export function chooseEffects(data: StoreData, backtest: Backtest, calendarConfig: CalendarConfig): { effectConfig: EffectConfig | undefined; cuts: CutState[] } {
  const view = data.view;
  if (view === undefined) return { effectConfig: undefined, cuts: backtest.origins.map((origin) => ({ origin, driverOrigin: undefined })) };
  let best: { config: EffectConfig; score: number; trial: { driverOrigin: DriverOrigin }[] } | undefined;
  let present: Record<EffectTrial['needs'], boolean> = { nothing: true, flags: true, events: true };
  for (const { needs, change } of EFFECT_TRIALS) {
    if (!present[needs]) continue;
    const config: EffectConfig = { ...NO_OPTIONAL_EFFECTS, ...best?.config, ...change };
    const trial = backtest.origins.slice(0, EFFECT_TRIAL_FOLDS).map((origin) => ({ origin, driverOrigin: prepareDriverOrigin(data, view, origin.cutoff, config, { shapesOf: origin }) }));
    if (best === undefined) {
      // Options that change nothing are not tried: the first trial tells which effects the store has.
      present = {
        nothing: true,
        flags: trial.some((t) => t.driverOrigin.effects.flags.length + t.driverOrigin.effects.levels.length > 0),
        events: trial.some((t) => t.driverOrigin.effects.events.length > 0),
      };
    }
    const score = foldScores(backtest, trial, 1, (cut, k) => new SeriesAtCut(data, cut, k).forecasts([CALENDAR_WITH_DRIVERS], calendarConfig, backtest.horizon))[0]!;
    if (best === undefined || score < best.score) best = { config, score, trial };
  }
  const chosen = best!;
  // The chosen trial's effects serve its folds again; the older folds estimate theirs.
  const cuts = backtest.origins.map((origin, fold) => ({ origin, driverOrigin: prepareDriverOrigin(data, view, origin.cutoff, chosen.config, { effects: chosen.trial[fold]?.driverOrigin.effects }) }));
  return { effectConfig: chosen.config, cuts };
}
