/**
 * Quantiles of sums of forecasts: a store-day total over its items, a region total over its stores.
 *
 * The quantile of a sum is neither the sum of the parts' quantiles (that assumes every item has its bad day
 * together) nor a sum of independent intervals (items share the store's traffic, weather and promotions).
 * Each part's predictive distribution is read from what a forecast row holds — mean, p10, p90 — as a shifted
 * gamma (the skew from the band's asymmetry, the scale from its width). The parts are joined by one pairwise
 * dependence `rho` (one common factor, as a Gaussian copula with equal loadings would): the sum's variance is
 * Σσ² + rho·((Σσ)² − Σσ²), its third cumulant Σ γᵢσᵢ(rho·Σσ + (1 − rho)σᵢ)² (exact to first order in the
 * parts' skews), and its quantiles those of the shifted gamma with these three moments. A single part comes
 * back as it went in, and rho = 1 over parts of one shape gives the sum of their quantiles.
 */
import { formatIsoDay, parseIsoDay } from './dates.js';

export const SERVICE_LEVELS = ['p50', 'p80', 'p90', 'p95'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];
export const LEVEL_PROBABILITY: Readonly<Record<ServiceLevel, number>> = Object.freeze({ p50: 0.5, p80: 0.8, p90: 0.9, p95: 0.95 });

/** One part of a sum: an item-day's (or a store-day's) predictive distribution, as the forecast rows hold it. */
export interface Marginal {
  mean: number;
  p10: number;
  p90: number;
}

export interface SumQuantiles extends Marginal {
  quantiles: Record<ServiceLevel, number>;
}

/** What training learns about a store's totals (persisted as CurrentForecast.totals, validated on read). */
export interface TotalsModel {
  /** Item-to-item dependence within the store, from held-out backtest residuals. */
  rho: number;
  /** Held-out store-days it rests on. */
  points: number;
  /** Held-out share of backtest store-day totals below each quantile (rho estimated without the fold judged). */
  calibration: Record<ServiceLevel, number> | null;
  /** Standardised held-out store-day total residuals, by date: how stores move together (estimateCrossRho). */
  residuals: { date: string; z: number }[];
}

/** Beyond this skewness the gamma family gains nothing a forecast band can tell apart (shape 0.25). */
const MAX_SKEW = 4;
const SKEW_STEP = 0.05;
/** Grid points on each side of skewness 0. */
const GRID_HALF = Math.round(MAX_SKEW / SKEW_STEP);
/** Below this skewness the Wilson–Hilferty approximation of gamma quantiles is exact to well under 0.1 %. */
const WILSON_HILFERTY_SKEW = 0.3;
/** Probabilities the standardised gamma table holds: the band, the service levels, and their mirrors (negative skew). */
const TABLE_PROBABILITIES = [0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95] as const;

function normalQuantile(p: number): number {
  // Acklam's rational approximation (relative error < 1.2e-9): only needed for the table's few probabilities.
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

function logGamma(x: number): number {
  const g = [76.18009172947146, -86.50532032941678, 24.01409824083091, -1.231739572450155, 1.208650973866179e-3, -5.395239384953e-6];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let series = 1.000000000190015;
  for (const coefficient of g) series += coefficient / ++y;
  return -tmp + Math.log((2.506628274631 * series) / x);
}

/** Regularised lower incomplete gamma P(shape, x) (series below shape + 1, continued fraction above). */
function gammaCdf(shape: number, x: number): number {
  if (x <= 0) return 0;
  const logPrefix = shape * Math.log(x) - x - logGamma(shape);
  if (x < shape + 1) {
    let term = 1 / shape;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (shape + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return sum * Math.exp(logPrefix);
  }
  const tiny = 1e-300;
  let b = x + 1 - shape;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - shape);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 - Math.exp(logPrefix) * h;
}

/** The p-quantile of a gamma with mean 0 and variance 1 and skewness `skew` > 0 (shape 4/skew²). */
function standardGammaQuantile(skew: number, p: number): number {
  const z = normalQuantile(p);
  if (skew < 1e-9) return z;
  if (skew <= WILSON_HILFERTY_SKEW) {
    const base = 1 - (skew * skew) / 36 + (skew * z) / 6;
    return (2 / skew) * (base * base * base - 1);
  }
  const shape = 4 / (skew * skew);
  const logNorm = logGamma(shape);
  // Newton on the CDF from a point inside the bracket, bisecting whenever a step would leave it: a few steps
  // instead of 60 bisections (the table is built on the first call, on the transport endpoint's cold start).
  let lo = 0;
  let hi = shape + 20 * Math.sqrt(shape) + 50;
  let x = shape;
  for (let i = 0; i < 100; i++) {
    const error = gammaCdf(shape, x) - p;
    if (Math.abs(error) < 1e-12) break;
    if (error < 0) lo = x;
    else hi = x;
    const density = Math.exp((shape - 1) * Math.log(x) - x - logNorm);
    const next = x - error / density;
    x = next > lo && next < hi && Number.isFinite(next) ? next : (lo + hi) / 2;
    if (hi - lo < 1e-12 * Math.max(1, x)) break;
  }
  return (x - shape) / Math.sqrt(shape);
}

interface GammaTable {
  /** Standardised quantiles per probability of TABLE_PROBABILITIES, on the skewness grid −MAX_SKEW … MAX_SKEW. */
  quantiles: Float64Array[];
  /**
   * A band's asymmetry u = (above − below) / (above + below), on a uniform grid over [−1, 1], mapped to the
   * skewness whose standardised gamma has it and to that gamma's p90 − p10: reading a part is then one lookup.
   */
  skewAtAsymmetry: Float64Array;
  widthAtAsymmetry: Float64Array;
}

const ASYMMETRY_STEPS = 2000;

let table: GammaTable | undefined;

function gammaTable(): GammaTable {
  if (table !== undefined) return table;
  const half = GRID_HALF;
  const size = 2 * half + 1;
  const quantiles = TABLE_PROBABILITIES.map(() => new Float64Array(size));
  const positive = Array.from({ length: half + 1 }, (_, i) => TABLE_PROBABILITIES.map((p) => standardGammaQuantile(i * SKEW_STEP, p)));
  for (let i = 0; i < size; i++) {
    const row = positive[Math.abs(i - half)]!;
    TABLE_PROBABILITIES.forEach((_, j) => {
      // A left-skewed gamma is the mirror image: its p-quantile is minus the (1 − p)-quantile of the right-skewed one.
      quantiles[j]![i] = i >= half ? row[j]! : -row[TABLE_PROBABILITIES.length - 1 - j]!;
    });
  }
  const p10 = quantiles[1]!;
  const p90 = quantiles[5]!;
  // (p90 − mean − (mean − p10)) / (p90 − p10) on the skewness grid: increasing, so it can be inverted.
  const asymmetry = new Float64Array(size);
  for (let i = 0; i < size; i++) asymmetry[i] = (p90[i]! + p10[i]!) / (p90[i]! - p10[i]!);
  const skewAtAsymmetry = new Float64Array(ASYMMETRY_STEPS + 1);
  const widthAtAsymmetry = new Float64Array(ASYMMETRY_STEPS + 1);
  let k = 0;
  for (let step = 0; step <= ASYMMETRY_STEPS; step++) {
    const u = -1 + (2 * step) / ASYMMETRY_STEPS;
    while (k < size - 2 && asymmetry[k + 1]! <= u) k++;
    const w = Math.max(0, Math.min(1, (u - asymmetry[k]!) / (asymmetry[k + 1]! - asymmetry[k]!)));
    skewAtAsymmetry[step] = (k - half + w) * SKEW_STEP;
    widthAtAsymmetry[step] = interpolate(p90, k, w) - interpolate(p10, k, w);
  }
  table = { quantiles, skewAtAsymmetry, widthAtAsymmetry };
  return table;
}

/** Where `skew` falls on the grid: the lower index and the weight of the next one. */
function gridPosition(skew: number): { i: number; w: number } {
  const x = Math.max(0, Math.min(2 * GRID_HALF, (skew + MAX_SKEW) / SKEW_STEP));
  const i = Math.min(2 * GRID_HALF - 1, Math.floor(x));
  return { i, w: x - i };
}

function interpolate(values: Float64Array, i: number, w: number): number {
  return values[i]! + (values[i + 1]! - values[i]!) * w;
}

/** A part's standard deviation and skewness, read from its mean and band as a shifted gamma. */
export interface PartShape {
  sd: number;
  skew: number;
}

/**
 * Reads one marginal: the skewness whose standardised gamma has the band's asymmetry, the standard deviation
 * that gives the band's width. A band with nothing below the mean (p10 = mean), or more lopsided than a gamma of
 * skewness 4, reads as skewness 4.
 */
export function partShape(part: Marginal): PartShape {
  // Read through addPart, so the shape a test checks is the one every sum uses.
  const moments = emptyMoments();
  addPart(moments, part);
  return moments.sd > 0 ? { sd: moments.sd, skew: moments.skewSd / moments.sd } : { sd: 0, skew: 0 };
}

/** Running sums over parts from which the sum's moments follow for any rho (so one pass serves several rhos). */
export interface SumMoments {
  /** Σ mean. */
  mean: number;
  /** Σσ²: the sum's variance when the parts are independent. */
  variance: number;
  /** Σσ: the sum's standard deviation when they are comonotone. */
  sd: number;
  /** Σγσ, Σγσ², Σγσ³: the third cumulant's terms (γ a part's skewness). */
  skewSd: number;
  skewSd2: number;
  skewSd3: number;
}

export function emptyMoments(): SumMoments {
  return { mean: 0, variance: 0, sd: 0, skewSd: 0, skewSd2: 0, skewSd3: 0 };
}

export function addPart(into: SumMoments, part: Marginal): void {
  const mean = Number.isFinite(part.mean) ? part.mean : 0;
  into.mean += mean;
  // The table read inline: the transport view reads every item of every store-day, and allocations there add up.
  const below = mean - part.p10 > 0 ? mean - part.p10 : 0;
  const above = part.p90 - mean > 0 ? part.p90 - mean : 0;
  const width = below + above;
  if (!(width > 0) || !Number.isFinite(width)) return;
  const t = gammaTable();
  const x = ((above - below) / width + 1) * (ASYMMETRY_STEPS / 2);
  const i = x >= ASYMMETRY_STEPS ? ASYMMETRY_STEPS - 1 : Math.floor(x);
  const w = x - i;
  const sd = width / (t.widthAtAsymmetry[i]! + (t.widthAtAsymmetry[i + 1]! - t.widthAtAsymmetry[i]!) * w);
  const skew = t.skewAtAsymmetry[i]! + (t.skewAtAsymmetry[i + 1]! - t.skewAtAsymmetry[i]!) * w;
  const sd2 = sd * sd;
  into.variance += sd2;
  into.sd += sd;
  into.skewSd += skew * sd;
  into.skewSd2 += skew * sd2;
  into.skewSd3 += skew * sd2 * sd;
}

function clampRho(rho: number): number {
  return Number.isFinite(rho) ? Math.max(0, Math.min(1, rho)) : 0;
}

/** The sum's mean, standard deviation and skewness under pairwise dependence `rho`. */
export function sumShape(moments: SumMoments, rho: number): { mean: number; sd: number; skew: number } {
  const r = clampRho(rho);
  const variance = Math.max(0, (1 - r) * moments.variance + r * moments.sd * moments.sd);
  const sd = Math.sqrt(variance);
  if (!(sd > 0)) return { mean: moments.mean, sd: 0, skew: 0 };
  const third = r * r * moments.sd * moments.sd * moments.skewSd + 2 * r * (1 - r) * moments.sd * moments.skewSd2 + (1 - r) * (1 - r) * moments.skewSd3;
  const skew = Math.max(-MAX_SKEW, Math.min(MAX_SKEW, third / (variance * sd)));
  return { mean: moments.mean, sd, skew };
}

/** Quantiles at p10, p50, p80, p90, p95 of the shifted gamma with the given moments, never below 0. */
export function quantilesOf(mean: number, sd: number, skew: number): SumQuantiles {
  if (!(sd > 0)) {
    const m = Math.max(0, mean);
    return { mean, p10: m, p90: m, quantiles: { p50: m, p80: m, p90: m, p95: m } };
  }
  const t = gammaTable();
  const { i, w } = gridPosition(skew);
  const at = (j: number): number => Math.max(0, mean + sd * interpolate(t.quantiles[j]!, i, w));
  const p10 = at(1);
  const p50 = Math.max(p10, at(3));
  const p80 = Math.max(p50, at(4));
  const p90 = Math.max(p80, at(5));
  const p95 = Math.max(p90, at(6));
  return { mean, p10, p90, quantiles: { p50, p80, p90, p95 } };
}

/** The distribution of Σ parts with pairwise dependence rho (0 = independent, 1 = comonotone); p10/p90 of the
 *  sum are returned too, so a result can be a part of a larger sum (store totals → region total). */
export function sumQuantiles(parts: readonly Marginal[], rho: number): SumQuantiles {
  const moments = emptyMoments();
  for (const part of parts) addPart(moments, part);
  const { mean, sd, skew } = sumShape(moments, rho);
  return quantilesOf(mean, sd, skew);
}

/** Common dates a pair of stores needs before its correlation counts. */
const MIN_COMMON_DATES = 10;

/** Stores whose residuals fall on exactly the same dates: their pairs are summed at once. */
interface DateGroup {
  /** Indices into the union of dates, ascending. */
  dates: number[];
  /** Per store, its residuals on those dates. */
  stores: Float64Array[];
}

/** Pearson correlation of two stores over the given positions of their aligned residuals; undefined when either is flat. */
function correlation(a: Float64Array, aAt: readonly number[], b: Float64Array, bAt: readonly number[]): number | undefined {
  const n = aAt.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[aAt[i]!]!;
    mb += b[bAt[i]!]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[aAt[i]!]! - ma;
    const db = b[bAt[i]!]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : undefined;
}

/** A store's residuals standardised over its dates (mean 0, mean square 1); undefined when they are flat. */
function standardised(values: Float64Array): Float64Array | undefined {
  const n = values.length;
  let m = 0;
  for (const v of values) m += v;
  m /= n;
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  if (!(ss > 0)) return undefined;
  const scale = Math.sqrt(n / ss);
  return values.map((v) => (v - m) * scale);
}

/**
 * How stores' totals move together: the mean pairwise correlation of their standardised residuals on the dates
 * both have (pairs with fewer than MIN_COMMON_DATES are skipped), weighted by those dates, clipped to [0, 1].
 * `points` is the number of dates at least one counted pair shares; 0 and 0 when no pair counts.
 *
 * Stores trained the same morning share their backtest dates, so stores are grouped by date set: within a
 * group, Σ of its pairs' correlations is (Σₜ(Σₛ ẑₛₜ)² / n − k) / 2 over its k standardised stores — one pass
 * instead of k² / 2 (a region of 1,000 stores in milliseconds). Pairs across groups are correlated one by one.
 */
export function estimateCrossRho(stores: readonly (readonly { date: string; z: number }[])[]): { rho: number; points: number } {
  const dateIndex = new Map<string, number>();
  const byStore = stores.map((residuals) => {
    const byDate = new Map<number, number>();
    for (const { date, z } of residuals) {
      if (!Number.isFinite(z)) continue;
      let index = dateIndex.get(date);
      if (index === undefined) dateIndex.set(date, (index = dateIndex.size));
      byDate.set(index, z);
    }
    return byDate;
  });
  const groups = new Map<string, DateGroup>();
  for (const byDate of byStore) {
    if (byDate.size < MIN_COMMON_DATES) continue;
    const dates = [...byDate.keys()].sort((a, b) => a - b);
    const key = dates.join(',');
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { dates, stores: [] }));
    group.stores.push(Float64Array.from(dates, (d) => byDate.get(d)!));
  }
  let weighted = 0;
  let weight = 0;
  const counted = new Set<number>();
  const list = [...groups.values()];
  for (const group of list) {
    const members = group.stores.map(standardised).filter((z): z is Float64Array => z !== undefined);
    const k = members.length;
    if (k < 2) continue;
    const n = group.dates.length;
    let sumOfSquares = 0;
    for (let t = 0; t < n; t++) {
      let sum = 0;
      for (const z of members) sum += z[t]!;
      sumOfSquares += sum * sum;
    }
    weighted += n * ((sumOfSquares / n - k) / 2);
    weight += (n * k * (k - 1)) / 2;
    for (const d of group.dates) counted.add(d);
  }
  for (let g = 0; g < list.length; g++) {
    for (let h = g + 1; h < list.length; h++) {
      const a = list[g]!;
      const b = list[h]!;
      // Positions of the dates both groups have, in each group's arrays.
      const aAt: number[] = [];
      const bAt: number[] = [];
      for (let i = 0, j = 0; i < a.dates.length && j < b.dates.length; ) {
        if (a.dates[i]! < b.dates[j]!) i++;
        else if (a.dates[i]! > b.dates[j]!) j++;
        else {
          aAt.push(i++);
          bAt.push(j++);
        }
      }
      const n = aAt.length;
      if (n < MIN_COMMON_DATES) continue;
      let pairs = 0;
      for (const x of a.stores) {
        for (const y of b.stores) {
          const r = correlation(x, aAt, y, bAt);
          if (r === undefined) continue;
          weighted += n * r;
          weight += n;
          pairs++;
        }
      }
      if (pairs > 0) for (const i of aAt) counted.add(a.dates[i]!);
    }
  }
  if (weight === 0) return { rho: 0, points: 0 };
  return { rho: Math.max(0, Math.min(1, weighted / weight)), points: counted.size };
}

/** Two years of daily residuals: enough for cross-store dependence, and ~25 K characters as JSON (Table Storage holds 32 K per string). */
export const MAX_TOTALS_RESIDUALS = 732;
/** A standardised residual beyond this says the backtest broke, not how stores move together. */
const MAX_ABS_Z = 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A TotalsModel read back from storage, where a trainer pod (a less trusted writer) put it: undefined when
 * anything is off (rho outside [0, 1], a share outside [0, 1], a non-ISO or repeated date, too many residuals).
 */
export function parseTotalsModel(value: unknown): TotalsModel | undefined {
  if (!isRecord(value)) return undefined;
  const { rho, points, calibration, residuals } = value;
  if (typeof rho !== 'number' || !Number.isFinite(rho) || rho < 0 || rho > 1) return undefined;
  if (typeof points !== 'number' || !Number.isSafeInteger(points) || points < 0) return undefined;
  let parsedCalibration: Record<ServiceLevel, number> | null = null;
  if (calibration !== null) {
    if (!isRecord(calibration)) return undefined;
    const shares: Partial<Record<ServiceLevel, number>> = {};
    for (const level of SERVICE_LEVELS) {
      const share = calibration[level];
      if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) return undefined;
      shares[level] = share;
    }
    parsedCalibration = shares as Record<ServiceLevel, number>;
  }
  if (!Array.isArray(residuals) || residuals.length > MAX_TOTALS_RESIDUALS) return undefined;
  const seen = new Set<string>();
  const parsedResiduals: { date: string; z: number }[] = [];
  for (const entry of residuals as unknown[]) {
    if (!isRecord(entry)) return undefined;
    const { date, z } = entry;
    if (typeof date !== 'string' || typeof z !== 'number' || !Number.isFinite(z) || Math.abs(z) > MAX_ABS_Z) return undefined;
    const day = parseIsoDay(date);
    if (day === undefined || formatIsoDay(day) !== date || seen.has(date)) return undefined;
    seen.add(date);
    parsedResiduals.push({ date, z });
  }
  return { rho, points, calibration: parsedCalibration, residuals: parsedResiduals };
}
