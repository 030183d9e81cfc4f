import { civilFromEpochDay, epochDayFromCivil, type EpochDay } from './dates.js';
import type { CalendarTable } from './calendar.js';
import type { SeriesHistory } from './history.js';

/** A store whose items usually sell at least this much in total is closed, not unlucky, on an all-zero day. */
const MIN_EXPECTED_UNITS = 10;
const LOOKBACK_DAYS = 28;

/**
 * Days on which the whole store sold nothing although it normally sells plenty: the store was closed.
 * Only the past is used to judge a day, so backtests never learn from their own future.
 */
export function detectClosedDays(series: readonly SeriesHistory[], firstDay: EpochDay, lastDay: EpochDay): EpochDay[] {
  const length = lastDay - firstDay + 1;
  if (length <= 0) return [];
  const totals = new Float64Array(length);
  const active = new Int32Array(length);
  for (const s of series) {
    const offset = s.startDay - firstDay;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (v !== v) continue;
      totals[offset + i]! += v;
      active[offset + i]!++;
    }
  }
  const closed: EpochDay[] = [];
  let windowSum = 0;
  let windowDays = 0;
  for (let t = 0; t < length; t++) {
    if (windowDays >= 7 && active[t]! > 0 && totals[t] === 0 && windowSum / windowDays >= MIN_EXPECTED_UNITS) closed.push(firstDay + t);
    if (active[t]! > 0) {
      windowSum += totals[t]!;
      windowDays++;
    }
    const leaving = t - LOOKBACK_DAYS;
    if (leaving >= 0 && active[leaving]! > 0) {
      windowSum -= totals[leaving]!;
      windowDays--;
    }
  }
  return closed;
}

/**
 * Month-days (e.g. 1225) on which the store was closed in every year of its history up to `cutoff`, at
 * least twice: those closures are planned, so the forecast for them is zero.
 */
export function recurringClosures(closedDays: readonly EpochDay[], storeFirstDay: EpochDay, cutoff: EpochDay, cal: CalendarTable): number[] {
  const counts = new Map<number, number>();
  for (const day of closedDays) {
    if (day > cutoff || !cal.covers(day)) continue;
    const key = cal.monthDay[day - cal.firstDay]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const firstYear = civilFromEpochDay(storeFirstDay).year;
  const lastYear = civilFromEpochDay(cutoff).year;
  const recurring: number[] = [];
  for (const [key, closedCount] of counts) {
    if (closedCount < 2 || key === 229) continue;
    let occurrences = 0;
    for (let year = firstYear; year <= lastYear; year++) {
      const day = epochDayFromCivil(year, Math.floor(key / 100), key % 100);
      if (day >= storeFirstDay && day <= cutoff) occurrences++;
    }
    if (closedCount === occurrences) recurring.push(key);
  }
  return recurring.sort((a, b) => a - b);
}

/** Recent occurrences of a weekday looked at, and how many must be known closures, to call it closed. */
const WEEKDAY_LOOKBACK_WEEKS = 8;
const MIN_CLOSED_WEEKS = 4;

/**
 * Weekdays (0 = Sunday) on which the store was closed every week recently: of the last eight such days up to
 * `cutoff`, none sold anything and at least four were known closures (a day absent from the data is neither).
 * Sundays in much of Europe: forecast as 0 even without a drivers file saying so.
 */
export function closedWeekdays(closedDays: readonly EpochDay[], sellingDays: ReadonlySet<EpochDay>, storeFirstDay: EpochDay, cutoff: EpochDay): number[] {
  const closed = new Set(closedDays);
  const weekdays: number[] = [];
  for (let back = 0; back < 7; back++) {
    const latest = cutoff - back;
    let closedCount = 0;
    let selling = false;
    for (let week = 0; week < WEEKDAY_LOOKBACK_WEEKS; week++) {
      const day = latest - 7 * week;
      if (day < storeFirstDay) break;
      if (sellingDays.has(day)) selling = true;
      else if (closed.has(day)) closedCount++;
    }
    if (!selling && closedCount >= MIN_CLOSED_WEEKS) weekdays.push((((latest + 4) % 7) + 7) % 7);
  }
  return weekdays.sort((a, b) => a - b);
}
