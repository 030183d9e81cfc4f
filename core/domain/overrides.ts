import { formatIsoDay, OPEN_COLUMN, parseIsoDay, type StoreDrivers } from '../../engine/index.js';
import type { ItemForecastView } from './api-views.js';
import { DomainError } from './errors.js';

/**
 * Planners' overrides of a store's forecast. An override covers [from, to] for every item of the store, or
 * only `items`. It is kept as the planner's intent, not as numbers, so it applies on top of every new model
 * forecast until it expires or is removed:
 * - `percent`: model × (1 + value / 100), so it re-applies to each morning's new model numbers;
 * - `absolute`: the value stays. For an item override it is each item's daily value; for a store override
 *   (no `items`) it is the store-day total, spread over the items in proportion to the model numbers (evenly
 *   when the model says 0 for every item), so the items still add up to what the planner typed.
 * - `promotion`: a planned promotion. It does not touch the numbers here: training sets the store's
 *   promotion driver (`driver`) to `value` on those days for those items (`applyPromotionOverrides`), and
 *   the model's forecast, rerun at once and every morning after, carries the uplift it learnt from past
 *   promotions. `adjustItems` leaves it out, so it gives no `adjusted` numbers.
 * Overlapping overrides are refused when created, so at most one applies to an item-day.
 */
export interface Override {
  id: string;
  store: string;
  /** ISO dates, inclusive. */
  from: string;
  to: string;
  /** Absent: the whole store. */
  items?: string[];
  kind: OverrideKind;
  /** Percent, units, or (promotion) the value the promotion driver takes on those days. */
  value: number;
  /** Promotion: the store's driver column it sets (chosen when made, from the store's drivers). */
  driver?: string;
  /** Why (required). */
  note: string;
  /** Who made the latest change (the principal's userDetails). */
  by: string;
  /** When the latest change was made (ISO timestamp). */
  at: string;
  /** 1 when created, +1 on each edit. */
  version: number;
}

export type OverrideKind = 'percent' | 'absolute' | 'promotion';

/** An override's (and an audit entry's) id as newOverrideId makes one; what the route and the table accept. */
export const OVERRIDE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const OVERRIDE_KINDS: readonly OverrideKind[] = ['percent', 'absolute', 'promotion'];

/**
 * An item's forecast with the overrides applied. `adjusted` is present only when an override touches the
 * item on one of its days (the days it does not touch carry the model number). The band moves with the
 * adjustment: on a day the model forecast f > 0 becomes a, p10 and p90 are multiplied by a / f (the planner
 * rescales the whole predictive distribution, keeping its relative width); on a day the model says 0 there
 * is nothing to scale, and the band collapses to the adjusted value. `adjustedP10`/`adjustedP90` accompany
 * `adjusted` for callers that need the band (transport's quantile sums); /forecasts does not return them.
 */
export type AdjustedItemView = ItemForecastView & { adjusted?: number[]; adjustedP10?: number[]; adjustedP90?: number[] };

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** Days of an override as epoch days; undefined when its dates are not ISO dates. */
function overrideDays(o: Pick<Override, 'from' | 'to'>): { from: number; to: number } | undefined {
  const from = parseIsoDay(o.from);
  const to = parseIsoDay(o.to);
  return from === undefined || to === undefined ? undefined : { from, to };
}

/** Applies in-force overrides to a store's items (same firstDate/length): percent re-applies to model numbers, absolute sets the value. */
export function adjustItems(items: readonly ItemForecastView[], overrides: readonly Override[]): AdjustedItemView[] {
  const out: AdjustedItemView[] = items.map((i) => ({ ...i }));
  if (overrides.length === 0 || items.length === 0) return out;
  const starts = items.map((i) => parseIsoDay(i.firstDate));
  // Store-wide absolute totals are spread per day over the items present that day.
  const storeTotals = new Map<number, number>();
  const touched = out.map(() => new Map<number, number>());
  for (const o of overrides) {
    const range = overrideDays(o);
    // A promotion is in the model's own numbers once the store reran with it.
    if (range === undefined || o.kind === 'promotion') continue;
    const only = o.items === undefined ? undefined : new Set(o.items);
    out.forEach((item, n) => {
      const start = starts[n];
      if (start === undefined || (only !== undefined && !only.has(item.item))) return;
      const lo = Math.max(range.from, start);
      const hi = Math.min(range.to, start + item.forecast.length - 1);
      for (let day = lo; day <= hi; day++) {
        const model = item.forecast[day - start]!;
        if (o.kind === 'percent') touched[n]!.set(day, Math.max(0, model * (1 + o.value / 100)));
        else if (only !== undefined) touched[n]!.set(day, o.value);
        else {
          storeTotals.set(day, o.value);
          touched[n]!.set(day, Number.NaN);
        }
      }
    });
  }
  if (storeTotals.size > 0) spreadStoreTotals(out, starts, touched, storeTotals);
  out.forEach((item, n) => {
    const days = touched[n]!;
    const start = starts[n];
    if (days.size === 0 || start === undefined) return;
    const adjusted = item.forecast.slice();
    const p10 = item.p10.slice();
    const p90 = item.p90.slice();
    for (const [day, value] of days) {
      const k = day - start;
      const model = item.forecast[k]!;
      const a = round(value);
      adjusted[k] = a;
      if (model > 0) {
        p10[k] = round(Math.min(a, item.p10[k]! * (a / model)));
        p90[k] = round(Math.max(a, item.p90[k]! * (a / model)));
      } else {
        p10[k] = a;
        p90[k] = a;
      }
    }
    item.adjusted = adjusted;
    item.adjustedP10 = p10;
    item.adjustedP90 = p90;
  });
  return out;
}

/** Replaces the NaN placeholders of store-wide absolute days by each item's share of the store-day total. */
function spreadStoreTotals(items: readonly ItemForecastView[], starts: readonly (number | undefined)[], touched: readonly Map<number, number>[], totals: ReadonlyMap<number, number>): void {
  for (const [day, total] of totals) {
    const members: number[] = [];
    let model = 0;
    items.forEach((item, n) => {
      if (Number.isNaN(touched[n]!.get(day))) {
        members.push(n);
        model += item.forecast[day - starts[n]!]!;
      }
    });
    for (const n of members) {
      const share = model > 0 ? items[n]!.forecast[day - starts[n]!]! / model : 1 / members.length;
      touched[n]!.set(day, total * share);
    }
  }
}

/** The first and last day of an override as ISO dates within [firstDay, lastDay], or undefined when outside. */
export function overrideWithin(o: Pick<Override, 'from' | 'to'>, firstDay: number, lastDay: number): { from: string; to: string } | undefined {
  const range = overrideDays(o);
  if (range === undefined) return undefined;
  const lo = Math.max(range.from, firstDay);
  const hi = Math.min(range.to, lastDay);
  return hi < lo ? undefined : { from: formatIsoDay(lo), to: formatIsoDay(hi) };
}

/** What a planner sends to create or edit an override (the HTTP layer has checked the shape). */
export interface OverrideInput {
  from: string;
  to: string;
  items?: string[] | undefined;
  kind: OverrideKind;
  /** Required for percent and absolute; a promotion's defaults to the driver's usual promoted value. */
  value?: number | undefined;
  note: string;
}

/** A checked override: a promotion's value resolved and its driver named. */
export type CheckedOverride = Omit<OverrideInput, 'value'> & { value: number; driver?: string };

/** Bounds of an override beyond the issue's rules: sane sizes for a note, an item list and a value. */
export const OVERRIDE_LIMITS = { maxDays: 366, maxItems: 200, maxNoteChars: 1000, maxPercent: 10_000, maxAbsolute: 1e9 } as const;

/** What a new or edited override is checked against: the store's current forecast and its other live overrides. */
export interface OverrideRules {
  /** The current forecast's first and last day (epoch days): today in the store's sense, and the horizon. */
  firstDay: number;
  lastDay: number;
  /** Items of the store's current run. */
  knownItems: ReadonlySet<string>;
  /** The store's other live overrides (an edited override is left out of its own check). */
  others: readonly Override[];
  /**
   * An edit may keep the start it already has even once that day has passed (an override running since last
   * week stays editable); any other start must be on or after `firstDay`.
   */
  keepFrom?: string;
  /** The store's promotion driver (`promotionDriver`); absent: a promotion override is refused. */
  promotion?: PromotionDriver | undefined;
  /** Named in the message refusing a promotion. */
  store?: string;
}

const invalid = (field: string, message: string): DomainError => new DomainError('invalid', `"${field}": ${message}`);

/**
 * Checks an override against the domain's rules and answers it normalised (note trimmed, items unique and
 * sorted). Throws DomainError('invalid') naming the field; nothing is written on a refusal.
 */
export function checkOverride(input: OverrideInput, rules: OverrideRules): CheckedOverride {
  const { maxDays, maxItems, maxNoteChars } = OVERRIDE_LIMITS;
  const value = checkValue(input, rules);
  const note = input.note.trim();
  if (note.length === 0) throw invalid('note', 'say why: the note is required');
  if (note.length > maxNoteChars) throw invalid('note', `at most ${maxNoteChars} characters (got ${note.length})`);
  const from = parseIsoDay(input.from);
  const to = parseIsoDay(input.to);
  if (from === undefined) throw invalid('from', `"${input.from.slice(0, 20)}" is not a date (YYYY-MM-DD)`);
  if (to === undefined) throw invalid('to', `"${input.to.slice(0, 20)}" is not a date (YYYY-MM-DD)`);
  if (from > to) throw invalid('to', `the range ends (${input.to}) before it starts (${input.from})`);
  if (to - from + 1 > maxDays) throw invalid('to', `an override covers at most ${maxDays} days (got ${to - from + 1})`);
  if (from < rules.firstDay && input.from !== rules.keepFrom) throw invalid('from', `${input.from} is in the past: the current forecast starts on ${formatIsoDay(rules.firstDay)}`);
  // Days that have passed are the audit's, not the planner's: an edit cannot make an override end before today.
  if (to < rules.firstDay) throw invalid('to', `${input.to} is in the past: the current forecast starts on ${formatIsoDay(rules.firstDay)}`);
  if (to > rules.lastDay) throw invalid('to', `${input.to} is beyond the forecast horizon (the current forecast ends on ${formatIsoDay(rules.lastDay)})`);
  let items: string[] | undefined;
  if (input.items !== undefined) {
    items = [...new Set(input.items)].sort();
    if (items.length === 0) throw invalid('items', 'name at least one item, or leave "items" out for the whole store');
    if (items.length > maxItems) throw invalid('items', `at most ${maxItems} items per override (got ${items.length}); leave "items" out for the whole store`);
    const unknown = items.filter((i) => !rules.knownItems.has(i));
    if (unknown.length > 0) throw invalid('items', `not in the store's current forecast: ${unknown.slice(0, 10).map((i) => `"${i.slice(0, 64)}"`).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`);
  }
  const clash = rules.others.find((o) => {
    const range = overrideDays(o);
    if (range === undefined || range.to < from || range.from > to) return false;
    if (o.items === undefined || items === undefined) return true;
    const theirs = new Set(o.items);
    return items.some((i) => theirs.has(i));
  });
  if (clash !== undefined) {
    const what = clash.items === undefined ? 'the whole store' : `items ${clash.items.slice(0, 5).join(', ')}${clash.items.length > 5 ? ' …' : ''}`;
    throw invalid('from', `overlaps override ${clash.id} (${clash.from} to ${clash.to}, ${what}); edit or delete that one instead`);
  }
  return { from: input.from, to: input.to, ...(items === undefined ? {} : { items }), kind: input.kind, value, ...(input.kind === 'promotion' ? { driver: rules.promotion!.column } : {}), note };
}

function checkValue(input: OverrideInput, rules: OverrideRules): number {
  const { maxPercent, maxAbsolute } = OVERRIDE_LIMITS;
  if (input.kind === 'promotion') {
    const promotion = rules.promotion;
    if (promotion === undefined) throw invalid('kind', `${rules.store === undefined ? 'the store' : `store ${rules.store}`} has no promotion driver to learn an uplift from (an item-level numeric driver, such as "promo", with promoted days in its history); use a percent override`);
    if (input.value === undefined) return promotion.promoted;
    if (!Number.isFinite(input.value)) throw invalid('value', 'must be a finite number');
    // The model learns the uplift of the values it has seen; a larger one would be extrapolated, not learnt.
    if (input.value <= promotion.baseline || input.value > promotion.max) throw invalid('value', `a promotion sets "${promotion.column}" above its usual ${promotion.baseline} and at most to ${promotion.max}, the highest value its history has (got ${input.value}); leave "value" out for ${promotion.promoted}`);
    return input.value;
  }
  if (input.value === undefined) throw invalid('value', 'is required for a percent or absolute override');
  if (!Number.isFinite(input.value)) throw invalid('value', 'must be a finite number');
  if (input.kind === 'percent' && (input.value < -100 || input.value > maxPercent)) throw invalid('value', `a percentage must be between −100 and ${maxPercent} (got ${input.value})`);
  if (input.kind === 'absolute' && (input.value < 0 || input.value > maxAbsolute)) throw invalid('value', `an absolute value must be between 0 and ${maxAbsolute} units (got ${input.value})`);
  return input.value;
}

/** Live overrides that still touch the current forecast (an expired one stays in the history only). */
export function unexpired(overrides: readonly Override[], firstDay: number | undefined): Override[] {
  if (firstDay === undefined) return [...overrides];
  return overrides.filter((o) => {
    const to = parseIsoDay(o.to);
    return to !== undefined && to >= firstDay;
  });
}

/**
 * The driver column a promotion override sets: an item-level numeric column (not `open`, not a price) that
 * the forecast markers read as a promotion (above its usual value), with promoted item-days in the history
 * so the model has an uplift to learn. A column named like "promo" wins; otherwise the one with the most
 * promoted item-days.
 */
export interface PromotionDriver {
  column: string;
  /** The column's usual value (the most frequent, as the markers take it): not promoted. */
  baseline: number;
  /** The most frequent value above the baseline in the history: what a promotion override sets by default. */
  promoted: number;
  /** The highest value in the history. */
  max: number;
  /** Promoted item-days in the history. */
  days: number;
}

const PROMOTION_NAME = /promo/i;

/** The store's promotion driver from its history days (before `firstForecastDay`); undefined when it has none. */
export function promotionDriver(drivers: StoreDrivers, firstForecastDay: number): PromotionDriver | undefined {
  let best: PromotionDriver | undefined;
  drivers.columns.forEach((column, c) => {
    if (column.kind !== 'numeric' || column.name === OPEN_COLUMN || column.scale === 'log') return;
    const arrays = [...drivers.items.values()].map((columns) => columns[c]).filter((v): v is Float64Array => v !== undefined);
    if (arrays.length === 0) return;
    const baseline = usualValue([drivers.storeValues[c], ...arrays]);
    const historyEnd = Math.min(drivers.lastDay, firstForecastDay - 1) - drivers.firstDay + 1;
    const counts = new Map<number, number>();
    let max = -Infinity;
    let days = 0;
    for (const values of arrays) {
      for (let i = 0; i < historyEnd; i++) {
        const v = values[i]!;
        if (!(v > baseline)) continue;
        counts.set(v, (counts.get(v) ?? 0) + 1);
        max = Math.max(max, v);
        days++;
      }
    }
    if (days === 0) return;
    let promoted = max;
    let most = 0;
    for (const [v, n] of counts) if (n > most || (n === most && v < promoted)) [promoted, most] = [v, n];
    const candidate = { column: column.name, baseline, promoted, max, days };
    const named = (d: PromotionDriver | undefined): boolean => d !== undefined && PROMOTION_NAME.test(d.column);
    if (best === undefined || (named(candidate) && !named(best)) || (named(candidate) === named(best) && days > best.days)) best = candidate;
  });
  return best;
}

/** The most frequent value (ties: the smaller), as the forecast markers take a column's baseline. */
function usualValue(arrays: readonly (Float64Array | undefined)[]): number {
  const counts = new Map<number, number>();
  for (const values of arrays) if (values !== undefined) for (const v of values) if (v === v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = 0;
  let bestCount = -1;
  for (const [value, n] of counts) if (n > bestCount || (n === bestCount && value < best)) [best, bestCount] = [value, n];
  return best;
}

export interface AppliedPromotions {
  drivers: StoreDrivers;
  /** The overrides applied (ids). */
  applied: string[];
  /** Why an override was not applied (a row the trainer cannot trust, a driver the store no longer has). */
  skipped: string[];
}

/**
 * The store's drivers with its promotion overrides applied: for each, the driver column it names takes its
 * value on its days from `firstForecastDay` on (the history's days keep what was recorded) for its items,
 * or every item of `items` when it names none. Items outside `items` are left out: an override's row is
 * read back from a table and is not trusted to name columns or items. The drivers are extended to the
 * override's last day when they end before it (other columns: not given). The input is not changed.
 */
export function applyPromotionOverrides(drivers: StoreDrivers, overrides: readonly Override[], items: readonly string[], firstForecastDay: number): AppliedPromotions {
  const known = new Set(items);
  const applied: string[] = [];
  const skipped: string[] = [];
  const plans: { column: number; value: number; from: number; to: number; items: string[] }[] = [];
  for (const o of overrides) {
    if (o.kind !== 'promotion') continue;
    const range = overrideDays(o);
    const column = o.driver === undefined ? -1 : drivers.columns.findIndex((c) => c.name === o.driver);
    const spec = drivers.columns[column];
    if (range === undefined || range.to - range.from + 1 > OVERRIDE_LIMITS.maxDays) skipped.push(`promotion override ${o.id}: its dates are not a valid range`);
    else if (spec === undefined || spec.kind !== 'numeric' || spec.name === OPEN_COLUMN || spec.scale === 'log') skipped.push(`promotion override ${o.id}: the store has no numeric driver "${String(o.driver).slice(0, 64)}" any more`);
    else if (!Number.isFinite(o.value)) skipped.push(`promotion override ${o.id}: its value is not a number`);
    else {
      const from = Math.max(range.from, firstForecastDay);
      const named = o.items ?? items;
      const present = named.filter((i) => known.has(i));
      if (present.length < named.length) skipped.push(`promotion override ${o.id}: ${named.length - present.length} item(s) not in the store's history left out`);
      if (from > range.to || present.length === 0) continue;
      plans.push({ column, value: o.value, from, to: range.to, items: present });
      applied.push(o.id);
    }
  }
  if (plans.length === 0) return { drivers, applied, skipped };
  const lastDay = Math.max(drivers.lastDay, ...plans.map((p) => p.to));
  const length = lastDay - drivers.firstDay + 1;
  const widen = (values: Float64Array): Float64Array => {
    if (values.length === length) return values;
    const out = new Float64Array(length).fill(Number.NaN);
    out.set(values);
    return out;
  };
  const itemColumns = new Map<string, (Float64Array | undefined)[]>();
  for (const [item, columns] of drivers.items) itemColumns.set(item, columns.map((v) => (v === undefined ? undefined : widen(v))));
  // Copied before a write: the arrays may be shared with the caller's drivers (or a cache).
  const written = new Set<Float64Array>();
  for (const plan of plans) {
    for (const item of plan.items) {
      const columns = itemColumns.get(item) ?? drivers.columns.map(() => undefined);
      itemColumns.set(item, columns);
      let values = columns[plan.column];
      if (values === undefined || !written.has(values)) {
        values = values === undefined ? new Float64Array(length).fill(Number.NaN) : Float64Array.from(values);
        columns[plan.column] = values;
        written.add(values);
      }
      for (let day = Math.max(plan.from, drivers.firstDay); day <= plan.to; day++) values[day - drivers.firstDay] = plan.value;
    }
  }
  return { drivers: { ...drivers, lastDay, storeValues: drivers.storeValues.map(widen), items: itemColumns }, applied, skipped };
}
