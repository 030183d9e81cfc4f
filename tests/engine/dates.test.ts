import { describe, expect, it } from 'vitest';
import { civilFromEpochDay, dayOfWeek, epochDayFromCivil, formatIsoDay, parseIsoDay } from '../../engine/dates.js';

describe('dates', () => {
  it('round-trips every day across leap years', () => {
    for (let day = epochDayFromCivil(1999, 12, 1); day < epochDayFromCivil(2025, 3, 1); day++) {
      expect(parseIsoDay(formatIsoDay(day))).toBe(day);
    }
  });

  it('agrees with Date on known days', () => {
    expect(epochDayFromCivil(2017, 3, 31)).toBe(Date.UTC(2017, 2, 31) / 86_400_000);
    expect(civilFromEpochDay(0)).toEqual({ year: 1970, month: 1, day: 1 });
    expect(dayOfWeek(parseIsoDay('2026-11-23')!)).toBe(1);
  });

  it.each(['2017-02-29', '2017-13-01', '2017-1-01', '17-01-01', '2017/01/01', '2017-01-32', '', 'tomorrow'])('rejects %j', (text) => {
    expect(parseIsoDay(text)).toBeUndefined();
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseIsoDay('2016-02-29')).toBeDefined();
  });
});
