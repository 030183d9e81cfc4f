/**
 * Features of the learned family (issue 19): one row per (series, target day d, forecast origin a), built only from
 * what was known at the origin — sales up to a, the calendar, and the drivers and store attributes, which are
 * known ahead. The same builder makes training rows (origins drawn before the cut) and forecast rows (origin =
 * the cut), so a model can never see a feature at forecast time that it was not trained on.
 *
 * Sales enter as ratios to the series' own recent level, and the target is sales ÷ that level: one model then
 * serves a store's slow and fast items, and the stores of a chain, alike.
 */
import type { CalendarTable } from '../calendar.js';
import type { EpochDay } from '../dates.js';
import { OPEN_COLUMN, type StoreDrivers } from '../drivers.js';
import type { StoreAttributeKind, StoreAttributeValues } from '../store-attributes.js';

/** One series as the learned family reads it: `values` NaN where unknown or closed (never demand). */
export interface LearnedSeries {
  store: string;
  item: string;
  startDay: EpochDay;
  values: Float64Array;
}

/** A store's series with what is known ahead about the store. */
export interface LearnedStore {
  store: string;
  series: readonly LearnedSeries[];
  drivers?: StoreDrivers | undefined;
  attributes?: StoreAttributeValues | undefined;
}

/**
 * Which driver and attribute columns the features have, and the codes of their text values: fixed when a model
 * is fitted and stored with it, so rows built later (another store, a refresh) line up column for column.
 */
export interface FeatureSchema {
  drivers: { name: string; kind: 'numeric' | 'categorical'; labels: string[] }[];
  attributes: { name: string; kind: StoreAttributeKind; labels: string[] }[];
  names: string[];
}

/** The series' own level: mean of the known days in this many days up to the origin. */
const LEVEL_DAYS = 91;
/** A level below this (nearly no sales) would turn one sale into a huge ratio. */
const MIN_LEVEL = 0.05;
const YEAR = 364;
const PRICE_WINDOW = 365;
const MAX_AGE = 1000;

const BASE_FEATURES = ['step', 'weekday', 'day_of_month', 'month', 'month_day', 'log_level', 'recent_7', 'recent_28', 'same_weekday_4', 'weekday_profile', 'last_year_season', 'year_growth', 'zero_share', 'age', 'store_recent_28'] as const;

/** The schema for a set of stores: every driver column any of them has, every attribute column, text codes sorted. */
export function featureSchema(stores: readonly LearnedStore[]): FeatureSchema {
  const drivers = new Map<string, { kind: 'numeric' | 'categorical'; labels: Set<string> }>();
  const attributes = new Map<string, { kind: StoreAttributeKind; labels: Set<string> }>();
  for (const s of stores) {
    s.drivers?.columns.forEach((column, c) => {
      const entry = drivers.get(column.name) ?? { kind: column.kind, labels: new Set<string>() };
      drivers.set(column.name, entry);
      if (column.kind === 'categorical') for (const label of s.drivers!.labels[c] ?? []) entry.labels.add(label);
    });
    s.attributes?.columns.forEach((column, c) => {
      const entry = attributes.get(column.name) ?? { kind: column.kind, labels: new Set<string>() };
      attributes.set(column.name, entry);
      const value = s.attributes!.values[c];
      if (column.kind === 'text' && typeof value === 'string') entry.labels.add(value);
    });
  }
  const byName = <T>(m: Map<string, T>): [string, T][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const schema: FeatureSchema = {
    drivers: byName(drivers).map(([name, e]) => ({ name, kind: e.kind, labels: [...e.labels].sort() })),
    attributes: byName(attributes).map(([name, e]) => ({ name, kind: e.kind, labels: [...e.labels].sort() })),
    names: [],
  };
  schema.names = featureNames(schema);
  return schema;
}

export function featureNames(schema: Omit<FeatureSchema, 'names'>): string[] {
  const names: string[] = [...BASE_FEATURES];
  for (const d of schema.drivers) {
    if (d.name === OPEN_COLUMN) names.push('closed_day_before', 'closed_day_after', 'days_since_closed', 'days_to_closed');
    else if (d.kind === 'numeric') names.push(`${d.name}`, `${d.name}_day_before`, `${d.name}_day_after`, `${d.name}_vs_usual`, `${d.name}_days_on`);
    else names.push(`${d.name}`, `${d.name}_day_before`, `${d.name}_day_after`);
  }
  for (const a of schema.attributes) names.push(a.kind === 'date' ? `${a.name}_days_since` : a.name);
  return names;
}

/** Running sums of one series, so any window's mean costs two lookups. */
export class SeriesSums {
  readonly first: EpochDay;
  readonly last: EpochDay;
  /** Day of the first sale (leading zeros are not part of an item's life). */
  readonly firstSale: EpochDay;
  private readonly sum: Float64Array;
  private readonly known: Int32Array;
  private readonly zeros: Int32Array;

  constructor(readonly series: LearnedSeries) {
    const v = series.values;
    this.first = series.startDay;
    this.last = series.startDay + v.length - 1;
    this.sum = new Float64Array(v.length + 1);
    this.known = new Int32Array(v.length + 1);
    this.zeros = new Int32Array(v.length + 1);
    let firstSale = -1;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      const ok = x === x;
      this.sum[i + 1] = this.sum[i]! + (ok ? x : 0);
      this.known[i + 1] = this.known[i]! + (ok ? 1 : 0);
      this.zeros[i + 1] = this.zeros[i]! + (ok && x === 0 ? 1 : 0);
      if (firstSale < 0 && ok && x > 0) firstSale = i;
    }
    this.firstSale = firstSale < 0 ? this.last + 1 : series.startDay + firstSale;
  }

  private span(from: EpochDay, to: EpochDay): [number, number] {
    const lo = Math.max(from, this.first) - this.first;
    const hi = Math.min(to, this.last) - this.first + 1;
    return [lo, Math.max(lo, hi)];
  }

  /** Mean of the known days in [from, to]; NaN when none is known. */
  mean(from: EpochDay, to: EpochDay): number {
    const [lo, hi] = this.span(from, to);
    const n = this.known[hi]! - this.known[lo]!;
    return n > 0 ? (this.sum[hi]! - this.sum[lo]!) / n : Number.NaN;
  }

  knownDays(from: EpochDay, to: EpochDay): number {
    const [lo, hi] = this.span(from, to);
    return this.known[hi]! - this.known[lo]!;
  }

  zeroShare(from: EpochDay, to: EpochDay): number {
    const [lo, hi] = this.span(from, to);
    const n = this.known[hi]! - this.known[lo]!;
    return n > 0 ? (this.zeros[hi]! - this.zeros[lo]!) / n : Number.NaN;
  }

  value(day: EpochDay): number {
    return day < this.first || day > this.last ? Number.NaN : this.series.values[day - this.first]!;
  }
}

/** The level a row's sales are divided by, or undefined when the series has no known day in the window. */
function levelAt(sums: SeriesSums, origin: EpochDay): number | undefined {
  const m = sums.mean(origin - LEVEL_DAYS + 1, origin);
  return m === m ? Math.max(m, MIN_LEVEL) : undefined;
}

/** One driver column of one series, resolved (the item's own rows over the store's) with running sums for its usual level. */
interface DriverColumnView {
  values: Float64Array;
  firstDay: EpochDay;
  /** For numeric columns: running sum and count of the given days, for the usual value before the origin. */
  sum?: Float64Array;
  count?: Int32Array;
  /** For categorical columns: store label code → schema code. */
  codes?: Int32Array;
}

/** Everything the builder needs of one store, prepared once. */
export class StoreFeatureSource {
  readonly sums: SeriesSums[];
  readonly storeSums: SeriesSums;
  private readonly driverViews = new Map<number, (DriverColumnView | undefined)[]>();
  private readonly attributeValues: number[];
  private readonly attributeIsDate: boolean[];

  constructor(readonly source: LearnedStore, readonly schema: FeatureSchema) {
    this.sums = source.series.map((s) => new SeriesSums(s));
    this.storeSums = new SeriesSums(storeTotal(source.series));
    this.attributeIsDate = schema.attributes.map((a) => a.kind === 'date');
    this.attributeValues = schema.attributes.map((a) => {
      const attrs = source.attributes;
      const c = attrs?.columns.findIndex((col) => col.name === a.name) ?? -1;
      if (attrs === undefined || c < 0) return Number.NaN;
      const value = attrs.values[c];
      if (value === null || value === undefined) return Number.NaN;
      if (typeof value === 'string') {
        const code = a.labels.indexOf(value);
        return code >= 0 ? code : Number.NaN;
      }
      return attrs.columns[c]!.kind === a.kind ? value : Number.NaN;
    });
  }

  /** True when series k sold nothing on any known day of the level window before `origin`: a dormant item. */
  dormant(k: number, origin: EpochDay): boolean {
    return this.sums[k]!.mean(origin - LEVEL_DAYS + 1, origin) === 0;
  }

  private driverColumns(k: number): (DriverColumnView | undefined)[] {
    let views = this.driverViews.get(k);
    if (views !== undefined) return views;
    const drivers = this.source.drivers;
    const item = this.source.series[k]!.item;
    views = this.schema.drivers.map((d) => {
      if (drivers === undefined) return undefined;
      const c = drivers.columns.findIndex((col) => col.name === d.name);
      if (c < 0 || drivers.columns[c]!.kind !== d.kind) return undefined;
      const own = drivers.items.get(item)?.[c];
      const storeValues = drivers.storeValues[c]!;
      let values = storeValues;
      if (own !== undefined) {
        values = Float64Array.from(own);
        for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) values[i] = storeValues[i]!;
      }
      const view: DriverColumnView = { values, firstDay: drivers.firstDay };
      if (d.kind === 'numeric') {
        view.sum = new Float64Array(values.length + 1);
        view.count = new Int32Array(values.length + 1);
        for (let i = 0; i < values.length; i++) {
          const x = values[i]!;
          view.sum[i + 1] = view.sum[i]! + (x === x ? x : 0);
          view.count[i + 1] = view.count[i]! + (x === x ? 1 : 0);
        }
      } else {
        const labels = drivers.labels[c] ?? [];
        view.codes = Int32Array.from(labels, (label) => d.labels.indexOf(label));
      }
      return view;
    });
    this.driverViews.set(k, views);
    return views;
  }

  /**
   * Writes the features of series `k` for target day `day` seen from `origin` into `out` at `row` (column-major,
   * `rows` per column). Returns the level the target is divided by, or undefined when the row cannot be built.
   */
  write(k: number, origin: EpochDay, day: EpochDay, cal: CalendarTable, out: Float32Array, rows: number, row: number): number | undefined {
    const sums = this.sums[k]!;
    const level = levelAt(sums, origin);
    if (level === undefined) return undefined;
    let f = 0;
    const put = (x: number): void => {
      out[f * rows + row] = Number.isFinite(x) ? x : Number.NaN;
      f++;
    };
    const ci = day - cal.firstDay;
    const weekday = cal.weekday[ci]!;
    put(day - origin);
    put(weekday);
    put(cal.dayOfMonth[ci]!);
    put(cal.month[ci]!);
    put(cal.monthDay[ci]!);
    put(Math.log1p(level));
    put(sums.mean(origin - 6, origin) / level);
    put(sums.mean(origin - 27, origin) / level);
    // The latest four days of the target's weekday that were known at the origin.
    let sameSum = 0;
    let sameN = 0;
    for (let back = day - 7 * Math.ceil((day - origin) / 7); sameN < 4 && back > origin - 8 * 7; back -= 7) {
      const v = sums.value(back);
      if (v === v) {
        sameSum += v;
        sameN++;
      }
    }
    put(sameN > 0 ? sameSum / sameN / level : Number.NaN);
    // The weekday's share over the last year (the item's own weekly shape).
    let wdSum = 0;
    let wdN = 0;
    for (let back = origin - (((origin - day) % 7) + 7) % 7; back > origin - YEAR; back -= 7) {
      const v = sums.value(back);
      if (v === v) {
        wdSum += v;
        wdN++;
      }
    }
    const yearMean = sums.mean(origin - YEAR + 1, origin);
    put(wdN > 0 && yearMean > 0 ? wdSum / wdN / yearMean : Number.NaN);
    // Last year around the target day, against last year's level at the same distance from its origin.
    const lastYearBase = sums.mean(origin - YEAR - LEVEL_DAYS + 1, origin - YEAR);
    const lastYearDay = sums.mean(day - YEAR - 3, Math.min(day - YEAR + 3, origin));
    put(lastYearBase > 0 ? lastYearDay / lastYearBase : Number.NaN);
    put(lastYearBase > 0 ? sums.mean(origin - LEVEL_DAYS + 1, origin) / lastYearBase : Number.NaN);
    put(sums.zeroShare(origin - LEVEL_DAYS + 1, origin));
    put(Math.min(MAX_AGE, origin - sums.firstSale));
    const storeLevel = this.storeSums.mean(origin - LEVEL_DAYS + 1, origin);
    put(storeLevel > 0 ? this.storeSums.mean(origin - 27, origin) / storeLevel : Number.NaN);

    const views = this.driverColumns(k);
    this.schema.drivers.forEach((d, c) => {
      const view = views[c];
      const at = (x: EpochDay): number => (view === undefined ? Number.NaN : (view.values[x - view.firstDay] ?? Number.NaN));
      if (d.name === OPEN_COLUMN) {
        put(view === undefined ? Number.NaN : at(day - 1) === 0 ? 1 : 0);
        put(view === undefined ? Number.NaN : at(day + 1) === 0 ? 1 : 0);
        put(view === undefined ? Number.NaN : daysUntil(at, day, -1));
        put(view === undefined ? Number.NaN : daysUntil(at, day, 1));
      } else if (d.kind === 'numeric') {
        const v = at(day);
        put(v);
        put(at(day - 1));
        put(at(day + 1));
        let usual = Number.NaN;
        if (view?.sum !== undefined && view.count !== undefined) {
          const lo = Math.max(0, Math.min(view.values.length, origin - PRICE_WINDOW + 1 - view.firstDay));
          const hi = Math.max(lo, Math.min(view.values.length, origin + 1 - view.firstDay));
          const n = view.count[hi]! - view.count[lo]!;
          if (n > 0) usual = (view.sum[hi]! - view.sum[lo]!) / n;
        }
        put(usual !== 0 ? v / usual : Number.NaN);
        // How long the value has held: the first days of a promotion sell differently from its last.
        let run = 0;
        if (v === v) while (run < 14 && at(day - run - 1) === v) run++;
        put(v === v ? run : Number.NaN);
      } else {
        const code = (x: EpochDay): number => {
          const raw = at(x);
          if (raw !== raw) return Number.NaN;
          return raw < 0 ? -1 : (view?.codes?.[raw] ?? Number.NaN);
        };
        put(code(day));
        put(code(day - 1));
        put(code(day + 1));
      }
    });
    this.schema.attributes.forEach((_, c) => {
      const v = this.attributeValues[c]!;
      put(this.attributeIsDate[c] ? day - v : v);
    });
    return level;
  }
}

/** Days from `day` to the nearest closed day in `direction` (−1 back, +1 ahead), at most 7 (8 = none near). */
function daysUntil(at: (d: EpochDay) => number, day: EpochDay, direction: -1 | 1): number {
  for (let n = 1; n <= 7; n++) if (at(day + direction * n) === 0) return n;
  return 8;
}

/** The store's total per day over the days any of its series is known. */
function storeTotal(series: readonly LearnedSeries[]): LearnedSeries {
  let first = Infinity;
  let last = -Infinity;
  for (const s of series) {
    first = Math.min(first, s.startDay);
    last = Math.max(last, s.startDay + s.values.length - 1);
  }
  if (!Number.isFinite(first)) return { store: '', item: '', startDay: 0, values: new Float64Array(0) };
  const values = new Float64Array(last - first + 1).fill(Number.NaN);
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (v !== v) continue;
      const j = s.startDay + i - first;
      values[j] = (values[j]! === values[j]! ? values[j] : 0) + v;
    }
  }
  return { store: series[0]!.store, item: '', startDay: first, values };
}
