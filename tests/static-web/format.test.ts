import { describe, expect, it } from 'vitest';
import { accuracyDescription, accuracyGrade, accuracyLabel, formatAge, formatBand, formatDay, formatElapsed, formatUnits, realisedLabel, storeLabel } from '../../static-web/src/format';
import { addDays, dateRange, daysBetween, isIsoDate, maxDate, minDate, parseIsoDay, unixSeconds } from '../../static-web/src/dates';

describe('dates', () => {
  it('parses real calendar days only', () => {
    expect(parseIsoDay('1970-01-02')).toBe(1);
    expect(isIsoDate('2017-02-29')).toBe(false);
    expect(isIsoDate('2016-02-29')).toBe(true);
    expect(isIsoDate('2017-7-1')).toBe(false);
  });
  it('does day arithmetic in UTC across month, year and DST boundaries', () => {
    expect(addDays('2017-12-31', 1)).toBe('2018-01-01');
    expect(addDays('2017-03-26', 1)).toBe('2017-03-27');
    expect(daysBetween('2017-07-01', '2017-09-28')).toBe(89);
    expect(dateRange('2017-02-27', 3)).toEqual(['2017-02-27', '2017-02-28', '2017-03-01']);
    expect(unixSeconds('1970-01-02')).toBe(86_400);
    expect(minDate([null, '2017-07-02', '2017-07-01', undefined])).toBe('2017-07-01');
    expect(maxDate([])).toBeUndefined();
  });
});

describe('formatting', () => {
  it('formats units: whole from 10 up, one decimal below, dash when missing', () => {
    expect(formatUnits(12345.6, 'en-US')).toBe('12,346');
    expect(formatUnits(2.44, 'en-US')).toBe('2.4');
    expect(formatUnits(0, 'en-US')).toBe('0');
    expect(formatUnits(null, 'en-US')).toBe('–');
    expect(formatUnits(Number.NaN, 'en-US')).toBe('–');
    expect(formatUnits(1234.5, 'de-DE')).toBe('1.235');
    expect(formatBand(2340, 2100, 2610, 'en-US')).toBe('2,340 (2,100–2,610)');
  });
  it('formats calendar days without shifting them by the time zone', () => {
    expect(formatDay('2017-07-01', 'en-US')).toBe('Sat, Jul 1');
  });
  it('says how old a forecast is', () => {
    const now = Date.parse('2017-07-01T12:00:00Z');
    expect(formatAge('2017-07-01T11:59:30Z', now)).toBe('just now');
    expect(formatAge('2017-07-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAge('2017-07-01T05:00:00Z', now)).toBe('7 h ago');
    expect(formatAge('2017-06-27T12:00:00Z', now)).toBe('4 days ago');
    expect(formatAge('2017-07-01T12:00:10Z', now)).toBe('just now');
    expect(formatAge('garbage', now)).toBe('');
  });
  it('formats elapsed run time', () => {
    expect(formatElapsed(0)).toBe('0 s');
    expect(formatElapsed(42_900)).toBe('42 s');
    expect(formatElapsed(65_000)).toBe('1 min 05 s');
    expect(formatElapsed(3_720_000)).toBe('1 h 02 min');
    expect(formatElapsed(-5)).toBe('0 s');
  });
  it('grades accuracy by SMAPE, else RMSSE', () => {
    expect(accuracyGrade(null)).toBe('unknown');
    expect(accuracyGrade({ smape: 12.2, rmsse: 2, horizon: 90, folds: 3 })).toBe('poor');
    // A store with a few slow sellers: SMAPE looks bad, RMSSE (scale-free) says the model is good.
    expect(accuracyGrade({ smape: 34.8, rmsse: 0.66, horizon: 28, folds: 3 })).toBe('good');
    expect(accuracyGrade({ smape: 22, rmsse: null, horizon: 90, folds: 3 })).toBe('fair');
    expect(accuracyGrade({ smape: 45, rmsse: null, horizon: 90, folds: 3 })).toBe('poor');
    expect(accuracyGrade({ smape: null, rmsse: 0.7, horizon: 28, folds: 3 })).toBe('good');
    expect(accuracyGrade({ smape: null, rmsse: 1.3, horizon: 28, folds: 3 })).toBe('poor');
    expect(accuracyGrade({ smape: null, rmsse: null, horizon: 0, folds: 0 })).toBe('unknown');
    expect(accuracyLabel({ smape: 12.44, rmsse: 0.712, horizon: 90, folds: 3 }, 'en-US')).toBe('SMAPE 12.4 % · RMSSE 0.71');
    expect(accuracyLabel(null)).toBe('Accuracy not measured yet');
    expect(accuracyDescription({ smape: 12, rmsse: null, horizon: 90, folds: 1 })).toBe('Good backtest accuracy over 1 fold of 90 days (lower is better).');
  });
  it('labels stores by name when they have one', () => {
    expect(storeLabel({ store: '7', name: null })).toBe('Store 7');
    expect(storeLabel({ store: 'TX_3', name: 'Waco' })).toBe('Waco (TX_3)');
  });
});

describe('realisedLabel', () => {
  it('says how the forecast did against what sold, in a planner\'s words', () => {
    expect(realisedLabel({ days: 7, wape: 0.0912, bias: 0.02, inside: 6, from: '2026-11-24', to: '2026-11-30' }, 'en-US')).toBe('Last 7 days: WAPE 9 %, 6 of 7 inside the band');
    expect(realisedLabel({ days: 1, wape: null, bias: null, inside: 0, from: '2026-11-30', to: '2026-11-30' }, 'en-US')).toBe('Last 1 day: nothing sold, 0 of 1 inside the band');
    expect(realisedLabel(null)).toBeNull();
    expect(realisedLabel(undefined)).toBeNull();
  });
});
