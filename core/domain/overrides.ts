import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
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
  kind: 'percent' | 'absolute';
  value: number;
  /** Why (required). */
  note: string;
  /** Who made the latest change (the principal's userDetails). */
  by: string;
  /** When the latest change was made (ISO timestamp). */
  at: string;
  /** 1 when created, +1 on each edit. */
  version: number;
}

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
    if (range === undefined) continue;
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
  kind: 'percent' | 'absolute';
  value: number;
  note: string;
}

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
}

const invalid = (field: string, message: string): DomainError => new DomainError('invalid', `"${field}": ${message}`);

/**
 * Checks an override against the domain's rules and answers it normalised (note trimmed, items unique and
 * sorted). Throws DomainError('invalid') naming the field; nothing is written on a refusal.
 */
export function checkOverride(input: OverrideInput, rules: OverrideRules): OverrideInput {
  const { maxDays, maxItems, maxNoteChars, maxPercent, maxAbsolute } = OVERRIDE_LIMITS;
  if (!Number.isFinite(input.value)) throw invalid('value', 'must be a finite number');
  if (input.kind === 'percent' && (input.value < -100 || input.value > maxPercent)) throw invalid('value', `a percentage must be between −100 and ${maxPercent} (got ${input.value})`);
  if (input.kind === 'absolute' && (input.value < 0 || input.value > maxAbsolute)) throw invalid('value', `an absolute value must be between 0 and ${maxAbsolute} units (got ${input.value})`);
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
  return { from: input.from, to: input.to, ...(items === undefined ? {} : { items }), kind: input.kind, value: input.value, note };
}

/** Live overrides that still touch the current forecast (an expired one stays in the history only). */
export function unexpired(overrides: readonly Override[], firstDay: number | undefined): Override[] {
  if (firstDay === undefined) return [...overrides];
  return overrides.filter((o) => {
    const to = parseIsoDay(o.to);
    return to !== undefined && to >= firstDay;
  });
}
