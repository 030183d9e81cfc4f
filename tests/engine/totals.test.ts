import { describe, expect, it } from 'vitest';
import { quantileSorted } from '../../engine/metrics.js';
import { LEVEL_PROBABILITY, SERVICE_LEVELS, estimateCrossRho, formatIsoDay, parseIsoDay, parseTotalsModel, sumQuantiles, trainStore, type Marginal, type SeriesForecast, type SeriesHistory } from '../../engine/index.js';
import { partShape } from '../../engine/totals.js';
import { gaussian, poisson, seededRandom } from '../support/sales.js';

/** Marsaglia–Tsang gamma draw with mean `shape` (scale 1). */
function gammaDraw(random: () => number, shape: number): number {
  if (shape < 1) return gammaDraw(random, shape + 1) * Math.pow(Math.max(random(), 1e-300), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = gaussian(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * A store whose items share one common factor: item i sells Poisson(μᵢ · F · Gᵢ) with F the day's factor
 * (mean 1, coefficient of variation `commonCv`) and Gᵢ its own (mean 1, cv `ownCv`): gamma-Poisson counts,
 * dependent through F only. Draws `days` store-days; per day each item's count and their total.
 */
function simulateStore(random: () => number, means: readonly number[], commonCv: number, ownCv: number, days: number): { items: Float64Array[]; totals: Float64Array } {
  const items = means.map(() => new Float64Array(days));
  const totals = new Float64Array(days);
  const commonShape = 1 / (commonCv * commonCv);
  const ownShape = 1 / (ownCv * ownCv);
  for (let t = 0; t < days; t++) {
    const common = commonCv > 0 ? gammaDraw(random, commonShape) / commonShape : 1;
    let total = 0;
    means.forEach((mu, i) => {
      const own = ownCv > 0 ? gammaDraw(random, ownShape) / ownShape : 1;
      const count = poisson(random, mu * common * own, 1e9);
      items[i]![t] = count;
      total += count;
    });
    totals[t] = total;
  }
  return { items, totals };
}

function marginalOf(values: Float64Array): Marginal {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of values) sum += v;
  return { mean: sum / values.length, p10: quantileSorted(sorted, 0.1), p90: quantileSorted(sorted, 0.9) };
}

/** rho by the method of moments, as training estimates it: the total's variance against the parts' read spreads. */
function momentRho(parts: readonly Marginal[], totals: Float64Array): number {
  let mean = 0;
  for (const t of totals) mean += t;
  mean /= totals.length;
  let variance = 0;
  for (const t of totals) variance += (t - mean) ** 2;
  variance /= totals.length - 1;
  let sumSquares = 0;
  let sum = 0;
  for (const part of parts) {
    const { sd } = partShape(part);
    sumSquares += sd * sd;
    sum += sd;
  }
  return Math.max(0, Math.min(1, (variance - sumSquares) / (sum * sum - sumSquares)));
}

function shareBelow(values: Float64Array, q: number): number {
  let n = 0;
  for (const v of values) if (v <= q) n++;
  return n / values.length;
}

function itemMeans(random: () => number, count: number): number[] {
  // Fast and slow movers side by side, as a store has: 0.3 to 60 a day, log-uniform.
  return Array.from({ length: count }, () => Math.exp(Math.log(0.3) + random() * Math.log(200)));
}

describe('sumQuantiles', () => {
  it('gives back a single part as it went in, whatever rho', () => {
    for (const part of [{ mean: 10, p10: 6, p90: 14 }, { mean: 1, p10: 0.105, p90: 2.303 }, { mean: 40, p10: 20, p90: 52 }]) {
      for (const rho of [0, 0.4, 1]) {
        const sum = sumQuantiles([part], rho);
        expect(sum.mean).toBe(part.mean);
        expect(sum.p10).toBeCloseTo(part.p10, 2);
        expect(sum.p90).toBeCloseTo(part.p90, 2);
        expect(sum.quantiles.p90).toBe(sum.p90);
      }
    }
  });

  it('is the sum of quantiles at rho = 1 for parts of one shape, and narrower below', () => {
    const parts = [1, 2, 5, 10].map((scale) => ({ mean: 10 * scale, p10: 6 * scale, p90: 15 * scale }));
    const comonotone = sumQuantiles(parts, 1);
    expect(comonotone.p10).toBeCloseTo(6 * 18, 2);
    expect(comonotone.p90).toBeCloseTo(15 * 18, 2);
    const independent = sumQuantiles(parts, 0);
    const between = sumQuantiles(parts, 0.3);
    expect(independent.quantiles.p95).toBeLessThan(between.quantiles.p95);
    expect(between.quantiles.p95).toBeLessThan(comonotone.quantiles.p95);
  });

  it('is zero for zero parts and for no parts, and monotone, finite and non-negative for odd bands', () => {
    const zeros = sumQuantiles([{ mean: 0, p10: 0, p90: 0 }, { mean: 0, p10: 0, p90: 0 }], 0.5);
    expect(zeros).toEqual({ mean: 0, p10: 0, p90: 0, quantiles: { p50: 0, p80: 0, p90: 0, p95: 0 } });
    expect(sumQuantiles([], 0.2).quantiles).toEqual({ p50: 0, p80: 0, p90: 0, p95: 0 });
    const random = seededRandom(3);
    for (let trial = 0; trial < 500; trial++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 30) }, () => {
        const mean = random() < 0.2 ? 0 : random() * 20;
        // Bands as rows may hold them, clipped or inverted: p10 above the mean, p90 below it, NaN.
        const p10 = Math.max(0, mean - random() * 10 + (random() < 0.1 ? 15 : 0));
        const p90 = random() < 0.05 ? Number.NaN : mean + random() * 15 - (random() < 0.1 ? 20 : 0);
        return { mean, p10, p90 };
      });
      const sum = sumQuantiles(parts, random() * 1.2 - 0.1);
      const values = [sum.p10, sum.quantiles.p50, sum.quantiles.p80, sum.quantiles.p90, sum.quantiles.p95];
      for (const v of values) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
      }
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    }
  });
});

describe('sumQuantiles on stores with known dependence', () => {
  const cases = [
    { items: 5, commonCv: 0.1, ownCv: 0.3 },
    { items: 20, commonCv: 0, ownCv: 0.5 },
    { items: 50, commonCv: 0.15, ownCv: 0.4 },
    { items: 100, commonCv: 0.25, ownCv: 0.2 },
    { items: 200, commonCv: 0.08, ownCv: 0.6 },
  ];
  for (const { items, commonCv, ownCv } of cases) {
    it(`covers each service level on ${items} items (common cv ${commonCv}, own cv ${ownCv})`, () => {
      const random = seededRandom(items * 7 + Math.round(commonCv * 100));
      const means = itemMeans(random, items);
      // Training: each item's marginal and rho from one sample; judged on another.
      const train = simulateStore(random, means, commonCv, ownCv, 6000);
      const parts = train.items.map(marginalOf);
      const rho = momentRho(parts, train.totals);
      const test = simulateStore(random, means, commonCv, ownCv, 6000);
      const sum = sumQuantiles(parts, rho);
      const shares = Object.fromEntries(SERVICE_LEVELS.map((level) => [level, shareBelow(test.totals, sum.quantiles[level])]));
      expect(shares.p90).toBeGreaterThanOrEqual(0.87);
      expect(shares.p90).toBeLessThanOrEqual(0.93);
      for (const level of SERVICE_LEVELS) expect(Math.abs(shares[level]! - LEVEL_PROBABILITY[level])).toBeLessThanOrEqual(0.04);
      // Independence and comonotonicity bracket the truth.
      const independent = sumQuantiles(parts, 0);
      const comonotone = sumQuantiles(parts, 1);
      expect(independent.quantiles.p90).toBeLessThanOrEqual(sum.quantiles.p90 + 1e-9);
      expect(comonotone.quantiles.p90).toBeGreaterThanOrEqual(sum.quantiles.p90 - 1e-9);
      if (commonCv >= 0.15) expect(shareBelow(test.totals, independent.quantiles.p90)).toBeLessThan(0.85);
      expect(shareBelow(test.totals, comonotone.quantiles.p90)).toBeGreaterThan(0.93);
    });
  }
});

describe('the totals model trained on a store with known dependence', () => {
  /**
   * `items` items over `days` days: item i sells Poisson(μᵢ · weekday · Fₜ), Fₜ one gamma draw per day shared by
   * all items (mean 1, coefficient of variation `commonCv`).
   */
  function correlatedStore(seed: number, items: number, days: number, commonCv: number): { series: SeriesHistory[]; means: number[]; weekly: number[] } {
    const random = seededRandom(seed);
    const means = itemMeans(random, items).map((m) => m * 2);
    const weekly = [1.2, 0.85, 0.9, 0.95, 1, 1.1, 1.15];
    const start = parseIsoDay('2024-01-01')!;
    const values = means.map(() => new Float64Array(days));
    const shape = commonCv > 0 ? 1 / (commonCv * commonCv) : 0;
    for (let t = 0; t < days; t++) {
      const common = commonCv > 0 ? gammaDraw(random, shape) / shape : 1;
      means.forEach((mu, i) => {
        values[i]![t] = poisson(random, mu * weekly[(start + t) % 7]! * common, 1e9);
      });
    }
    return { series: values.map((v, i) => ({ store: 'S', item: `i${i}`, startDay: start, values: v })), means, weekly };
  }

  /**
   * The rho the store's totals need with the bands the trained forecasts carry: on each of the first week's days,
   * the true variance of the total (Σμ + cv²(Σμ)², μ the day's true item means) against Σσ² and (Σσ)² of the
   * spreads read from the bands, as sumQuantiles combines them; the mean over the week.
   */
  function neededRho(forecasts: readonly SeriesForecast[], means: readonly number[], weekly: readonly number[], commonCv: number): number {
    let sum = 0;
    for (let s = 0; s < 7; s++) {
      const day = forecasts[0]!.firstDay + s;
      let mu = 0;
      let squares = 0;
      let spread = 0;
      forecasts.forEach((f, i) => {
        mu += means[i]! * weekly[day % 7]!;
        const { sd } = partShape({ mean: f.forecast[s]!, p10: f.p10[s]!, p90: f.p90[s]! });
        squares += sd * sd;
        spread += sd;
      });
      sum += (mu + commonCv * commonCv * mu * mu - squares) / (spread * spread - squares);
    }
    return Math.max(0, Math.min(1, sum / 7));
  }

  const estimated: number[] = [];
  for (const { commonCv, seed } of [
    { commonCv: 0, seed: 11 },
    { commonCv: 0.15, seed: 12 },
    { commonCv: 0.3, seed: 13 },
  ]) {
    it(`estimates rho near what the totals need (common cv ${commonCv}) with sane calibration shares`, () => {
      // Six folds: rho rests on 168 held-out days, so its sampling error (≈ ±0.05) leaves room for the forecasts' own.
      const { series, means, weekly } = correlatedStore(seed, 30, 730, commonCv);
      const { totals, forecasts } = trainStore(series, { horizon: 28, folds: 6 });
      expect(totals).toBeDefined();
      expect(totals!.points).toBe(6 * 28);
      const needed = neededRho(forecasts, means, weekly, commonCv);
      // The held-out errors also carry the forecasts' own level errors, common to all items: rho may sit above.
      expect(totals!.rho - needed).toBeGreaterThanOrEqual(-0.1);
      expect(totals!.rho - needed).toBeLessThanOrEqual(0.15);
      estimated.push(totals!.rho);
      expect(totals!.rho).toBeGreaterThanOrEqual(Math.max(0, ...estimated.slice(0, -1)));
      const calibration = totals!.calibration!;
      for (const level of SERVICE_LEVELS) expect(Math.abs(calibration[level] - LEVEL_PROBABILITY[level])).toBeLessThanOrEqual(0.08);
      expect(totals!.residuals).toHaveLength(6 * 28);
      expect(parseTotalsModel(totals)).toEqual(totals);
    });
  }
});

describe('estimateCrossRho', () => {
  it('finds the correlation stores share, and nothing without enough common dates', () => {
    const random = seededRandom(5);
    const start = parseIsoDay('2025-01-01')!;
    const stores = Array.from({ length: 6 }, () => [] as { date: string; z: number }[]);
    for (let d = 0; d < 300; d++) {
      const common = gaussian(random);
      stores.forEach((residuals) => residuals.push({ date: formatIsoDay(start + d), z: Math.sqrt(0.4) * common + Math.sqrt(0.6) * gaussian(random) }));
    }
    const { rho, points } = estimateCrossRho(stores);
    expect(rho).toBeGreaterThan(0.32);
    expect(rho).toBeLessThan(0.48);
    expect(points).toBe(300);
    expect(estimateCrossRho(stores.map((residuals, s) => residuals.slice(s * 50, s * 50 + 45)))).toEqual({ rho: 0, points: 0 });
    expect(estimateCrossRho([stores[0]!])).toEqual({ rho: 0, points: 0 });
    const opposite = stores[0]!.map(({ date, z }) => ({ date, z: -z }));
    expect(estimateCrossRho([stores[0]!, opposite]).rho).toBe(0);
  });

  it('is the date-weighted mean of pairwise correlations when stores cover different dates', () => {
    const random = seededRandom(9);
    const start = parseIsoDay('2025-01-01')!;
    const common = Array.from({ length: 200 }, () => gaussian(random));
    // Three groups of stores on shifted windows, one store with a gap, one too short to count.
    const windows = [[0, 120], [0, 120], [0, 120], [30, 150], [30, 150], [100, 200], [5, 12]] as const;
    const stores = windows.map(([from, to], s) =>
      Array.from({ length: to - from }, (_, i) => ({ date: formatIsoDay(start + from + i), z: 0.5 * common[from + i]! + gaussian(random) })).filter((_, i) => s !== 4 || i % 9 !== 0),
    );
    let weighted = 0;
    let weight = 0;
    for (let a = 0; a < stores.length; a++) {
      for (let b = a + 1; b < stores.length; b++) {
        const other = new Map(stores[b]!.map((r) => [r.date, r.z]));
        const pairs = stores[a]!.filter((r) => other.has(r.date)).map((r) => [r.z, other.get(r.date)!] as const);
        if (pairs.length < 10) continue;
        const mx = pairs.reduce((sum, [x]) => sum + x, 0) / pairs.length;
        const my = pairs.reduce((sum, [, y]) => sum + y, 0) / pairs.length;
        const sxy = pairs.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
        const sxx = pairs.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
        const syy = pairs.reduce((sum, [, y]) => sum + (y - my) ** 2, 0);
        weighted += sxy / Math.sqrt(sxx * syy) * pairs.length;
        weight += pairs.length;
      }
    }
    const { rho, points } = estimateCrossRho(stores);
    expect(rho).toBeCloseTo(weighted / weight, 10);
    expect(rho).toBeGreaterThan(0.1);
    expect(points).toBe(150); // days 150–199 belong to one store only
  });
});
