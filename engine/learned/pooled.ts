/**
 * The pooled step (issue 19): before the stores are trained one by one, the learned family is fitted across
 * stores — the whole chain, or groups of similar stores when it is large — at each cut the stores' backtests use
 * and at the last day. Each store's training then reads the group's models instead of fitting its own: a store
 * with one series learns promotion, holiday and closure effects from every store like it, and a refresh of one
 * store reuses the latest pooled artifact instead of refitting (US2 stays fast).
 */
import { formatIsoDay, parseIsoDay, type EpochDay } from '../dates.js';
import type { StoreDrivers } from '../drivers.js';
import { parseGbdtModel, type GbdtModel } from '../gbdt.js';
import type { SeriesHistory } from '../history.js';
import type { StoreAttributeValues } from '../store-attributes.js';
import { StoreFeatureSource, featureNames, featureSchema, type FeatureSchema, type LearnedSeries } from './features.js';
import { LEARNED_MAX_ROWS, fitLearned, type LearnedModel } from './learned.js';

export const POOLED_SCHEMA = 'foreact.pooled/v1';
/**
 * Stores per group: one model (and one job on the cluster) per group. Rows per fit are capped, so a larger group
 * costs no more to fit; groups exist so that a tenant of many thousands of stores trains in parallel jobs and each
 * model stays within one job's memory.
 */
export const POOLED_GROUP_STORES = 2000;
/** Rows per pooled fit: more than one store's, since the model serves many. */
export const POOLED_MAX_ROWS = 2.5 * LEARNED_MAX_ROWS;
/** The longest backtest horizon (as in trainStore): cuts step back by at most this. */
const MAX_BACKTEST_HORIZON = 182;

export interface PooledStoreInput {
  store: string;
  series: SeriesHistory[];
  drivers?: StoreDrivers | undefined;
  attributes?: StoreAttributeValues | undefined;
}

export interface PooledGroup {
  key: string;
  stores: string[];
  models: { cut: string; rows: number; model: GbdtModel }[];
}

export interface PooledArtifact {
  schema: typeof POOLED_SCHEMA;
  horizon: number;
  /** The latest day of sales any store had. */
  lastDay: string;
  trainedOn: { stores: number; series: number; rows: number; groups: number };
  features: Omit<FeatureSchema, 'names'>;
  groups: PooledGroup[];
}

export interface PooledOptions {
  horizon: number;
  /** Backtest folds of the stores' training (default 3): one model per fold cut, and one at the last day. */
  folds?: number;
  groupStores?: number;
}

/** Closed days (open = 0 in the store's drivers) are not demand: the learned family never trains on them. */
export function learnedSeriesOf(series: readonly SeriesHistory[], drivers: StoreDrivers | undefined): LearnedSeries[] {
  const c = drivers?.columns.findIndex((col) => col.name === 'open') ?? -1;
  if (drivers === undefined || c < 0) return [...series];
  return series.map((s) => {
    const own = drivers.items.get(s.item)?.[c];
    const store = drivers.storeValues[c]!;
    let values: Float64Array | undefined;
    for (let i = 0; i < s.values.length; i++) {
      const j = s.startDay + i - drivers.firstDay;
      const open = own?.[j] ?? Number.NaN;
      if ((open === open ? open : store[j]) === 0) (values ??= Float64Array.from(s.values))[i] = Number.NaN;
    }
    return values === undefined ? s : { ...s, values };
  });
}

/** Stores ordered by their text attributes (type, region…) then id, cut into groups of at most `size`. */
export function groupStores(stores: readonly PooledStoreInput[], size = POOLED_GROUP_STORES): PooledStoreInput[][] {
  const keyOf = (s: PooledStoreInput): string => {
    const attrs = s.attributes;
    const text = attrs === undefined ? [] : attrs.columns.flatMap((c, i) => (c.kind === 'text' ? [String(attrs.values[i] ?? '')] : []));
    return `${text.join('\u0000')}\u0001${s.store}`;
  };
  const sorted = [...stores].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const groups = Math.max(1, Math.ceil(sorted.length / size));
  // Even groups: 401 stores make groups of 201 and 200, not 400 and 1.
  const per = Math.ceil(sorted.length / groups);
  return Array.from({ length: groups }, (_, g) => sorted.slice(g * per, (g + 1) * per)).filter((g) => g.length > 0);
}

/**
 * The cuts models are fitted at: the earliest fold's (its model serves every fold, since a model may forecast from
 * any origin after its cut: a little stale for later folds, never leaking) and the last day (the forecast). Two
 * fits instead of one per fold halve the learned family's cost; the backtest judges it slightly pessimistically.
 */
export function learnedCuts(lastDay: EpochDay, horizon: number, folds: number): EpochDay[] {
  const earliest = lastDay - folds * Math.min(horizon, MAX_BACKTEST_HORIZON);
  return earliest === lastDay ? [lastDay] : [earliest, lastDay];
}

/** One fit of the pooled step: a group of stores at one cut. Plain data, so it can run on another thread. */
export interface PooledFitTask {
  group: number;
  stores: PooledStoreInput[];
  features: Omit<FeatureSchema, 'names'>;
  cut: EpochDay;
  horizon: number;
}

export type PooledFitResult = { cut: string; rows: number; model: GbdtModel } | undefined;

export interface PooledPlan {
  horizon: number;
  lastDay: EpochDay;
  features: Omit<FeatureSchema, 'names'>;
  groups: PooledStoreInput[][];
  tasks: PooledFitTask[];
  trainedOn: { stores: number; series: number };
}

/** What the pooled step will fit: the feature columns every store shares, the groups, and one task per group and cut. */
export function planPooled(stores: readonly PooledStoreInput[], options: PooledOptions): PooledPlan {
  const { horizon } = options;
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  const folds = options.folds ?? 3;
  let last = -Infinity;
  let seriesCount = 0;
  for (const s of stores) {
    seriesCount += s.series.length;
    for (const h of s.series) last = Math.max(last, h.startDay + h.values.length - 1);
  }
  if (!Number.isFinite(last)) throw new Error('the pooled step needs at least one store with sales');
  const schema = featureSchema(stores.map((s) => ({ store: s.store, series: [], drivers: s.drivers, attributes: s.attributes })));
  const features = { drivers: schema.drivers, attributes: schema.attributes };
  const groups = groupStores(stores, options.groupStores);
  const tasks = groups.flatMap((group, g) => learnedCuts(last, horizon, folds).map((cut) => ({ group: g, stores: group, features, cut, horizon })));
  return { horizon, lastDay: last, features, groups, tasks, trainedOn: { stores: stores.length, series: seriesCount } };
}

/** Runs one task of the plan. */
export function fitPooledTask(task: PooledFitTask): PooledFitResult {
  const schema = { ...task.features, names: featureNames(task.features) };
  const sources = task.stores.map((s) => new StoreFeatureSource({ store: s.store, series: learnedSeriesOf(s.series, s.drivers), drivers: s.drivers, attributes: s.attributes }, schema));
  // A group of one store is that store's own fit; more stores get more rows, up to the pooled cap.
  const maxRows = Math.min(POOLED_MAX_ROWS, LEARNED_MAX_ROWS * task.stores.length);
  const fitted = fitLearned(sources, { cut: task.cut, horizon: task.horizon, maxRows, seed: 19 + task.group });
  return fitted === undefined ? undefined : { cut: formatIsoDay(task.cut), rows: fitted.rows, model: fitted.model };
}

/** The artifact from the plan and its tasks' results (in task order). */
export function assemblePooled(plan: PooledPlan, results: readonly PooledFitResult[]): PooledArtifact {
  let rows = 0;
  const groups = plan.groups.map((group, g): PooledGroup => {
    const models = plan.tasks.flatMap((task, t) => {
      const result = results[t];
      if (task.group !== g || result === undefined) return [];
      rows += result.rows;
      return [result];
    });
    return { key: `group-${g + 1}`, stores: group.map((s) => s.store), models };
  });
  return {
    schema: POOLED_SCHEMA,
    horizon: plan.horizon,
    lastDay: formatIsoDay(plan.lastDay),
    trainedOn: { ...plan.trainedOn, rows, groups: groups.length },
    features: plan.features,
    groups,
  };
}

/** The whole pooled step in this thread (the trainer pod's job); the CLI spreads the tasks over its worker threads. */
export function trainPooled(stores: readonly PooledStoreInput[], options: PooledOptions): PooledArtifact {
  const plan = planPooled(stores, options);
  return assemblePooled(plan, plan.tasks.map(fitPooledTask));
}

/**
 * The model a store's training uses at `cut`: its group's latest model whose own cut is on or before it (never
 * one that saw the days being forecast), fitted for at least `horizon` steps. Undefined when there is none.
 */
export function pooledModelAt(artifact: PooledArtifact, store: string, cut: EpochDay, horizon: number): LearnedModel | undefined {
  if (artifact.horizon < horizon) return undefined;
  const group = artifact.groups.find((g) => g.stores.includes(store));
  if (group === undefined) return undefined;
  let best: { cut: EpochDay; rows: number; model: GbdtModel } | undefined;
  for (const m of group.models) {
    const day = parseIsoDay(m.cut)!;
    if (day <= cut && (best === undefined || day > best.cut)) best = { cut: day, rows: m.rows, model: m.model };
  }
  if (best === undefined) return undefined;
  return { cut: best.cut, horizon: artifact.horizon, schema: { ...artifact.features, names: featureNames(artifact.features) }, model: best.model, rows: best.rows };
}

/** Checks an artifact read back from storage (a trainer pod wrote it); throws naming what is wrong. */
export function parsePooledArtifact(json: unknown): PooledArtifact {
  const fail = (what: string): never => {
    throw new Error(`invalid pooled artifact: ${what}`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const a = json as Record<string, unknown>;
  if (a.schema !== POOLED_SCHEMA) fail(`schema must be ${POOLED_SCHEMA}, got ${JSON.stringify(a.schema)}`);
  if (typeof a.horizon !== 'number' || !Number.isInteger(a.horizon) || a.horizon < 1) fail('horizon must be a positive integer');
  if (typeof a.lastDay !== 'string' || parseIsoDay(a.lastDay) === undefined) fail('lastDay must be an ISO date');
  const t = a.trainedOn as Record<string, unknown> | undefined;
  for (const k of ['stores', 'series', 'rows', 'groups'] as const) {
    if (typeof t?.[k] !== 'number' || !Number.isInteger(t[k]) || t[k] < 0) fail(`trainedOn.${k} must be a non-negative integer`);
  }
  const features = a.features as Record<string, unknown> | undefined;
  const labelsOk = (x: unknown): boolean => Array.isArray(x) && x.every((l) => typeof l === 'string');
  if (!Array.isArray(features?.drivers) || !(features.drivers as unknown[]).every((d) => {
    const r = d as Record<string, unknown> | null;
    return r !== null && typeof r.name === 'string' && (r.kind === 'numeric' || r.kind === 'categorical') && labelsOk(r.labels);
  })) fail('features.drivers must list {name, kind numeric|categorical, labels}');
  if (!Array.isArray(features?.attributes) || !(features.attributes as unknown[]).every((d) => {
    const r = d as Record<string, unknown> | null;
    return r !== null && typeof r.name === 'string' && (r.kind === 'numeric' || r.kind === 'date' || r.kind === 'text') && labelsOk(r.labels);
  })) fail('features.attributes must list {name, kind numeric|date|text, labels}');
  const width = featureNames(features as unknown as Omit<FeatureSchema, 'names'>).length;
  if (!Array.isArray(a.groups)) return fail('groups must be an array');
  (a.groups as unknown[]).forEach((gv, gi) => {
    const g = gv as Record<string, unknown> | null;
    if (g === null || typeof g !== 'object') fail(`groups[${gi}] is not an object`);
    if (typeof g!.key !== 'string') fail(`groups[${gi}].key must be a string`);
    if (!Array.isArray(g!.stores) || !(g!.stores as unknown[]).every((s) => typeof s === 'string')) fail(`groups[${gi}].stores must be strings`);
    if (!Array.isArray(g!.models)) fail(`groups[${gi}].models must be an array`);
    (g!.models as unknown[]).forEach((mv, mi) => {
      const m = mv as Record<string, unknown> | null;
      const where = `groups[${gi}].models[${mi}]`;
      if (m === null || typeof m !== 'object') return fail(`${where} is not an object`);
      if (typeof m.cut !== 'string' || parseIsoDay(m.cut) === undefined) fail(`${where}.cut must be an ISO date`);
      if (typeof m.rows !== 'number' || !Number.isInteger(m.rows) || m.rows < 0) fail(`${where}.rows must be a non-negative integer`);
      let model: GbdtModel | undefined;
      try {
        model = parseGbdtModel(m.model);
      } catch (error) {
        fail(`${where}: ${(error as Error).message}`);
      }
      if (model!.featureCount !== width) fail(`${where}.model has ${model!.featureCount} features, the feature list ${width}`);
    });
  });
  return json as PooledArtifact;
}
