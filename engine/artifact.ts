import { z } from 'zod';
import { CalendarTable } from './calendar.js';
import { parseIsoDay, type EpochDay } from './dates.js';
import { FAMILIES, FAMILY_NAMES, type CalendarConfig, type FamilyName } from './models/index.js';

export const ARTIFACT_SCHEMA = 'foreact.model/v1';

/** Residual quantiles, in units of sqrt(forecast + 1), for forecast steps up to `upToStep`. */
export interface IntervalBucket {
  upToStep: number;
  q10: number;
  q90: number;
}

export interface ModelComponent {
  family: FamilyName;
  weight: number;
  state: unknown;
}

export interface BacktestSummary {
  horizon: number;
  folds: number;
  /** Mean scaled squared error per family over the folds (lower is better); absent when not evaluated. */
  scores: Partial<Record<FamilyName | 'ensemble', number>>;
  rmsse: number | null;
  smape: number | null;
}

/**
 * Everything needed to forecast one series without refitting: the fitted state of each model in the mix,
 * the interval calibration, and how it was chosen. This is what the model registry stores.
 */
export interface ModelArtifact {
  schema: typeof ARTIFACT_SCHEMA;
  store: string;
  item: string;
  /** Last day of history the model saw; forecasts start the day after. */
  origin: string;
  window: { from: string; to: string; observations: number };
  selected: string;
  components: ModelComponent[];
  closedMonthDays: number[];
  intervals: { scale: 'sqrt-forecast-plus-one'; buckets: IntervalBucket[] };
  calendarConfig: CalendarConfig;
  backtest: BacktestSummary;
}

const isoDay = z.string().refine((s) => parseIsoDay(s) !== undefined, 'must be an ISO date (YYYY-MM-DD)');

export const modelArtifactSchema = z.object({
  schema: z.literal(ARTIFACT_SCHEMA),
  store: z.string().min(1),
  item: z.string().min(1),
  origin: isoDay,
  window: z.object({ from: isoDay, to: isoDay, observations: z.number().int().nonnegative() }),
  selected: z.string(),
  components: z.array(z.object({ family: z.enum(FAMILY_NAMES), weight: z.number().positive(), state: z.unknown() })).min(1),
  closedMonthDays: z.array(z.number().int()),
  intervals: z.object({
    scale: z.literal('sqrt-forecast-plus-one'),
    buckets: z.array(z.object({ upToStep: z.number().int().positive(), q10: z.number(), q90: z.number() })).min(1),
  }),
  calendarConfig: z.object({ levelWindow: z.number().int().positive(), shareOfStore: z.boolean(), growthDamping: z.number(), pooledFactors: z.boolean() }),
  backtest: z.object({
    horizon: z.number().int().nonnegative(),
    folds: z.number().int().nonnegative(),
    scores: z.record(z.string(), z.number()),
    rmsse: z.number().nullable(),
    smape: z.number().nullable(),
  }),
});

/** Parses and validates an artifact read from storage; throws with the offending field named. */
export function parseModelArtifact(json: unknown): ModelArtifact {
  const result = modelArtifactSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`invalid model artifact: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown problem'}`);
  }
  return result.data;
}

export interface SeriesForecast {
  store: string;
  item: string;
  /** Epoch day of the first forecast value (origin + 1). */
  firstDay: EpochDay;
  forecast: Float64Array;
  p10: Float64Array;
  p90: Float64Array;
}

/** Point forecast of a mix, without intervals; `cal` must cover origin+1 … origin+horizon. */
export function mixForecast(components: readonly ModelComponent[], closedMonthDays: readonly number[], origin: EpochDay, horizon: number, cal: CalendarTable): Float64Array {
  const out = new Float64Array(horizon);
  for (const component of components) {
    const values = FAMILIES[component.family].predict(component.state, origin, horizon, cal);
    for (let s = 0; s < horizon; s++) out[s]! += component.weight * values[s]!;
  }
  if (closedMonthDays.length > 0) {
    const closed = new Set(closedMonthDays);
    for (let s = 0; s < horizon; s++) if (closed.has(cal.monthDay[origin + 1 + s - cal.firstDay]!)) out[s] = 0;
  }
  for (let s = 0; s < horizon; s++) if (!(out[s]! > 0)) out[s] = 0;
  return out;
}

export function applyIntervals(forecast: Float64Array, buckets: readonly IntervalBucket[]): { p10: Float64Array; p90: Float64Array } {
  const p10 = new Float64Array(forecast.length);
  const p90 = new Float64Array(forecast.length);
  let b = 0;
  for (let s = 0; s < forecast.length; s++) {
    while (b < buckets.length - 1 && s + 1 > buckets[b]!.upToStep) b++;
    const bucket = buckets[b]!;
    const f = forecast[s]!;
    const scale = Math.sqrt(f + 1);
    // A planner reads p10 ≤ forecast ≤ p90; skewed residuals must not invert that.
    p10[s] = Math.max(0, Math.min(f, f + bucket.q10 * scale));
    p90[s] = Math.max(f, f + bucket.q90 * scale);
  }
  return { p10, p90 };
}

/** Forecast `horizon` days after the artifact's origin, from the stored state alone (no refit). */
export function forecastFromArtifact(artifact: ModelArtifact, horizon: number): SeriesForecast {
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  const origin = parseIsoDay(artifact.origin);
  if (origin === undefined) throw new Error(`artifact origin "${artifact.origin}" is not an ISO date`);
  const cal = new CalendarTable(origin + 1, origin + horizon);
  const forecast = mixForecast(artifact.components, artifact.closedMonthDays, origin, horizon, cal);
  const { p10, p90 } = applyIntervals(forecast, artifact.intervals.buckets);
  return { store: artifact.store, item: artifact.item, firstDay: origin + 1, forecast, p10, p90 };
}
