/**
 * The learned family (issue 19): gradient-boosted trees (engine/gbdt.ts) fitted across many series at once — a
 * store's items, or a group of stores in the pooled step — on features known at the forecast origin
 * (engine/learned/features.ts). It models what the multiplicative families cannot: interactions (a promotion
 * on a Monday, the day before a closure, a promotion's size by item) and what other series teach.
 *
 * One model serves every horizon step: each training row is a (series, day) seen from an origin drawn 1…horizon
 * days before it, and the step is a feature, so near days use the freshest sales.
 */
import { CalendarTable } from '../calendar.js';
import type { EpochDay } from '../dates.js';
import { fit, predict, type GbdtModel, type GbdtOptions } from '../gbdt.js';
import { seededRandom } from '../random.js';
import type { StoreFeatureSource} from './features.js';
import { type FeatureSchema } from './features.js';

/** Days of sales before the cut that training rows are drawn from: every season once, and this year's level. */
export const LEARNED_WINDOW_DAYS = 365;
/** Rows per fit: enough for 30 features and 31-leaf trees; beyond it time grows and accuracy does not (docs/engine.md). */
export const LEARNED_MAX_ROWS = 40_000;

/** Fixed, not tuned per data set: moderate trees, shrinkage and subsampling, Poisson for counts. */
export const LEARNED_GBDT: Readonly<GbdtOptions> = {
  objective: 'poisson',
  rounds: 100,
  learningRate: 0.1,
  maxLeaves: 31,
  maxDepth: 8,
  minSamplesLeaf: 40,
  lambda: 1,
  maxBins: 63,
  rowSubsample: 0.8,
  featureSubsample: 0.8,
};

export interface LearnedModel {
  /** Last day of sales the rows were drawn from: the model may forecast from any origin on or after it. */
  cut: EpochDay;
  horizon: number;
  schema: FeatureSchema;
  model: GbdtModel;
  rows: number;
}

export interface LearnedFitOptions {
  cut: EpochDay;
  horizon: number;
  maxRows?: number;
  seed?: number;
}

/**
 * Fits one model on rows drawn from every series of `sources` up to `cut` (nothing after it is read).
 * Undefined when there are too few rows to learn from.
 */
export function fitLearned(sources: readonly StoreFeatureSource[], options: LearnedFitOptions): LearnedModel | undefined {
  const { cut, horizon } = options;
  const maxRows = options.maxRows ?? LEARNED_MAX_ROWS;
  const schema = sources[0]?.schema;
  if (schema === undefined) return undefined;
  const from = cut - LEARNED_WINDOW_DAYS + 1;
  let candidates = 0;
  for (const source of sources) {
    for (const s of source.sums) candidates += s.knownDays(Math.max(from, s.firstSale), cut);
  }
  if (candidates < 200) return undefined;
  const share = Math.min(1, maxRows / candidates);
  const random = seededRandom(options.seed ?? 19);
  const picked: { source: number; k: number; day: EpochDay; origin: EpochDay }[] = [];
  sources.forEach((source, si) => {
    source.sums.forEach((s, k) => {
      const start = Math.max(from, s.firstSale);
      for (let day = start; day <= cut; day++) {
        const y = s.value(day);
        if (y !== y) continue;
        if (random() >= share) continue;
        picked.push({ source: si, k, day, origin: day - 1 - Math.floor(random() * horizon) });
      }
    });
  });
  const cols = schema.names.length;
  const rows = picked.length;
  const values = new Float32Array(rows * cols);
  const target: number[] = [];
  const weights: number[] = [];
  const cal = new CalendarTable(from - 1, cut + horizon + 1);
  let row = 0;
  for (const p of picked) {
    const level = sources[p.source]!.write(p.k, p.origin, p.day, cal, values, rows, row);
    if (level === undefined) continue;
    target.push(sources[p.source]!.sums[p.k]!.value(p.day) / level);
    weights.push(level);
    row++;
  }
  if (row < 200) return undefined;
  const data = compact(values, rows, cols, row);
  const model = fit(data, target, { ...LEARNED_GBDT, weights, seed: options.seed ?? 19 });
  return { cut, horizon, schema, model, rows: row };
}

/** Keeps the first `used` rows of a column-major matrix written for `rows`. */
function compact(values: Float32Array, rows: number, cols: number, used: number): { rows: number; cols: number; values: Float32Array } {
  if (used === rows) return { rows, cols, values };
  const out = new Float32Array(used * cols);
  for (let f = 0; f < cols; f++) out.set(values.subarray(f * rows, f * rows + used), f * used);
  return { rows: used, cols, values: out };
}

/**
 * Forecasts `horizon` days after `origin` for every series of `source` (in its order): undefined for a series
 * without a known day in the level window before the origin. `origin` must be on or after the model's cut.
 */
export function predictLearned(model: LearnedModel, source: StoreFeatureSource, origin: EpochDay, horizon: number): (Float64Array | undefined)[] {
  if (origin < model.cut) throw new Error(`learned model cut ${model.cut} is after the origin ${origin}: it would have seen the days it forecasts`);
  const cols = model.schema.names.length;
  const n = source.sums.length;
  const rows = n * horizon;
  const values = new Float32Array(rows * cols);
  const levels = new Float64Array(n).fill(Number.NaN);
  const cal = new CalendarTable(origin - LEARNED_WINDOW_DAYS, origin + horizon + 1);
  for (let k = 0; k < n; k++) {
    for (let step = 1; step <= horizon; step++) {
      // Steps past the model's horizon are forecast as its last step: the features only know days up to the origin.
      const level = source.write(k, origin, origin + step, cal, values, rows, k * horizon + step - 1);
      if (level === undefined) break;
      levels[k] = level;
    }
  }
  const raw = predict(model.model, { rows, cols, values });
  return Array.from(levels, (level, k) => {
    if (level !== level) return undefined;
    const out = new Float64Array(horizon);
    // Nothing sold for a whole level window: the other families forecast 0, and a floor level times a ratio would put
    // a fraction of a unit on every day, which scores as a full miss on each day that sells nothing.
    if (source.dormant(k, origin)) return out;
    for (let s = 0; s < horizon; s++) out[s] = raw[k * horizon + s]! * level;
    return out;
  });
}

/**
 * Whether the learned family is a candidate: when asked for by name, else when the store has drivers. Without
 * drivers it has no interaction to find that the calendar and smoothing families miss, and on every shared set it
 * lost to them there while costing most of the training time (docs/engine.md), so it is not tried by default.
 */
export function learnedFamilyWanted(families: readonly string[] | undefined, hasDrivers: boolean): boolean {
  return families === undefined ? hasDrivers : families.includes('learned');
}
