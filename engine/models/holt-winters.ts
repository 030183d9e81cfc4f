import { shapeAt, yearShape } from '../seasonality.js';
import type { FitInput, ModelFamily } from './types.js';

export interface HoltWintersState {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  level: number;
  trend: number;
  /** Weekly seasonal indices by weekday (Sunday first), multiplicative. */
  weekly: number[];
  /** Month-of-year (and day-of-month) factors the series was adjusted by before smoothing. */
  month: number[];
  dayOfMonth?: number[];
}

const ALPHAS = [0.02, 0.06, 0.15, 0.35];
const BETAS = [0, 0.01];
const GAMMAS = [0, 0.03];
const PHIS = [0.9, 0.98];
/** Two years is plenty to choose smoothing weights; older data only costs time. */
const FIT_WINDOW = 728;
const MAX_SEASONAL_RATIO = 5;

interface Run {
  sse: number;
  level: number;
  trend: number;
  weekly: number[];
}

/** The month-adjusted series and its weekdays, computed once for all the smoothing weights tried. */
interface Prepared {
  x: Float64Array;
  weekday: Uint8Array;
  initialLevel: number;
}

function prepare(input: FitInput, from: number): Prepared {
  const { y, startDay, cal, factors } = input;
  const calOffset = startDay - cal.firstDay;
  const x = new Float64Array(y.length - from);
  const weekday = new Uint8Array(y.length - from);
  for (let i = from; i < y.length; i++) {
    const c = calOffset + i;
    weekday[i - from] = cal.weekday[c]!;
    const v = y[i]!;
    x[i - from] = v !== v ? Number.NaN : v / yearShape(factors, cal, c);
  }
  return { x, weekday, initialLevel: initialLevel(input, from) };
}

function run(input: FitInput, prepared: Prepared, alpha: number, beta: number, gamma: number, phi: number): Run {
  const weekly = input.factors.weekday.slice();
  const { x: adjusted, weekday } = prepared;
  let level = prepared.initialLevel;
  let trend = 0;
  let sse = 0;
  for (let i = 0; i < adjusted.length; i++) {
    const d = weekday[i]!;
    const expected = level + phi * trend;
    const x = adjusted[i]!;
    if (x !== x) {
      level = Math.max(0, expected);
      trend *= phi;
      continue;
    }
    const s = weekly[d]!;
    const err = x - expected * s;
    sse += err * err;
    const newLevel = Math.max(0, alpha * (s > 0 ? x / s : x) + (1 - alpha) * expected);
    trend = beta * (newLevel - level) + (1 - beta) * phi * trend;
    level = newLevel;
    if (gamma > 0 && level > 0) weekly[d] = gamma * Math.min(MAX_SEASONAL_RATIO, x / level) + (1 - gamma) * s;
  }
  return { sse, level, trend, weekly };
}

function initialLevel(input: FitInput, from: number): number {
  const { y, startDay, cal, factors } = input;
  let sum = 0;
  let shape = 0;
  for (let i = from; i < Math.min(y.length, from + 28); i++) {
    const v = y[i]!;
    if (v !== v) continue;
    const c = startDay + i - cal.firstDay;
    sum += v;
    shape += shapeAt(factors, cal, c);
  }
  return shape > 0 ? sum / shape : 0;
}

/**
 * Holt-Winters with a damped additive trend and multiplicative weekly season, run on the series after
 * dividing out the month-of-year shape (a daily model cannot learn a 365-day season from a few years).
 * Smoothing weights are chosen by one-step-ahead squared error on the last two years.
 */
export const holtWinters: ModelFamily<HoltWintersState> = {
  name: 'holt_winters',
  fit(input) {
    const from = Math.max(0, input.y.length - FIT_WINDOW);
    const prepared = prepare(input, from);
    let best: (Run & { alpha: number; beta: number; gamma: number; phi: number }) | undefined;
    const given = input.weightsFrom as Partial<HoltWintersState> | undefined;
    if (given?.alpha !== undefined && given.beta !== undefined && given.gamma !== undefined && given.phi !== undefined) {
      const { alpha, beta, gamma, phi } = given;
      best = { ...run(input, prepared, alpha, beta, gamma, phi), alpha, beta, gamma, phi };
    }
    for (const alpha of best === undefined ? ALPHAS : [])
      for (const beta of BETAS)
        for (const gamma of GAMMAS)
          for (const phi of beta === 0 ? [1] : PHIS) {
            const result = run(input, prepared, alpha, beta, gamma, phi);
            if (best === undefined || result.sse < best.sse) best = { ...result, alpha, beta, gamma, phi };
          }
    const b = best!;
    const state: HoltWintersState = { alpha: b.alpha, beta: b.beta, gamma: b.gamma, phi: b.phi, level: b.level, trend: b.trend, weekly: b.weekly, month: input.factors.month.slice() };
    if (input.factors.dayOfMonth !== undefined) state.dayOfMonth = input.factors.dayOfMonth.slice();
    return state;
  },
  predict(state, originDay, horizon, cal) {
    const out = new Float64Array(horizon);
    let damped = 0;
    let phiPower = 1;
    for (let s = 1; s <= horizon; s++) {
      phiPower *= state.phi;
      damped += phiPower;
      const c = originDay + s - cal.firstDay;
      const value = (state.level + damped * state.trend) * state.weekly[cal.weekday[c]!]! * yearShape(state, cal, c);
      out[s - 1] = Math.max(0, value);
    }
    return out;
  },
};
