import { mixForecast, type ModelComponent } from '../artifact.js';
import { effectMultipliers } from '../effects.js';
import { learnedPathState } from '../learned/path.js';
import { FAMILIES, type CalendarConfig, type FamilyName, type SeriesFamilyName } from '../models/index.js';
import { fitInput, zeroDays, type CutState } from './cut.js';
import type { StoreData } from './store.js';

/** A model the backtest can choose: a family on plain sales, or on driver-free sales times the driver effects. */
export interface Candidate {
  family: FamilyName;
  drivers: boolean;
}

export function candidateLabel(c: Candidate): string {
  return c.drivers ? `${c.family}+drivers` : c.family;
}

/**
 * Every family on plain sales, then (when the store's drivers are used) every series family with drivers. The
 * learned family has no twin: it reads the drivers as features itself.
 */
export function candidatesOf(families: readonly FamilyName[], withDrivers: boolean): Candidate[] {
  const plain = families.map((family) => ({ family, drivers: false }));
  return withDrivers ? [...plain, ...families.filter((family) => family !== 'learned').map((family) => ({ family, drivers: true }))] : plain;
}

/**
 * One series at one cut: the one place a candidate is fitted (for a fold's forecast or the final artifact)
 * and forecast, by what kind of candidate it is. What candidates share is done once here: each family's
 * plain fit per calendar setting (a twin with drivers takes its smoothing weights), the closed days ahead
 * and the driver effects ahead.
 */
export class SeriesAtCut {
  private readonly plainStates = new Map<CalendarConfig, Map<SeriesFamilyName, unknown>>();
  private readonly ahead = new Map<number, { zero: Uint8Array | undefined; multiplier: Float64Array | undefined }>();

  constructor(
    private readonly data: StoreData,
    private readonly cut: CutState,
    private readonly k: number,
  ) {}

  component(candidate: Candidate, config: CalendarConfig, weight: number): ModelComponent {
    const { family } = candidate;
    if (family === 'learned') {
      const path = this.cut.learned?.[this.k];
      if (path === undefined) throw new Error(`no learned forecast for ${this.data.series[this.k]!.item} at this cut`);
      return { family, weight, state: learnedPathState(path) };
    }
    const driverOrigin = this.cut.driverOrigin;
    const driverSeries = candidate.drivers ? driverOrigin?.origin.series[this.k] : undefined;
    if (driverOrigin !== undefined && driverSeries !== undefined) {
      const input = fitInput(this.data, driverOrigin.origin, driverSeries, config);
      const state = FAMILIES[family].fit(family === 'calendar' ? input : { ...input, weightsFrom: this.plainState(family, config) });
      return { family, weight, state, drivers: true };
    }
    return { family, weight, state: this.plainState(family, config) };
  }

  /** Each candidate's forecast for the `horizon` days after the cut. */
  forecasts(candidates: readonly Candidate[], config: CalendarConfig, horizon: number): Float64Array[] {
    const { origin } = this.cut;
    const { zero, multiplier } = this.daysAhead(horizon);
    return candidates.map((candidate) => {
      // A series the learned family cannot scale (no recent sales) has no score for it: NaN keeps it out of its choice.
      if (candidate.family === 'learned' && this.cut.learned?.[this.k] === undefined) return new Float64Array(horizon).fill(Number.NaN);
      const component = this.component(candidate, config, 1);
      return mixForecast([component], origin.closedMonthDays, origin.cutoff, horizon, this.data.cal, component.drivers === true ? { zero, multiplier } : { zero });
    });
  }

  /** The driver effects on the `horizon` days after the cut (undefined without drivers). */
  driverMultiplier(horizon: number): Float64Array | undefined {
    return this.daysAhead(horizon).multiplier;
  }

  private plainState(family: SeriesFamilyName, config: CalendarConfig): unknown {
    let states = this.plainStates.get(config);
    if (states === undefined) this.plainStates.set(config, (states = new Map<SeriesFamilyName, unknown>()));
    if (!states.has(family)) states.set(family, FAMILIES[family].fit(fitInput(this.data, this.cut.origin, this.cut.origin.series[this.k]!, config)));
    return states.get(family);
  }

  private daysAhead(horizon: number): { zero: Uint8Array | undefined; multiplier: Float64Array | undefined } {
    let days = this.ahead.get(horizon);
    if (days === undefined) {
      const { data, cut, k } = this;
      const item = data.series[k]!.item;
      const effects = cut.driverOrigin?.items[k];
      const multiplier = effects === undefined || data.view === undefined ? undefined : effectMultipliers(effects, data.view, item, cut.origin.cutoff + 1, horizon);
      days = { zero: zeroDays(data, cut.origin, item, horizon), multiplier };
      this.ahead.set(horizon, days);
    }
    return days;
  }
}
