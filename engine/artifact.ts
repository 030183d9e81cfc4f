import { z } from 'zod';
import { CalendarTable } from './calendar.js';
import { civilFromEpochDay, dayOfWeek, parseIsoDay, type EpochDay } from './dates.js';
import type { StoreDrivers } from './drivers.js';
import { DriverView, effectMultipliers, type EffectConfig, type ItemEffects } from './effects.js';
import { learnedPathForecast, parseLearnedPath, type LearnedPathState } from './learned/path.js';
import { FAMILIES, FAMILY_NAMES, type CalendarConfig, type FamilyName } from './models/index.js';

/** v2 adds driver effects, `drivers` on components and closed weekdays; v1 artifacts still load (no drivers). */
export const ARTIFACT_SCHEMA = 'foreact.model/v2';
const SUPPORTED_SCHEMAS = ['foreact.model/v1', ARTIFACT_SCHEMA] as const;

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
  /** Fitted to sales with the driver effects taken out: its forecast is multiplied by the future effects. */
  drivers?: boolean;
}

export interface BacktestSummary {
  horizon: number;
  folds: number;
  /** Mean scaled squared error per family over the folds (lower is better); absent when not evaluated. */
  scores: Partial<Record<FamilyName | 'ensemble', number>>;
  rmsse: number | null;
  smape: number | null;
  /**
   * Σ|forecast − actual| and Σ actual over the scored days of the folds, for the selected mix: sums, not a
   * ratio, so the WAPE of any set of items is Σ absError / Σ actual. Absent in artifacts from before they were kept.
   */
  absError?: number;
  actual?: number;
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
  /** Weekdays (0 = Sunday) forecast as 0 because the store was closed on them every week recently. */
  closedWeekdays?: number[];
  /** `driverBuckets`: for days a driver moves the item (see `markedDays`); absent = the same as `buckets`. */
  intervals: { scale: 'sqrt-forecast-plus-one'; buckets: IntervalBucket[]; driverBuckets?: IntervalBucket[] };
  calendarConfig: CalendarConfig;
  backtest: BacktestSummary;
  /** The item's driver effects, present when the store was trained with drivers. */
  drivers?: { effectConfig: EffectConfig; effects: ItemEffects };
}

const isoDay = z.string().refine((s) => parseIsoDay(s) !== undefined, 'must be an ISO date (YYYY-MM-DD)');

const factorTable = z.record(z.string(), z.number().positive());

const itemEffectsSchema = z.object({
  flags: z.array(z.object({ column: z.string(), threshold: z.number(), factor: z.number().positive() })),
  dips: z.array(z.object({ column: z.string(), days: z.number().int().positive(), factor: z.number().positive() })),
  levels: z.array(z.object({ column: z.string(), scale: z.enum(['log', 'linear']), reference: z.number(), beta: z.number() })),
  events: z.array(z.object({ column: z.string(), factors: factorTable, before: factorTable, after: factorTable })),
});

export const modelArtifactSchema = z.object({
  schema: z.enum(SUPPORTED_SCHEMAS).transform((): typeof ARTIFACT_SCHEMA => ARTIFACT_SCHEMA),
  store: z.string().min(1),
  item: z.string().min(1),
  origin: isoDay,
  window: z.object({ from: isoDay, to: isoDay, observations: z.number().int().nonnegative() }),
  selected: z.string(),
  components: z
    .array(
      z.object({ family: z.enum(FAMILY_NAMES), weight: z.number().positive(), state: z.unknown(), drivers: z.boolean().optional() }).superRefine((c, ctx) => {
        // The learned component's state is read as a path of numbers, so it is checked here, not when forecast.
        if (c.family !== 'learned') return;
        try {
          parseLearnedPath(c.state);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: ['state'], message: (error as Error).message });
        }
      }),
    )
    .min(1),
  closedMonthDays: z.array(z.number().int()),
  closedWeekdays: z.array(z.number().int().min(0).max(6)).optional(),
  intervals: z.object({
    scale: z.literal('sqrt-forecast-plus-one'),
    buckets: z.array(z.object({ upToStep: z.number().int().positive(), q10: z.number(), q90: z.number() })).min(1),
    driverBuckets: z.array(z.object({ upToStep: z.number().int().positive(), q10: z.number(), q90: z.number() })).min(1).optional(),
  }),
  calendarConfig: z.object({ levelWindow: z.number().int().positive(), shareOfStore: z.boolean(), growthDamping: z.number(), pooledFactors: z.boolean() }),
  backtest: z.object({
    horizon: z.number().int().nonnegative(),
    folds: z.number().int().nonnegative(),
    scores: z.record(z.string(), z.number()),
    rmsse: z.number().nullable(),
    smape: z.number().nullable(),
    absError: z.number().nonnegative().optional(),
    actual: z.number().nonnegative().optional(),
  }),
  drivers: z.object({ effectConfig: z.object({ dip: z.boolean(), neighbours: z.boolean(), recentDays: z.number().int().positive().optional() }), effects: itemEffectsSchema }).optional(),
});

/** Parses and validates an artifact read from storage; throws with the offending field named. */
export function parseModelArtifact(json: unknown): ModelArtifact {
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (typeof json === 'object' && json !== null && !(SUPPORTED_SCHEMAS as readonly unknown[]).includes(schema)) {
    throw new Error(`invalid model artifact: schema ${JSON.stringify(schema)} is not one this engine reads (${SUPPORTED_SCHEMAS.join(', ')}): retrain the store`);
  }
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

export interface ForecastAdjustments {
  /** Driver effect per step, applied to components fitted with drivers. */
  multiplier?: Float64Array | undefined;
  /** 1 = the day is known to be closed: forecast exactly 0. */
  zero?: Uint8Array | undefined;
}

/** Point forecast of a mix, without intervals; `cal` must cover origin+1 … origin+horizon. */
export function mixForecast(components: readonly ModelComponent[], closedMonthDays: readonly number[], origin: EpochDay, horizon: number, cal: CalendarTable, adjustments: ForecastAdjustments = {}): Float64Array {
  const out = new Float64Array(horizon);
  const { multiplier, zero } = adjustments;
  for (const component of components) {
    const values = component.family === 'learned' ? learnedPathForecast(component.state as LearnedPathState, horizon) : FAMILIES[component.family].predict(component.state, origin, horizon, cal);
    const effect = component.drivers === true ? multiplier : undefined;
    for (let s = 0; s < horizon; s++) out[s]! += component.weight * values[s]! * (effect === undefined ? 1 : effect[s]!);
  }
  if (zero !== undefined) for (let s = 0; s < horizon; s++) if (zero[s] === 1) out[s] = 0;
  if (closedMonthDays.length > 0) {
    const closed = new Set(closedMonthDays);
    for (let s = 0; s < horizon; s++) if (closed.has(cal.monthDay[origin + 1 + s - cal.firstDay]!)) out[s] = 0;
  }
  for (let s = 0; s < horizon; s++) if (!(out[s]! > 0)) out[s] = 0;
  return out;
}

/** Days whose driver effect moves sales by more than this share get the driver-day intervals. */
const MARKED_EFFECT = 0.1;
/** Days after a closure that get the driver-day intervals too: pent-up demand moves them. */
export const DAYS_AFTER_CLOSURE = 3;

/**
 * Whether a day is closed by something other than the store's weekly rhythm: a known closure (open = 0) or a
 * closed day of the year. A weekday the store keeps closed every week is left out: the days after it are the
 * ordinary week the weekday shape has learnt, not a driver-moved day.
 */
export function irregularClosure(view: DriverView | undefined, item: string, closedWeekdays: readonly number[], closedMonthDays: readonly number[]): (day: EpochDay) => boolean {
  return (day) => {
    if (closedWeekdays.includes(dayOfWeek(day))) return false;
    if (view?.closed(item, day) === true) return true;
    if (closedMonthDays.length === 0) return false;
    const { month, day: dayOfMonth } = civilFromEpochDay(day);
    return closedMonthDays.includes(month * 100 + dayOfMonth);
  };
}

/**
 * The `horizon` days after `origin` that get the driver-day intervals (undefined: none): those whose driver
 * effect (`multiplier`) moves sales by more than 10 %, and the first `DAYS_AFTER_CLOSURE` days after an
 * irregular closure, including one on or just before the origin. The backtest and the served forecast mark
 * days by this one rule, so the served intervals use the buckets they were calibrated in.
 */
export function markedDays(horizon: number, origin: EpochDay, multiplier: Float64Array | undefined, closedOn: (day: EpochDay) => boolean): Uint8Array | undefined {
  const marked = new Uint8Array(horizon);
  let any = false;
  for (let s = 0; s < horizon; s++) {
    const day = origin + 1 + s;
    let moved = multiplier !== undefined && Math.abs(multiplier[s]! - 1) > MARKED_EFFECT;
    if (!moved && !closedOn(day)) for (let back = 1; back <= DAYS_AFTER_CLOSURE && !moved; back++) moved = closedOn(day - back);
    if (!moved) continue;
    marked[s] = 1;
    any = true;
  }
  return any ? marked : undefined;
}

function bucketAt(buckets: readonly IntervalBucket[], step: number): IntervalBucket {
  for (const bucket of buckets) if (step <= bucket.upToStep) return bucket;
  return buckets[buckets.length - 1]!;
}

export function applyIntervals(forecast: Float64Array, buckets: readonly IntervalBucket[], zero?: Uint8Array, driverBuckets?: readonly IntervalBucket[], marked?: Uint8Array): { p10: Float64Array; p90: Float64Array } {
  const p10 = new Float64Array(forecast.length);
  const p90 = new Float64Array(forecast.length);
  for (let s = 0; s < forecast.length; s++) {
    const bucket = bucketAt(driverBuckets !== undefined && marked?.[s] === 1 ? driverBuckets : buckets, s + 1);
    const f = forecast[s]!;
    const scale = Math.sqrt(f + 1);
    // A planner reads p10 ≤ forecast ≤ p90; skewed residuals must not invert that.
    p10[s] = Math.max(0, Math.min(f, f + bucket.q10 * scale));
    p90[s] = Math.max(f, f + bucket.q90 * scale);
    // A known closure is certain: nothing sells, so the interval is the point 0 as well.
    if (zero?.[s] === 1) p10[s] = p90[s] = 0;
  }
  return { p10, p90 };
}

/**
 * Forecast `horizon` days after the artifact's origin, from the stored state alone (no refit). `drivers` are
 * the store's drivers for the days to forecast (from `driversForStore`): they give the promotion and event
 * effects and the known closures. Without them, a component fitted with drivers forecasts "no promotion,
 * no event" and only the closed weekdays are zeroed.
 */
export function forecastFromArtifact(artifact: ModelArtifact, horizon: number, drivers?: StoreDrivers): SeriesForecast {
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  const origin = parseIsoDay(artifact.origin);
  if (origin === undefined) throw new Error(`artifact origin "${artifact.origin}" is not an ISO date`);
  const cal = new CalendarTable(origin + 1, origin + horizon);
  const view = drivers === undefined ? undefined : new DriverView(drivers);
  const closedWeekdays = artifact.closedWeekdays ?? [];
  let zero: Uint8Array | undefined;
  if (closedWeekdays.length > 0 || view !== undefined) {
    zero = new Uint8Array(horizon);
    for (let s = 0; s < horizon; s++) {
      const day = origin + 1 + s;
      const weekdayClosed = closedWeekdays.includes(cal.weekday[s]!);
      if (view?.closed(artifact.item, day) === true || (weekdayClosed && view?.explicitlyOpen(artifact.item, day) !== true)) zero[s] = 1;
    }
  }
  const effects = artifact.drivers?.effects;
  const multiplier = view === undefined || effects === undefined ? undefined : effectMultipliers(effects, view, artifact.item, origin + 1, horizon);
  const forecast = mixForecast(artifact.components, artifact.closedMonthDays, origin, horizon, cal, { multiplier, zero });
  const marked = markedDays(horizon, origin, multiplier, irregularClosure(view, artifact.item, closedWeekdays, artifact.closedMonthDays));
  const { p10, p90 } = applyIntervals(forecast, artifact.intervals.buckets, zero, artifact.intervals.driverBuckets, marked);
  return { store: artifact.store, item: artifact.item, firstDay: origin + 1, forecast, p10, p90 };
}
