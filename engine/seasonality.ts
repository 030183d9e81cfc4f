import type { CalendarTable } from './calendar.js';
import type { EpochDay } from './dates.js';

/**
 * Multiplicative weekday (Sunday first), month-of-year and day-of-month factors, each averaging 1. The
 * day-of-month shape is the store's pay-cycle (benefit days early in the month, thin days before payday);
 * it is optional so artifacts written before it existed still load.
 */
export interface SeasonalFactors {
  weekday: number[];
  month: number[];
  dayOfMonth?: number[];
}

export const FLAT_FACTORS: SeasonalFactors = { weekday: new Array<number>(7).fill(1), month: new Array<number>(12).fill(1) };

/**
 * Ratio-of-sums accumulators: sales against their centred moving average, by weekday and by month.
 * Kept as sums (not ratios) so a store's items can be pooled by simply adding them up, which weights
 * each item by its volume and lets thin items borrow the store's shape.
 */
export interface SeasonalSums {
  weekdaySales: Float64Array;
  weekdayBase: Float64Array;
  monthSales: Float64Array;
  monthBase: Float64Array;
  domSales: Float64Array;
  domBase: Float64Array;
  units: number;
}

export function emptySums(): SeasonalSums {
  return { weekdaySales: new Float64Array(7), weekdayBase: new Float64Array(7), monthSales: new Float64Array(12), monthBase: new Float64Array(12), domSales: new Float64Array(31), domBase: new Float64Array(31), units: 0 };
}

export function addSums(target: SeasonalSums, source: SeasonalSums): void {
  for (let d = 0; d < 7; d++) {
    target.weekdaySales[d]! += source.weekdaySales[d]!;
    target.weekdayBase[d]! += source.weekdayBase[d]!;
  }
  for (let m = 0; m < 12; m++) {
    target.monthSales[m]! += source.monthSales[m]!;
    target.monthBase[m]! += source.monthBase[m]!;
  }
  for (let d = 0; d < 31; d++) {
    target.domSales[d]! += source.domSales[d]!;
    target.domBase[d]! += source.domBase[d]!;
  }
  target.units += source.units;
}

const WEEK_HALF = 3;
/**
 * Moving averages accept windows with a few unknown or closed days, averaging the known ones: a store closed
 * every Sunday still gets its weekday and yearly shapes for the days it is open (the base is then the mean
 * of the open days, so open days' factors are not inflated by the closed day).
 */
const WEEK_MIN_VALID = 6;
const MONTH_MIN_VALID = 29;
// Five whole weeks around a day: long enough to average out a pay cycle's peak, short enough to follow the year.
const MONTH_HALF = 17;
// 53 whole weeks, so the yearly moving average carries no weekday imbalance.
const YEAR_HALF = 185;
const YEAR_MIN_VALID = 300;

/** Seasonal sums of `y[from..to]` (inclusive indices; NaN = missing). */
export function seasonalSums(y: Float64Array, startDay: EpochDay, from: number, to: number, cal: CalendarTable): SeasonalSums {
  const sums = emptySums();
  const length = to - from + 1;
  if (length <= 0) return sums;
  const prefix = new Float64Array(length + 1);
  const count = new Int32Array(length + 1);
  for (let i = 0; i < length; i++) {
    const v = y[from + i]!;
    const valid = v === v;
    prefix[i + 1] = prefix[i]! + (valid ? v : 0);
    count[i + 1] = count[i]! + (valid ? 1 : 0);
  }
  const calOffset = startDay + from - cal.firstDay;
  for (let i = WEEK_HALF; i < length - WEEK_HALF; i++) {
    const v = y[from + i]!;
    if (v !== v) continue;
    const valid = count[i + WEEK_HALF + 1]! - count[i - WEEK_HALF]!;
    if (valid < WEEK_MIN_VALID) continue;
    const base = (prefix[i + WEEK_HALF + 1]! - prefix[i - WEEK_HALF]!) / valid;
    const d = cal.weekday[calOffset + i]!;
    sums.weekdaySales[d]! += v;
    sums.weekdayBase[d]! += base;
    sums.units += v;
  }
  const weekdayShapeForDom = ratios(sums.weekdaySales, sums.weekdayBase, undefined);
  for (let i = MONTH_HALF; i < length - MONTH_HALF; i++) {
    const v = y[from + i]!;
    if (v !== v) continue;
    const valid = count[i + MONTH_HALF + 1]! - count[i - MONTH_HALF]!;
    if (valid < MONTH_MIN_VALID) continue;
    const base = (prefix[i + MONTH_HALF + 1]! - prefix[i - MONTH_HALF]!) / valid;
    const d = cal.dayOfMonth[calOffset + i]! - 1;
    sums.domSales[d]! += v / weekdayShapeForDom[cal.weekday[calOffset + i]!]!;
    sums.domBase[d]! += base;
  }
  // Months hold different mixes of weekdays (five Saturdays or four), so the month ratio is taken on
  // weekday-adjusted sales; otherwise a pure weekly pattern would leak into the month profile.
  const weekdayShape = ratios(sums.weekdaySales, sums.weekdayBase, undefined);
  for (let i = YEAR_HALF; i < length - YEAR_HALF; i++) {
    const v = y[from + i]!;
    if (v !== v) continue;
    const valid = count[i + YEAR_HALF + 1]! - count[i - YEAR_HALF]!;
    if (valid < YEAR_MIN_VALID) continue;
    const base = (prefix[i + YEAR_HALF + 1]! - prefix[i - YEAR_HALF]!) / valid;
    const m = cal.month[calOffset + i]!;
    sums.monthSales[m]! += v / weekdayShape[cal.weekday[calOffset + i]!]!;
    sums.monthBase[m]! += base;
  }
  return sums;
}

/**
 * A sparse item can sell nothing in some month; a zero factor would make its forecast zero there and its
 * deseasonalised values infinite, so factors are floored (items this thin lean on the store's shape anyway).
 */
const MIN_FACTOR = 0.1;

function ratios(sales: Float64Array, base: Float64Array, fallback: readonly number[] | undefined): number[] {
  const out: number[] = [];
  for (let k = 0; k < sales.length; k++) {
    const b = base[k]!;
    out.push(b > 0 ? Math.max(MIN_FACTOR, sales[k]! / b) : (fallback?.[k] ?? Number.NaN));
  }
  const known = out.filter((v) => Number.isFinite(v));
  const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  return out.map((v) => (Number.isFinite(v) && mean > 0 ? v / mean : 1));
}

/** Factors from sums; a factor with no data falls back to `fallback` (or 1). */
export function factorsFromSums(sums: SeasonalSums, fallback?: SeasonalFactors): SeasonalFactors {
  return {
    weekday: ratios(sums.weekdaySales, sums.weekdayBase, fallback?.weekday),
    month: ratios(sums.monthSales, sums.monthBase, fallback?.month),
    dayOfMonth: ratios(sums.domSales, sums.domBase, fallback?.dayOfMonth),
  };
}

/**
 * Blends an item's own factors toward its store's: an item with `units` sold keeps weight
 * units / (units + prior). Thin and new items end up with the store's shape, big items with their own.
 */
export function shrinkFactors(own: SeasonalSums, pooled: SeasonalFactors, weekdayPrior: number, monthPrior: number, dayOfMonthPrior?: number): SeasonalFactors {
  const ownFactors = factorsFromSums(own, pooled);
  const monthUnits = own.monthSales.reduce((a, b) => a + b, 0);
  const wWeight = own.units / (own.units + weekdayPrior);
  const mWeight = monthUnits / (monthUnits + monthPrior);
  const shrunk: SeasonalFactors = {
    weekday: ownFactors.weekday.map((v, d) => wWeight * v + (1 - wWeight) * pooled.weekday[d]!),
    month: ownFactors.month.map((v, m) => mWeight * v + (1 - mWeight) * pooled.month[m]!),
  };
  if (dayOfMonthPrior !== undefined) {
    // Only the store as a whole has enough sales per day-of-month; an item takes its store's shape.
    const domUnits = own.domSales.reduce((a, b) => a + b, 0);
    const dWeight = domUnits / (domUnits + dayOfMonthPrior);
    shrunk.dayOfMonth = ownFactors.dayOfMonth!.map((v, d) => dWeight * v + (1 - dWeight) * (pooled.dayOfMonth?.[d] ?? 1));
  } else if (pooled.dayOfMonth !== undefined) shrunk.dayOfMonth = pooled.dayOfMonth;
  return shrunk;
}

/** Month-of-year × day-of-month factor at calendar index `c` (everything but the weekday). */
export function yearShape(factors: Pick<SeasonalFactors, 'month' | 'dayOfMonth'>, cal: CalendarTable, c: number): number {
  const dom = factors.dayOfMonth;
  return factors.month[cal.month[c]!]! * (dom === undefined ? 1 : dom[cal.dayOfMonth[c]! - 1]!);
}

/** Weekday × month × day-of-month factor at calendar index `c`. */
export function shapeAt(factors: SeasonalFactors, cal: CalendarTable, c: number): number {
  return factors.weekday[cal.weekday[c]!]! * yearShape(factors, cal, c);
}
