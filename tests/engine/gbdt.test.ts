import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/random.js';
import { poisson } from '../support/sales.js';
import { fit, loss, matrixFromColumns, parseGbdtModel, predict, type GbdtMatrix } from '../../engine/gbdt.js';


function columns(...cols: number[][]): GbdtMatrix {
  return matrixFromColumns(cols.map((c) => Float32Array.from(c)));
}

/** Predictions equal to `expected` up to the rounding of summing many gradients. */
function expectClose(actual: Float64Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, 9));
}

function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** Two uniform features and y = 10 where both exceed 0.5: an interaction no sum of one-feature terms fits. */
function interaction(n: number, seed: number): { x: GbdtMatrix; y: Float64Array } {
  const random = seededRandom(seed);
  const x1 = Array.from({ length: n }, () => random());
  const x2 = Array.from({ length: n }, () => random());
  const y = Float64Array.from(x1, (a, i) => (a > 0.5 && x2[i]! > 0.5 ? 10 : 0));
  return { x: columns(x1, x2), y };
}

describe('gbdt: a tree computed by hand', () => {
  // x1 = 1..6, y = 2 4 3 10 12 14 (sum 45, mean 7.5). Thresholds lie halfway between values.
  // SSE of each cut on x1 (left mean | right mean):
  //   x1 ≤ 1.5: 0 + 95.2 (2 | 8.6)        x1 ≤ 2.5: 2 + 68.75 (3 | 9.75)
  //   x1 ≤ 3.5: 2 + 8 = 10 (3 | 12)        ← best
  //   x1 ≤ 4.5: 38.75 + 2 (4.75 | 13)     x1 ≤ 5.5: 80.8 + 0 (6.2 | 14)
  // x2 = 3 1 2 3 1 2 cuts no better: x2 ≤ 1.5 leaves {4, 12} | {2, 3, 10, 14}: 32 + 98.75.
  // One round, depth 1, learning rate 1, λ = 0: base 7.5, leaves = side mean − 7.5 = −4.5 and +4.5, so the
  // predictions are the side means 3 and 12. With λ = 1 the left leaf is −G/(H+λ) = −(3·7.5 − 9)/(3+1) = −3.375.
  const x = columns([1, 2, 3, 4, 5, 6], [3, 1, 2, 3, 1, 2]);
  const y = [2, 4, 3, 10, 12, 14];
  const stump = { rounds: 1, maxDepth: 1, learningRate: 1, lambda: 0, minSamplesLeaf: 1, minHessianLeaf: 0 };

  it('splits where the squared error is least and predicts each side mean', () => {
    const model = fit(x, y, stump);
    expect(model.baseScore).toBe(7.5);
    expect(model.trees).toHaveLength(1);
    expect(model.trees[0]).toEqual({
      feature: [0, -1, -1],
      threshold: [3.5, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, -4.5, 4.5],
      // No missing values in training: missing rows follow the larger side (a tie here goes left).
      defaultLeft: [1, 0, 0],
    });
    expect(Array.from(predict(model, x))).toEqual([3, 3, 3, 12, 12, 12]);
    expect(Array.from(predict(model, columns([3.5, 3.6, NaN], [0, 0, 0])))).toEqual([3, 12, 3]);
  });

  it('shrinks leaves by λ and the learning rate', () => {
    const model = fit(x, y, { ...stump, lambda: 1 });
    expect(model.trees[0]!.value).toEqual([0, -3.375, 3.375]);
    const half = fit(x, y, { ...stump, learningRate: 0.5 });
    expect(half.trees[0]!.value).toEqual([0, -2.25, 2.25]);
  });

  it('weights rows: the leaf is the weighted mean', () => {
    // Row 6 (y = 14) counts 3 times: base = (45 + 28) / 8 = 9.125, right side = (10 + 12 + 3·14) / 5 = 12.8.
    const model = fit(x, y, { ...stump, weights: [1, 1, 1, 1, 1, 3] });
    expect(model.baseScore).toBe(9.125);
    expect(model.trees[0]!.threshold[0]).toBe(3.5);
    expect(predict(model, columns([6], [0]))[0]).toBeCloseTo(12.8, 12);
  });

  it('respects minSamplesLeaf', () => {
    // With ≥ 4 rows a side no cut of six rows is allowed: the tree is one leaf (value 0 over the mean).
    const model = fit(x, y, { ...stump, minSamplesLeaf: 4 });
    expect(model.trees[0]!.feature).toEqual([-1]);
    expect(Array.from(predict(model, x))).toEqual([7.5, 7.5, 7.5, 7.5, 7.5, 7.5]);
  });
});

describe('gbdt: interactions', () => {
  const train = interaction(2000, 1);
  const test = interaction(2000, 2);

  it('recovers y = 10 when x1 > 0.5 and x2 > 0.5, which stumps cannot', () => {
    // One depth-2 tree is enough: cut one feature at 0.5, then the other on the high side.
    const deep = fit(train.x, train.y, { rounds: 1, maxDepth: 2, learningRate: 1, lambda: 0, minSamplesLeaf: 5 });
    expect(mse(predict(deep, test.x), test.y)).toBeLessThan(0.5);
    // Stumps make an additive model; its best fit leaves 10·(a − ½)(b − ½) unexplained: variance 100/16 = 6.25.
    const additive = fit(train.x, train.y, { rounds: 200, maxDepth: 1, learningRate: 0.3, minSamplesLeaf: 5 });
    expect(mse(predict(additive, test.x), test.y)).toBeGreaterThan(5);
  });

  it('cuts many distinct values into ≤ 255 quantile bins and still finds the step', () => {
    const random = seededRandom(3);
    const x = Array.from({ length: 20_000 }, () => random());
    const y = x.map((v) => (v > 0.3 ? 1 : 0));
    const model = fit(columns(x), y, { rounds: 1, maxDepth: 1, learningRate: 1, lambda: 0 });
    // The cut lies within a bin (≈ 1/255 wide) of 0.3.
    expect(Math.abs(model.trees[0]!.threshold[0]! - 0.3)).toBeLessThan(1 / 255);
  });
});

describe('gbdt: missing values', () => {
  const random = seededRandom(4);
  const n = 400;
  const x = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : random()));
  const stump = { rounds: 1, maxDepth: 1, learningRate: 1, lambda: 0, minSamplesLeaf: 1 };

  it('learns where missing rows go: with the high side', () => {
    const y = x.map((v) => (v !== v || v > 0.5 ? 10 : 0));
    const model = fit(columns(x), y, stump);
    expect(model.trees[0]!.defaultLeft[0]).toBe(0);
    expectClose(predict(model, columns([NaN, 0.2, 0.8])), [10, 0, 10]);
  });

  it('learns where missing rows go: with the low side', () => {
    const y = x.map((v) => (v === v && v > 0.5 ? 10 : 0));
    const model = fit(columns(x), y, stump);
    expect(model.trees[0]!.defaultLeft[0]).toBe(1);
    expectClose(predict(model, columns([NaN, 0.2, 0.8])), [0, 0, 10]);
  });

  it('splits missing from present when only missingness matters', () => {
    const y = x.map((v) => (v !== v ? 5 : 1));
    const model = fit(columns(x), y, stump);
    expect(model.trees[0]!.defaultLeft[0]).toBe(0);
    expectClose(predict(model, columns([NaN, 0.01, 0.99])), [5, 1, 1]);
    // The "missing versus the rest" cut is stored as a finite threshold, so the model survives JSON.
    const again = parseGbdtModel(JSON.parse(JSON.stringify(model)));
    expectClose(predict(again, columns([NaN, 0.99])), [5, 1]);
  });
});

describe('gbdt: determinism and serialisation', () => {
  const { x, y } = interaction(3000, 5);
  const options = { rounds: 20, maxDepth: 4, rowSubsample: 0.7, featureSubsample: 0.5, seed: 42, minSamplesLeaf: 5 };

  it('the same seed gives the same model JSON; another seed another model', () => {
    const a = JSON.stringify(fit(x, y, options));
    const b = JSON.stringify(fit(x, y, options));
    expect(a).toBe(b);
    expect(JSON.stringify(fit(x, y, { ...options, seed: 43 }))).not.toBe(a);
  });

  it('feature subsampling: each tree splits only on the features drawn for it', () => {
    // Two features at 0.5: one is drawn per tree, and over 30 trees both are.
    const model = fit(x, y, { rounds: 30, maxDepth: 3, featureSubsample: 0.5, seed: 7, minSamplesLeaf: 5 });
    const used = model.trees.map((t) => new Set(t.feature.filter((f) => f >= 0)));
    expect(used.every((s) => s.size === 1)).toBe(true);
    expect(new Set(used.flatMap((s) => [...s]))).toEqual(new Set([0, 1]));
  });

  it('a model read back from JSON predicts the same, and a corrupted one is refused', () => {
    const model = fit(x, y, options);
    const back = parseGbdtModel(JSON.parse(JSON.stringify(model)));
    expect(Array.from(predict(back, x))).toEqual(Array.from(predict(model, x)));
    const cyclic = JSON.parse(JSON.stringify(model)) as { trees: { left: number[] }[] };
    cyclic.trees[0]!.left[0] = 0;
    expect(() => parseGbdtModel(cyclic)).toThrow(/tree 0 node 0: child 0 must come after it/);
    expect(() => parseGbdtModel({ ...model, schema: 'other' })).toThrow(/schema/);
    const wrongFeature = JSON.parse(JSON.stringify(model)) as { trees: { feature: number[] }[] };
    wrongFeature.trees[0]!.feature[0] = 7;
    expect(() => parseGbdtModel(wrongFeature)).toThrow(/feature 7 out of range/);
  });
});

describe('gbdt: Poisson objective (log link)', () => {
  // Counts with many zeros: rate = exp(−1.5 + 2·x1) on weekdays x2 ∈ 0..6, tripled on x2 = 5.
  const random = seededRandom(6);
  const n = 5000;
  const x1 = Array.from({ length: n }, () => random());
  const x2 = Array.from({ length: n }, (_, i) => i % 7);
  const rate = x1.map((v, i) => Math.exp(-1.5 + 2 * v) * (x2[i] === 5 ? 3 : 1));
  const y = rate.map((lambda) => poisson(random, lambda));
  const x = columns(x1, x2);

  it('predicts non-negative rates whose mean matches the target mean, and beats a constant', () => {
    const zeros = y.filter((v) => v === 0).length / n;
    expect(zeros).toBeGreaterThan(0.3);
    const model = fit(x, y, { objective: 'poisson', rounds: 200, maxDepth: 3, learningRate: 0.1 });
    const p = predict(model, x);
    expect(p.every((v) => v >= 0)).toBe(true);
    const meanY = y.reduce((s, v) => s + v, 0) / n;
    const meanP = p.reduce((s, v) => s + v, 0) / n;
    expect(Math.abs(meanP / meanY - 1)).toBeLessThan(0.01);
    const constant = fit(x, y, { objective: 'poisson', rounds: 0 });
    expect(loss(model, x, y)).toBeLessThan(loss(constant, x, y) * 0.85);
    // The rate it learned tracks the true one.
    expect(mse(p, rate)).toBeLessThan(0.1);
  });

  it('an all-zero target gives near-zero rates, not −∞ or NaN', () => {
    const model = fit(x, new Float64Array(n), { objective: 'poisson', rounds: 5 });
    const p = predict(model, x);
    expect(p.every((v) => v >= 0 && v < 1e-6)).toBe(true);
  });
});

describe('gbdt: early stopping', () => {
  it('stops when the validation loss no longer improves and keeps the best rounds', () => {
    // Pure noise around a step: extra deep trees only fit noise, so the validation loss turns up early.
    const make = (seed: number): { x: GbdtMatrix; y: Float64Array } => {
      const random = seededRandom(seed);
      const x1 = Array.from({ length: 600 }, () => random());
      const x2 = Array.from({ length: 600 }, () => random());
      return { x: columns(x1, x2), y: Float64Array.from(x1, (v) => (v > 0.5 ? 1 : 0) + 3 * (random() - 0.5)) };
    };
    const train = make(7);
    const valid = make(8);
    const options = { rounds: 300, maxDepth: 6, maxLeaves: 64, learningRate: 0.3, minSamplesLeaf: 2 };
    const full = fit(train.x, train.y, options);
    const stopped = fit(train.x, train.y, { ...options, validation: { data: valid.x, target: valid.y }, earlyStoppingRounds: 10 });
    expect(full.trees).toHaveLength(300);
    expect(stopped.trees.length).toBeGreaterThan(0);
    expect(stopped.trees.length).toBeLessThan(100);
    expect(loss(stopped, valid.x, valid.y)).toBeLessThan(loss(full, valid.x, valid.y));
  });
});

describe('gbdt: bad input is named', () => {
  it('refuses infinite features, mismatched targets and bad options', () => {
    expect(() => fit(columns([1, Infinity, 3]), [1, 2, 3])).toThrow(/feature 0 of row 1 is Infinity; use NaN for missing/);
    expect(() => fit(columns([1, 2, 3]), [1, 2])).toThrow(/target has 2 values for 3 rows/);
    expect(() => fit(columns([1, 2, 3]), [1, NaN, 3])).toThrow(/target\[1\] is NaN/);
    expect(() => fit(columns([1, 2, 3]), [1, -2, 3], { objective: 'poisson' })).toThrow(/target\[1\] is -2/);
    expect(() => fit(columns([1, 2, 3]), [1, 2, 3], { maxBins: 256 })).toThrow(/maxBins must be an integer in 2..255/);
    expect(() => fit(columns([1, 2, 3]), [1, 2, 3], { weights: [1, -1, 1] })).toThrow(/weights\[1\] is -1/);
    const model = fit(columns([1, 2, 3]), [1, 2, 3]);
    expect(() => predict(model, columns([1], [2]))).toThrow(/fitted on 1 features, got 2/);
  });
});
