import { civilFromEpochDay, dayOfWeek, daysInMonth, type EpochDay } from './dates.js';

/**
 * Weekday, month and month-day of every day in a range, computed once: models look these up in inner
 * loops millions of times, and civil-date conversion there would dominate the fit time.
 */
export class CalendarTable {
  readonly weekday: Uint8Array;
  readonly month: Uint8Array;
  readonly monthDay: Uint16Array;
  /** 1 … 31. */
  readonly dayOfMonth: Uint8Array;

  constructor(readonly firstDay: EpochDay, readonly lastDay: EpochDay) {
    const length = lastDay - firstDay + 1;
    this.weekday = new Uint8Array(length);
    this.month = new Uint8Array(length);
    this.monthDay = new Uint16Array(length);
    this.dayOfMonth = new Uint8Array(length);
    let { year, month, day } = civilFromEpochDay(firstDay);
    let weekday = dayOfWeek(firstDay);
    for (let i = 0; i < length; i++) {
      this.weekday[i] = weekday;
      this.month[i] = month - 1;
      this.monthDay[i] = month * 100 + day;
      this.dayOfMonth[i] = day;
      weekday = weekday === 6 ? 0 : weekday + 1;
      day++;
      if (day > daysInMonth(year, month)) {
        day = 1;
        month++;
        if (month > 12) {
          month = 1;
          year++;
        }
      }
    }
  }

  covers(day: EpochDay): boolean {
    return day >= this.firstDay && day <= this.lastDay;
  }
}
