import { describe, expect, test } from 'vitest';
import { calibrationOf, MIN_REALISED_DAYS } from '../../../core/domain/transport.js';
import type { RealisedDay } from '../../../core/ports/index.js';
import type { TotalsModel } from '../../../engine/index.js';

const day = (d: number, actual: number, withQuantiles = true): RealisedDay => ({
  store: 's',
  date: `2026-11-${String(1 + (d % 28)).padStart(2, '0')}`,
  runId: 'r',
  actual,
  forecast: 100,
  p10: 80,
  p90: 120,
  ...(withQuantiles ? { quantiles: { p50: 100, p80: 110, p90: 115, p95: 120 } } : {}),
});

const backtest = (points: number, p90: number): TotalsModel => ({ rho: 0.2, points, calibration: { p50: 0.5, p80: 0.8, p90, p95: 0.95 }, residuals: [] });

describe('calibration shown on the transport view', () => {
  test('the realised ledger once enough store-days recorded their quantiles: actual at or below each quantile', () => {
    // 40 days over two stores: actuals 90…129; at or below 100 / 110 / 115 / 120 on 11 / 21 / 26 / 31 days.
    const days = Array.from({ length: 40 }, (_, d) => day(d, 90 + d));
    const c = calibrationOf([days.slice(0, 20), days.slice(20)], [backtest(100, 0.5)]);
    expect(c).toEqual({ source: 'realised', days: 40, shares: { p50: 0.275, p80: 0.525, p90: 0.65, p95: 0.775 } });
  });

  test('the backtest, weighted by held-out store-days, while realised days are few; days without quantiles do not count', () => {
    const few = Array.from({ length: MIN_REALISED_DAYS - 1 }, (_, d) => day(d, 100));
    const old = Array.from({ length: 50 }, (_, d) => day(d, 100, false));
    const c = calibrationOf([few, old], [backtest(300, 0.88), backtest(100, 0.92), undefined, { ...backtest(50, 0.1), calibration: null }]);
    expect(c.source).toBe('backtest');
    expect(c.days).toBe(400);
    expect(c.shares.p90).toBeCloseTo((0.88 * 300 + 0.92 * 100) / 400, 3);
    expect(c.shares.p50).toBe(0.5);
  });

  test('nothing known: no source, no shares', () => {
    expect(calibrationOf([[]], [undefined])).toEqual({ source: null, days: 0, shares: { p50: null, p80: null, p90: null, p95: null } });
  });
});
