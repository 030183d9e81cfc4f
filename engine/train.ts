import type { ModelArtifact, SeriesForecast } from './artifact.js';
import type { EpochDay } from './dates.js';
import type { StoreDrivers } from './drivers.js';
import { NO_OPTIONAL_EFFECTS, type EffectConfig } from './effects.js';
import { compareKeys, type SeriesHistory } from './history.js';
import type { AccuracyAccumulator } from './metrics.js';
import { learnedFamilyWanted } from './learned/learned.js';
import type { PooledArtifact } from './learned/pooled.js';
import { FAMILY_NAMES, SERIES_FAMILY_NAMES, type CalendarConfig, type FamilyName } from './models/index.js';
import type { StoreAttributeValues } from './store-attributes.js';
import { DEFAULT_FOLDS, backtestOrigins } from './train/backtest.js';
import { CALENDAR_CONFIGS, chooseCalendarConfig } from './train/calendar-settings.js';
import { bucketEdges, calibrateIntervals } from './train/calibration.js';
import { SeriesAtCut, candidateLabel, candidatesOf, type Candidate } from './train/candidates.js';
import { cutState, type CutState } from './train/cut.js';
import { chooseEffects } from './train/effect-options.js';
import { evaluate, seriesBacktest, storeBacktestWape } from './train/evaluate.js';
import { finalFit } from './train/final-fit.js';
import { chooseMixes } from './train/mix.js';
import { scoreCandidates } from './train/scoring.js';
import { StoreLearned, type LearnedSource } from './train/learned.js';
import { prepareStore } from './train/store.js';
import { estimateTotals } from './train/totals.js';
import type { TotalsModel } from './totals.js';

export { CALENDAR_CONFIGS, candidateLabel, type Candidate };

export interface TrainOptions {
  horizon: number;
  /** Rolling-origin folds for model choice and interval calibration (default 3). */
  folds?: number;
  /** Candidate families (default: every series family, and `learned` when the store has drivers). */
  families?: readonly FamilyName[];
  /** Also compute an honest backtest report (selection and intervals judged on folds they did not see). */
  evaluate?: boolean;
  /**
   * The store's drivers (history and the days to forecast), from `driversForStore`. With them every family
   * also runs "+drivers" (fitted to sales with the driver effects taken out, times the future effects) and
   * the backtest chooses; known closures (`open = 0`) are forecast as 0 either way.
   */
  drivers?: StoreDrivers;
  /** The store's attributes (type, size, region…): features of the learned family. */
  attributes?: StoreAttributeValues;
  /**
   * The pooled step's artifact (engine/learned/pooled.ts): the learned family then uses the model of the store's
   * group instead of fitting one on the store's own items.
   */
  pooled?: PooledArtifact;
}

export interface StoreBacktestReport {
  /** Keyed by candidate: a family name, or `family+drivers`. */
  families: Partial<Record<string, AccuracyAccumulator>>;
  selected: AccuracyAccumulator;
  choices: Record<string, number>;
  calendarConfig: CalendarConfig;
  /** The optional driver effects the store's backtest chose (absent without drivers). */
  effectConfig?: EffectConfig;
}

export interface StoreTrainingResult {
  store: string;
  artifacts: ModelArtifact[];
  forecasts: SeriesForecast[];
  report?: StoreBacktestReport;
  /** Things a planner should know, e.g. a driver that never varies and was ignored. */
  notes: string[];
  /**
   * Backtest WAPE of the store's daily totals (items summed, as realised accuracy is measured on ingestion):
   * Σ|forecast − actual| / Σ actual over the first week of each fold, for the mixes the artifacts use; null
   * without a fold or without sales. Per-item sums would overstate it several times over: item errors partly
   * cancel in a store total.
   */
  backtestWape: number | null;
  /** Where the learned family's models came from, when it was a candidate (both: the pooled one did not cover every cut). */
  learned?: LearnedSource[];
  /** How the store's items move together, for quantiles of its daily totals (engine/totals.ts); absent without a held-out day. */
  totals?: TotalsModel;
}

/**
 * Trains every series of one store, in named steps (docs/engine.md): backtest origins → calendar settings
 * → effects → candidates scored → mix → calibration → totals → final fit. Every step before the final fit uses only
 * data up to each fold's cut.
 */
export function trainStore(series: readonly SeriesHistory[], options: TrainOptions): StoreTrainingResult {
  if (series.length === 0) throw new Error('trainStore needs at least one series');
  const data = prepareStore([...series].sort((a, b) => compareKeys(a.item, b.item)), options.horizon, options.drivers);
  const backtest = backtestOrigins(data, options.horizon, Math.max(0, options.folds ?? DEFAULT_FOLDS));
  const calendarConfig = chooseCalendarConfig(data, backtest);
  const chosenEffects = chooseEffects(data, backtest, calendarConfig);
  const { effectConfig } = chosenEffects;
  const families = options.families ?? (learnedFamilyWanted(undefined, options.drivers !== undefined) ? FAMILY_NAMES : SERIES_FAMILY_NAMES);
  const learned = families.includes('learned') ? new StoreLearned(data, options, backtest.origins.at(-1)?.cutoff ?? data.lastDay) : undefined;
  const cuts = learned === undefined ? chosenEffects.cuts : chosenEffects.cuts.map((cut) => ({ ...cut, learned: learned.at(cut.origin.cutoff, backtest.horizon) }));
  const candidates = candidatesOf([...families], effectConfig !== undefined);
  const records = scoreCandidates(data, backtest, cuts, candidates, calendarConfig);
  const { choices, mixes } = chooseMixes(data, records, candidates);
  const edges = bucketEdges(backtest.horizon);
  const intervals = calibrateIntervals(records, mixes, edges, candidates);
  const backtests = records.map((seriesRecords, k) => seriesBacktest(seriesRecords, mixes[k]!, choices[k], candidates, backtest.horizon));
  const { artifacts, forecasts, notes } = finalFit(data, { calendarConfig, effectConfig, candidates, mixes, intervals, learned }, backtests, options.horizon, options.drivers);

  const result: StoreTrainingResult = { store: data.store, artifacts, forecasts, notes, backtestWape: storeBacktestWape(records, mixes, backtest.origins.length, backtest.horizon) };
  if (learned !== undefined) result.learned = [...learned.used];
  const totals = estimateTotals(records, mixes, intervals, backtest.origins.map((o) => o.cutoff), backtest.horizon);
  if (totals !== undefined) result.totals = totals;
  if (options.evaluate === true) {
    result.report = evaluate(data, records, candidates, edges, calendarConfig);
    if (effectConfig !== undefined) result.report.effectConfig = effectConfig;
  }
  return result;
}

/** What the champion gate needs to refit the learned family at a cut: the model horizon, and the store's pooled artifact and attributes. */
export interface GateLearnedInputs {
  horizon: number;
  pooled?: PooledArtifact | undefined;
  attributes?: StoreAttributeValues | undefined;
}

/**
 * Every candidate's forecast for the `horizon` days after `cutoff`, as the backtest computes it for a fold
 * (keyed by candidate label: `calendar`, `calendar+drivers`, …). Exposed so tests can prove that nothing
 * after the cut, sales or driver-effect estimates, influences a fold, and for the champion gate, which
 * refits two known mixes: `labels` (per item) limits the work to the candidates it names, and items it
 * names nothing for are skipped.
 */
export function forecastsAtCutoff(
  series: readonly SeriesHistory[],
  cutoff: EpochDay,
  horizon: number,
  config: CalendarConfig = CALENDAR_CONFIGS[0]!,
  drivers?: StoreDrivers,
  effectConfig: EffectConfig = NO_OPTIONAL_EFFECTS,
  labels?: (item: string) => ReadonlySet<string> | undefined,
  learned?: GateLearnedInputs,
): Map<string, Record<string, Float64Array>> {
  const data = prepareStore([...series], horizon, drivers);
  const cut: CutState = cutState(data, cutoff, effectConfig);
  const wantsLearned = learned !== undefined && (labels === undefined || data.series.some((s) => labels(s.item)?.has('learned') === true));
  // The learned family at this cut: the pooled group's model fitted on or before it, else one fitted on the store's
  // items up to it. Without `learned`, a mix that uses it finds no label here and is left out of the comparison.
  if (wantsLearned) cut.learned = new StoreLearned(data, { ...learned, drivers }, cutoff).at(cutoff, horizon);
  const candidates = candidatesOf(wantsLearned ? [...SERIES_FAMILY_NAMES, 'learned'] : SERIES_FAMILY_NAMES, data.view !== undefined);
  const out = new Map<string, Record<string, Float64Array>>();
  data.series.forEach((s, k) => {
    const o = cut.origin.series[k];
    if (o === undefined || o.y.length === 0) return;
    const wanted = labels?.(s.item);
    const chosen = wanted === undefined ? (labels === undefined ? candidates : []) : candidates.filter((c) => wanted.has(candidateLabel(c)));
    if (chosen.length === 0) return;
    const forecasts = new SeriesAtCut(data, cut, k).forecasts(chosen, config, horizon);
    out.set(s.item, Object.fromEntries(chosen.map((c, i) => [candidateLabel(c), forecasts[i]!])));
  });
  return out;
}
