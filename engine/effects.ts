import { dayOfWeek, type EpochDay } from './dates.js';
import { OPEN_COLUMN, type StoreDrivers } from './drivers.js';

/**
 * Driver effects as multiplicative factors on top of a model fitted to driver-free sales: the history is
 * divided by the effects before the families are fitted, and their forecast is multiplied by the effects of
 * the future drivers. Every effect is a ratio of sums against a local baseline (the Poisson estimate of one
 * factor), shrunk toward "no effect" for thin evidence, so small stores and rare events stay sane.
 */

/** Which optional effects a store uses: chosen per store by backtest, like the calendar settings. */
export interface EffectConfig {
  /** The dip in the days after a promotion ends. */
  dip: boolean;
  /** Effects on the day before and the day after each event. */
  neighbours: boolean;
  /**
   * Promotion, price and dip effects from the last year only (effects drift as a range and its promotions
   * change); undefined = the last three years, like the events (each recurs once a year).
   */
  recentDays?: number;
}

export const RECENT_EFFECT_DAYS = 365;

/** No optional effect: what the first trial tries, and what a store without the backtest to judge uses. */
export const NO_OPTIONAL_EFFECTS: EffectConfig = { dip: false, neighbours: false };

/** One trial of the store's effects: an option set on top of the best configuration so far. */
export interface EffectTrial {
  option: 'none' | 'recentDays' | 'dip' | 'neighbours';
  /** What the store's effects must include for the option to change anything; otherwise it is not tried. */
  needs: 'nothing' | 'flags' | 'events';
  change: Partial<EffectConfig>;
}

/**
 * What trainStore tries, in this order: no optional effect, then each option on top of the best so far,
 * kept only if the backtest improves (greedy: 4 trials, not every combination). The window and the dip
 * need promotion flags or levels, the days around events need events.
 */
export const EFFECT_TRIALS: readonly EffectTrial[] = [
  { option: 'none', needs: 'nothing', change: {} },
  { option: 'recentDays', needs: 'flags', change: { recentDays: RECENT_EFFECT_DAYS } },
  { option: 'dip', needs: 'flags', change: { dip: true } },
  { option: 'neighbours', needs: 'events', change: { neighbours: true } },
];

/** What one item's forecast needs: the artifact stores this, so a forecast needs no refit. */
export interface ItemEffects {
  /** Numeric drivers with two values: active above `threshold`. */
  flags: { column: string; threshold: number; factor: number }[];
  /** Days 1…days after an active flag (while the flag is off). */
  dips: { column: string; days: number; factor: number }[];
  /** Continuous numeric drivers: factor = exp(beta·z), z = log(value/reference) for prices, value − reference otherwise. */
  levels: { column: string; scale: 'log' | 'linear'; reference: number; beta: number }[];
  /** Categorical drivers: a factor per label, and for the day before / after it. */
  events: { column: string; factors: Record<string, number>; before: Record<string, number>; after: Record<string, number> }[];
}

/** Store-level estimates with per-item refinements; `forItem` turns them into one item's effects. */
export interface StoreEffects {
  config: EffectConfig;
  flags: { column: string; threshold: number; storeFactor: number; itemFactors: Map<string, number> }[];
  dips: { column: string; days: number; factor: number }[];
  levels: { column: string; scale: 'log' | 'linear'; references: Map<string, number>; storeReference: number; beta: number }[];
  events: { column: string; factors: Map<string, number>; before: Map<string, number>; after: Map<string, number> }[];
  notes: string[];
}

/** Event effects are the store's, the same for every item: built once and shared by the items' effects. */
const sharedEvents = new WeakMap<StoreEffects, ItemEffects['events']>();

export function itemEffects(store: StoreEffects, item: string): ItemEffects {
  let events = sharedEvents.get(store);
  if (events === undefined) {
    events = store.events.map((e) => ({ column: e.column, factors: Object.fromEntries(e.factors), before: Object.fromEntries(e.before), after: Object.fromEntries(e.after) }));
    sharedEvents.set(store, events);
  }
  return {
    flags: store.flags.map((f) => ({ column: f.column, threshold: f.threshold, factor: f.itemFactors.get(item) ?? f.storeFactor })),
    dips: store.dips.map((d) => ({ ...d })),
    levels: store.levels.map((l) => ({ column: l.column, scale: l.scale, reference: l.references.get(item) ?? l.storeReference, beta: l.beta })),
    events,
  };
}

/** Per event entry and label list: the on-day, before and after factors by label code (NaN = no estimate). */
const factorsByCode = new WeakMap<ItemEffects['events'][number], { labels: string[]; factors: Float64Array[] }>();

function eventFactors(event: ItemEffects['events'][number], labels: string[]): Float64Array[] {
  const cached = factorsByCode.get(event);
  if (cached !== undefined && cached.labels === labels) return cached.factors;
  const factors = [event.factors, event.before, event.after].map((table) => {
    const out = new Float64Array(labels.length).fill(Number.NaN);
    labels.forEach((label, code) => {
      const factor = table[label];
      if (factor !== undefined) out[code] = factor;
    });
    return out;
  });
  factorsByCode.set(event, { labels, factors });
  return factors;
}

export function hasEffects(effects: ItemEffects): boolean {
  return effects.flags.length + effects.dips.length + effects.levels.length + effects.events.length > 0;
}

/**
 * Dense per-item views of a store's drivers, resolved once (item-level values over the store's). Items
 * without values of their own share the store's array.
 */
export class DriverView {
  private readonly cache = new Map<string, Float64Array[]>();
  readonly columnIndex: Map<string, number>;

  readonly masks = new MaskCache();
  private readonly baselineCache = new Map<string, Map<string, Float64Array>>();

  constructor(readonly drivers: StoreDrivers) {
    this.columnIndex = new Map(drivers.columns.map((c, i) => [c.name, i]));
  }

  /** Clean-day baselines at a cut: the same whichever optional effects are tried, so computed once per cut. */
  baselines(cutoff: EpochDay, plan: ColumnPlan, work: Parameters<typeof cleanBaselines>[0]): Map<string, Float64Array> {
    const key = `${cutoff} ${plan.flags.map((f) => `${f.column}>${f.threshold}`).join(',')} ${plan.events.map((e) => e.column).join(',')} ${plan.levels.map((l) => l.column).join(',')}`;
    let cached = this.baselineCache.get(key);
    if (cached === undefined) this.baselineCache.set(key, (cached = cleanBaselines(work)));
    return cached;
  }

  columns(item: string): Float64Array[] {
    let resolved = this.cache.get(item);
    if (resolved !== undefined) return resolved;
    const own = this.drivers.items.get(item);
    resolved = this.drivers.storeValues.map((storeValues, c) => {
      const values = own?.[c];
      if (values === undefined) return storeValues;
      const merged = Float64Array.from(values);
      for (let i = 0; i < merged.length; i++) if (merged[i] !== merged[i]) merged[i] = storeValues[i]!;
      return merged;
    });
    this.cache.set(item, resolved);
    return resolved;
  }

  /** Value of `column` for `item` on `day`; NaN when not given or unknown column. */
  value(item: string, column: string, day: EpochDay): number {
    const c = this.columnIndex.get(column);
    if (c === undefined) return Number.NaN;
    const i = day - this.drivers.firstDay;
    if (i < 0 || day > this.drivers.lastDay) return Number.NaN;
    return this.columns(item)[c]![i]!;
  }

  label(column: string, code: number): string | undefined {
    const c = this.columnIndex.get(column);
    return c === undefined || !(code >= 0) ? undefined : this.drivers.labels[c]![code];
  }

  /** open = 0 for the item (its own or the store's) on `day`. */
  closed(item: string, day: EpochDay): boolean {
    return this.value(item, OPEN_COLUMN, day) === 0;
  }

  /** open = 1 given explicitly: a planned opening overrides a weekday that was closed until now. */
  explicitlyOpen(item: string, day: EpochDay): boolean {
    return this.value(item, OPEN_COLUMN, day) === 1;
  }
}

/** Multiplicative driver effect for each day of [fromDay, fromDay + length). Days without drivers get 1. */
export function effectMultipliers(effects: ItemEffects, view: DriverView, item: string, fromDay: EpochDay, length: number): Float64Array {
  const out = new Float64Array(length).fill(1);
  const columns = view.columns(item);
  // Index of day fromDay + s in the drivers' arrays is offset + s; outside them a typed array reads undefined.
  const offset = fromDay - view.drivers.firstDay;
  const at = (column: string): Float64Array | undefined => {
    const c = view.columnIndex.get(column);
    return c === undefined ? undefined : columns[c];
  };
  for (const flag of effects.flags) {
    const values = at(flag.column);
    if (values === undefined) continue;
    const on = view.masks.flag(values, flag.threshold);
    for (let s = 0; s < length; s++) if (on[offset + s] === 1) out[s]! *= flag.factor;
  }
  for (const dip of effects.dips) {
    const values = at(dip.column);
    const threshold = effects.flags.find((f) => f.column === dip.column)?.threshold;
    if (values === undefined || threshold === undefined) continue;
    const on = view.masks.dip(values, threshold, dip.days);
    for (let s = 0; s < length; s++) if (on[offset + s] === 1) out[s]! *= dip.factor;
  }
  for (const level of effects.levels) {
    const values = at(level.column);
    if (values === undefined) continue;
    for (let s = 0; s < length; s++) {
      const z = levelZ(level.scale, values[offset + s] ?? Number.NaN, level.reference);
      if (z === z) out[s]! *= Math.exp(level.beta * z);
    }
  }
  for (const event of effects.events) {
    const c = view.columnIndex.get(event.column);
    const values = at(event.column);
    if (values === undefined || c === undefined) continue;
    const factors = eventFactors(event, view.drivers.labels[c]!);
    for (let kind = 0; kind < 3; kind++) {
      const shift = kind === 0 ? 0 : kind === 1 ? 1 : -1;
      const codes = view.masks.codes(values, shift);
      const byCode = factors[kind]!;
      const positions = view.masks.positions(values, shift);
      for (let p = 0; p < positions.length; p++) {
        const position = positions[p]!;
        const s = position - offset;
        if (s < 0 || s >= length) continue;
        const factor = byCode[codes[position]!]!;
        // A day before one event and after another takes the "before" effect only; one without an estimate none.
        if (factor === factor) out[s]! *= factor;
      }
    }
  }
  return out;
}

function levelZ(scale: 'log' | 'linear', value: number, reference: number): number {
  if (value !== value) return Number.NaN;
  if (scale === 'log') return value > 0 && reference > 0 ? Math.log(value / reference) : Number.NaN;
  return value - reference;
}

/** What a planner should hear about the drivers of a store trained up to `lastDay` (e.g. a column ignored because it never varies). */
export function driverNotes(drivers: StoreDrivers, series: readonly EffectSeries[], lastDay: EpochDay): string[] {
  const notes: string[] = [];
  planColumns(new DriverView(drivers), series, lastDay, notes);
  return notes;
}

/** Baseline units before a store-wide factor is believed (it is shrunk toward 1 below that). */
const STORE_PRIOR_UNITS = 20;
/** Baseline units before an item's own promotion uplift outweighs its store's. */
const ITEM_PRIOR_UNITS = 30;
const EVENT_PRIOR_UNITS = 20;
const MIN_FACTOR = 0.02;
const MAX_FACTOR = 50;
const DIP_DAYS = 7;
const BASELINE_HALF_WINDOWS = [14, 42];
const MIN_BASELINE_DAYS = 4;
const BACKFIT_ROUNDS = 2;
/** Three years, like the seasonal shapes: three of each yearly event, and effects from today's range. */
const EFFECT_HISTORY_DAYS = 3 * 365;
/** |z| below this (about 1 % off the reference price) counts as the usual value. */
const CLEAN_Z = 0.01;

export interface EffectSeries {
  item: string;
  /** Sales from `startDay`, NaN = unknown or closed; only indexes ≤ cutoff are read. */
  values: Float64Array;
  startDay: EpochDay;
}

interface ColumnPlan {
  flags: { column: string; c: number; threshold: number }[];
  levels: { column: string; c: number; scale: 'log' | 'linear' }[];
  events: { column: string; c: number }[];
}

/** Which columns carry information before the cut; a driver that never varies there is ignored, with a note. */
function planColumns(view: DriverView, series: readonly EffectSeries[], cutoff: EpochDay, notes: string[]): ColumnPlan {
  const plan: ColumnPlan = { flags: [], levels: [], events: [] };
  const { drivers } = view;
  const historyEnd = Math.min(cutoff, drivers.lastDay) - drivers.firstDay;
  drivers.columns.forEach((column, c) => {
    if (column.name === OPEN_COLUMN) return;
    const distinct = new Set<number>();
    let positive = true;
    const scan = (values: Float64Array): void => {
      for (let i = 0; i <= historyEnd && distinct.size < 3; i++) {
        const v = values[i]!;
        if (v !== v) continue;
        if (column.kind === 'categorical' && v < 0) {
          distinct.add(-1);
          continue;
        }
        distinct.add(v);
        if (!(v > 0)) positive = false;
      }
      if (column.kind === 'numeric' && !positive) return;
      for (let i = 0; i <= historyEnd; i++) if (values[i]! <= 0) positive = false;
    };
    scan(drivers.storeValues[c]!);
    for (const s of series) {
      const own = drivers.items.get(s.item)?.[c];
      if (own !== undefined) scan(own);
      if (distinct.size >= 3) break;
    }
    if (distinct.size < 2) {
      notes.push(`driver "${column.name}" never varies in the history of store ${drivers.store}: ignored`);
      return;
    }
    if (column.kind === 'categorical') plan.events.push({ column: column.name, c });
    else if (distinct.size === 2) plan.flags.push({ column: column.name, c, threshold: Math.min(...distinct) });
    else plan.levels.push({ column: column.name, c, scale: column.scale === 'log' && positive ? 'log' : 'linear' });
  });
  return plan;
}

interface ItemWork {
  item: string;
  /** Day of `y[0]`. */
  first: EpochDay;
  /** Index into the drivers' day arrays of `y[0]` (may be negative: no drivers there). */
  offset: number;
  /** First index that promotion, price and dip effects are estimated from. */
  recent: number;
  y: Float64Array;
  baseline: Float64Array;
  /** Product of every current effect on each day. */
  multiplier: Float64Array;
  /** Per flag: 1 on active days (over the drivers' days, shared by items without values of their own). */
  flagOn: Uint8Array[];
  /** Per flag (when dips are on): 1 in the days after a promotion. */
  dipOn: Uint8Array[];
  /** Per event column: label code on the day, the day after (before) it, the day before (after) it; -1 = none. */
  eventOn: Int32Array[];
  eventBefore: Int32Array[];
  eventAfter: Int32Array[];
  /** Indexes (into the drivers' days) where eventOn / eventBefore / eventAfter have a label. */
  eventAt: Int32Array[][];
  /** Per continuous driver: z for each index of `y` (NaN = not given). */
  levelZ: Float64Array[];
}

/** Day masks derived from a driver column, computed once per distinct column array (store-wide ones are shared). */
class MaskCache {
  private readonly cache = new Map<Float64Array, Map<string, Uint8Array | Int32Array>>();

  private get<T extends Uint8Array | Int32Array>(values: Float64Array, key: string, make: () => T): T {
    let byKey = this.cache.get(values);
    if (byKey === undefined) this.cache.set(values, (byKey = new Map<string, Uint8Array | Int32Array>()));
    let mask = byKey.get(key) as T | undefined;
    if (mask === undefined) byKey.set(key, (mask = make()));
    return mask;
  }

  flag(values: Float64Array, threshold: number): Uint8Array {
    return this.get(values, `flag ${threshold}`, () => Uint8Array.from(values, (v) => (v > threshold ? 1 : 0)));
  }

  dip(values: Float64Array, threshold: number, days: number): Uint8Array {
    return this.get(values, `dip ${threshold} ${days}`, () => {
      const on = this.flag(values, threshold);
      const out = new Uint8Array(values.length);
      let sinceActive = Infinity;
      for (let i = 0; i < values.length; i++) {
        if (on[i] === 1) {
          sinceActive = 0;
          continue;
        }
        sinceActive++;
        if (sinceActive <= days) out[i] = 1;
      }
      return out;
    });
  }

  /** Indexes where `codes(values, shift)` has a label: events are rare, so loops visit only these. */
  positions(values: Float64Array, shift: number): Int32Array {
    return this.get(values, `positions ${shift}`, () => {
      const codes = this.codes(values, shift);
      const out: number[] = [];
      for (let i = 0; i < codes.length; i++) if (codes[i]! >= 0) out.push(i);
      return Int32Array.from(out);
    });
  }

  /** shift 0: the label on the day; +1: the label of the next day (days before an event); -1: of the previous day. */
  codes(values: Float64Array, shift: number): Int32Array {
    return this.get(values, `codes ${shift}`, () => {
      const out = new Int32Array(values.length).fill(-1);
      for (let i = 0; i < values.length; i++) {
        const own = values[i]!;
        if (shift !== 0 && own >= 0) continue;
        const v = values[i + shift];
        if (v !== undefined && v >= 0) out[i] = v;
      }
      if (shift === -1) {
        // A day both after one event and before another counts as "before" only.
        const before = this.codes(values, 1);
        for (let i = 0; i < out.length; i++) if (before[i]! >= 0) out[i] = -1;
      }
      return out;
    });
  }
}

const NONE_CODES = new Int32Array(0);

/**
 * Estimates a store's driver effects from the history up to `cutoff` only (sales and drivers after it are
 * never read), so a backtest fold sees exactly what a forecast made at its cut would have seen.
 */
export function estimateEffects(view: DriverView, series: readonly EffectSeries[], cutoff: EpochDay, config: EffectConfig): StoreEffects {
  const notes: string[] = [];
  const plan = planColumns(view, series, cutoff, notes);
  const { drivers } = view;
  const masks = view.masks;

  const flags = plan.flags.map((f) => ({ column: f.column, threshold: f.threshold, storeFactor: 1, itemFactors: new Map<string, number>() }));
  const dips = config.dip ? plan.flags.map((f) => ({ column: f.column, days: DIP_DAYS, factor: 1 })) : [];
  const levels = plan.levels.map((l) => ({ column: l.column, scale: l.scale, references: new Map<string, number>(), storeReference: 0, beta: 0 }));
  const events = plan.events.map((e) => ({ column: e.column, factors: new Map<string, number>(), before: new Map<string, number>(), after: new Map<string, number>() }));
  const effects: StoreEffects = { config, flags, dips, levels, events, notes };

  const work: ItemWork[] = [];
  for (const s of series) {
    const end = Math.min(s.values.length - 1, cutoff - s.startDay);
    let start = Math.max(0, end - EFFECT_HISTORY_DAYS + 1);
    while (start <= end && !(s.values[start]! > 0)) start++;
    if (end - start < 28) continue;
    const y = s.values.subarray(start, end + 1);
    const first = s.startDay + start;
    const n = y.length;
    const columns = view.columns(s.item);
    work.push({
      item: s.item,
      first,
      offset: first - drivers.firstDay,
      recent: config.recentDays === undefined ? 0 : Math.max(0, n - config.recentDays),
      y,
      baseline: new Float64Array(0),
      multiplier: new Float64Array(n).fill(1),
      flagOn: plan.flags.map((f) => masks.flag(columns[f.c]!, f.threshold)),
      dipOn: dips.map((dip, j) => masks.dip(columns[plan.flags[j]!.c]!, plan.flags[j]!.threshold, dip.days)),
      eventOn: plan.events.map((e) => masks.codes(columns[e.c]!, 0)),
      eventBefore: plan.events.map((e) => (config.neighbours ? masks.codes(columns[e.c]!, 1) : NONE_CODES)),
      eventAfter: plan.events.map((e) => (config.neighbours ? masks.codes(columns[e.c]!, -1) : NONE_CODES)),
      eventAt: plan.events.map((e) => [0, 1, -1].map((shift) => (shift === 0 || config.neighbours ? masks.positions(columns[e.c]!, shift) : NONE_CODES))),
      levelZ: plan.levels.map(() => new Float64Array(n).fill(Number.NaN)),
    });
  }

  plan.levels.forEach((l, j) => {
    const recent: number[] = [];
    for (const w of work) {
      const values = view.columns(w.item)[l.c]!;
      const own: number[] = [];
      for (let i = 0; i < w.y.length; i++) {
        const v = values[i + w.offset];
        if (v !== undefined && v === v) own.push(v);
      }
      if (own.length > 0) levels[j]!.references.set(w.item, median(own));
      recent.push(...own.slice(-365));
    }
    levels[j]!.storeReference = recent.length > 0 ? median(recent) : 0;
    for (const w of work) {
      const values = view.columns(w.item)[l.c]!;
      const reference = levels[j]!.references.get(w.item) ?? levels[j]!.storeReference;
      const z = w.levelZ[j]!;
      for (let i = 0; i < w.y.length; i++) z[i] = levelZ(l.scale, values[i + w.offset] ?? Number.NaN, reference);
    }
  });

  const baselines = view.baselines(cutoff, plan, work);
  for (const w of work) w.baseline = baselines.get(w.item)!;

  /** Σ sales and Σ expected-without-this-effect over the days where `mask` is 1; `current` is the effect's factor. */
  const maskSums = (w: ItemWork, mask: Uint8Array, current: number): [number, number] => {
    let n = 0;
    let d = 0;
    const { y, baseline, multiplier, offset } = w;
    for (let i = w.recent; i < y.length; i++) {
      if (mask[i + offset] !== 1) continue;
      const v = y[i]!;
      const b = baseline[i]!;
      if (v !== v || !(b > 0)) continue;
      n += v;
      d += b * multiplier[i]!;
    }
    return [n, d / current];
  };
  const rescaleMask = (w: ItemWork, mask: Uint8Array, ratio: number): void => {
    if (ratio === 1) return;
    for (let i = 0; i < w.y.length; i++) if (mask[i + w.offset] === 1) w.multiplier[i]! *= ratio;
  };

  for (let round = 0; round < BACKFIT_ROUNDS; round++) {
    flags.forEach((flag, j) => {
      const sums = work.map((w) => maskSums(w, w.flagOn[j]!, flag.itemFactors.get(w.item) ?? 1));
      let num = 0;
      let den = 0;
      for (const [n, d] of sums) {
        num += n;
        den += d;
      }
      flag.storeFactor = clampFactor((num + STORE_PRIOR_UNITS) / (den + STORE_PRIOR_UNITS));
      work.forEach((w, k) => {
        const [n, d] = sums[k]!;
        const old = flag.itemFactors.get(w.item) ?? 1;
        const factor = clampFactor((n + ITEM_PRIOR_UNITS * flag.storeFactor) / (d + ITEM_PRIOR_UNITS));
        flag.itemFactors.set(w.item, factor);
        rescaleMask(w, w.flagOn[j]!, factor / old);
      });
    });
    dips.forEach((dip, j) => {
      let num = 0;
      let den = 0;
      for (const w of work) {
        const [n, d] = maskSums(w, w.dipOn[j]!, dip.factor);
        num += n;
        den += d;
      }
      const old = dip.factor;
      dip.factor = clampFactor((num + STORE_PRIOR_UNITS) / (den + STORE_PRIOR_UNITS));
      for (const w of work) rescaleMask(w, w.dipOn[j]!, dip.factor / old);
    });
    levels.forEach((level, j) => {
      for (let iteration = 0; iteration < 3; iteration++) {
        let gradient = 0;
        let curvature = 0;
        for (const w of work) {
          const z = w.levelZ[j]!;
          for (let i = w.recent; i < w.y.length; i++) {
            const v = w.y[i]!;
            const b = w.baseline[i]!;
            const zi = z[i]!;
            if (v !== v || !(b > 0) || zi !== zi || zi === 0) continue;
            const mu = b * w.multiplier[i]!;
            gradient += zi * (v - mu);
            curvature += zi * zi * mu;
          }
        }
        // A ridge of a few units keeps a driver that barely moves from getting a wild slope.
        const old = level.beta;
        level.beta = Math.max(-5, Math.min(5, level.beta + gradient / (curvature + STORE_PRIOR_UNITS)));
        for (const w of work) {
          const z = w.levelZ[j]!;
          for (let i = 0; i < w.y.length; i++) if (z[i] === z[i]) w.multiplier[i]! *= Math.exp((level.beta - old) * z[i]!);
        }
      }
    });
    events.forEach((event, j) => {
      const labels = drivers.labels[plan.events[j]!.c]!;
      const tables = [event.factors, event.before, event.after];
      const current = tables.map((table) => Float64Array.from(labels, (label) => table.get(label) ?? 1));
      const num = current.map(() => new Float64Array(labels.length));
      const den = current.map(() => new Float64Array(labels.length));
      for (const w of work) {
        for (let kind = 0; kind < 3; kind++) {
          const codes = kind === 0 ? w.eventOn[j]! : kind === 1 ? w.eventBefore[j]! : w.eventAfter[j]!;
          const n = num[kind]!;
          const d = den[kind]!;
          const positions = w.eventAt[j]![kind]!;
          const end = w.offset + w.y.length;
          for (let p = firstAtOrAfter(positions, w.offset); p < positions.length; p++) {
            const at = positions[p]!;
            if (at >= end) break;
            const i = at - w.offset;
            const code = codes[at]!;
            const v = w.y[i]!;
            const b = w.baseline[i]!;
            if (v !== v || !(b > 0)) continue;
            n[code]! += v;
            d[code]! += b * w.multiplier[i]!;
          }
        }
      }
      const updated = current.map((old, kind) =>
        Float64Array.from(old, (factor, code) => {
          const d = den[kind]![code]! / factor;
          return d > 0 ? clampFactor((num[kind]![code]! + EVENT_PRIOR_UNITS) / (d + EVENT_PRIOR_UNITS)) : 1;
        }),
      );
      updated.forEach((factors, kind) =>
        factors.forEach((factor, code) => {
          if (den[kind]![code]! > 0) tables[kind]!.set(labels[code]!, factor);
        }),
      );
      for (const w of work) {
        for (let kind = 0; kind < 3; kind++) {
          const codes = kind === 0 ? w.eventOn[j]! : kind === 1 ? w.eventBefore[j]! : w.eventAfter[j]!;
          const positions = w.eventAt[j]![kind]!;
          const end = w.offset + w.y.length;
          const ratio = updated[kind]!;
          const old = current[kind]!;
          for (let p = firstAtOrAfter(positions, w.offset); p < positions.length; p++) {
            const at = positions[p]!;
            if (at >= end) break;
            const code = codes[at]!;
            w.multiplier[at - w.offset]! *= ratio[code]! / old[code]!;
          }
        }
      }
    });
  }
  return effects;
}

/**
 * The sales each item would have had without drivers around each day: the mean of nearby clean days (no
 * promotion, no event), weekday-adjusted by the store's clean-day weekday shape. Only days up to the cut are
 * in `y`, so it never looks ahead.
 */
export function cleanBaselines(work: readonly { item: string; offset: number; first: EpochDay; y: Float64Array; flagOn: Uint8Array[]; eventOn: Int32Array[]; levelZ: Float64Array[] }[]): Map<string, Float64Array> {
  const weekdaySum = new Float64Array(7);
  const weekdayCount = new Float64Array(7);
  const cleanOf = (w: (typeof work)[number], i: number): boolean => {
    for (const on of w.flagOn) if (on[i + w.offset] === 1) return false;
    // A day at a price away from the usual one is not a clean day either (it would bias the elasticity to 0).
    for (const z of w.levelZ) if (Math.abs(z[i]!) > CLEAN_Z) return false;
    for (const on of w.eventOn) {
      const code = on[i + w.offset];
      if (code !== undefined && code >= 0) return false;
    }
    return w.y[i] === w.y[i];
  };
  const clean = work.map((w) => {
    const mask = new Uint8Array(w.y.length);
    for (let i = 0; i < w.y.length; i++) {
      if (!cleanOf(w, i)) continue;
      mask[i] = 1;
      const d = dayOfWeek(w.first + i);
      weekdaySum[d]! += w.y[i]!;
      weekdayCount[d]!++;
    }
    return mask;
  });
  const weekdayMeans = Array.from(weekdaySum, (sum, d) => (weekdayCount[d]! > 0 ? sum / weekdayCount[d]! : Number.NaN));
  const known = weekdayMeans.filter((m) => m > 0);
  const overall = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const weekday = weekdayMeans.map((m) => (m > 0 ? m / overall : 1));
  const out = new Map<string, Float64Array>();
  work.forEach((w, k) => {
    const n = w.y.length;
    const ok = clean[k]!;
    const prefix = new Float64Array(n + 1);
    const count = new Float64Array(n + 1);
    const firstWeekday = dayOfWeek(w.first);
    for (let i = 0; i < n; i++) {
      const good = ok[i] === 1;
      prefix[i + 1] = prefix[i]! + (good ? w.y[i]! / weekday[(firstWeekday + i) % 7]! : 0);
      count[i + 1] = count[i]! + (good ? 1 : 0);
    }
    const baseline = new Float64Array(n).fill(Number.NaN);
    for (let i = 0; i < n; i++) {
      for (const half of BASELINE_HALF_WINDOWS) {
        const from = Math.max(0, i - half);
        const to = Math.min(n, i + half + 1);
        const days = count[to]! - count[from]!;
        if (days < MIN_BASELINE_DAYS) continue;
        baseline[i] = ((prefix[to]! - prefix[from]!) / days) * weekday[(firstWeekday + i) % 7]!;
        break;
      }
    }
    out.set(w.item, baseline);
  });
  return out;
}

/** Index of the first sorted position ≥ `from` (binary search). */
function firstAtOrAfter(positions: Int32Array, from: number): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (positions[mid]! < from) low = mid + 1;
    else high = mid;
  }
  return low;
}

function clampFactor(value: number): number {
  return Number.isFinite(value) ? Math.max(MIN_FACTOR, Math.min(MAX_FACTOR, value)) : 1;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
