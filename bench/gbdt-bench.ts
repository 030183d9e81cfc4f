/**
 * Speed of engine/gbdt.ts on synthetic data shaped like a store's item-days: continuous features (lags,
 * rolling means, prices) with 10 % missing, small integer ones (weekday, month, promotion flags), and a target
 * with interactions and noise. Prints fit and predict time, throughput, held-out accuracy, and a floor measured
 * in the same run: one plain pass over every bin of every row per round, the least work a histogram booster
 * does without sampling (what no implementation of this method can beat by much). Figures, not assertions.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/gbdt-bench.js
 *       [--rows 500000] [--features 30] [--rounds 200] [--depth 6] [--leaves 64] [--objective squared_error|poisson]
 */
import { fit, loss, predict, type GbdtMatrix, type GbdtObjective } from '../engine/gbdt.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg('rows', '500000'));
const FEATURES = Number(arg('features', '30'));
const ROUNDS = Number(arg('rounds', '200'));
const DEPTH = Number(arg('depth', '6'));
const LEAVES = Number(arg('leaves', '64'));
const OBJECTIVE = arg('objective', 'squared_error') as GbdtObjective;
const TEST_ROWS = Math.max(1000, Math.floor(ROWS / 5));

function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeData(rows: number, seed: number): { x: GbdtMatrix; y: Float64Array } {
  const random = uniform(seed);
  const values = new Float32Array(rows * FEATURES);
  for (let f = 0; f < FEATURES; f++) {
    const kind = f % 3; // 0 continuous, 1 continuous with 10 % missing, 2 small integer
    for (let r = 0; r < rows; r++) {
      const u = random();
      values[f * rows + r] = kind === 2 ? Math.floor(u * (3 + f)) : kind === 1 && random() < 0.1 ? NaN : u * 100;
    }
  }
  const at = (f: number, r: number): number => values[(f % FEATURES) * rows + r]!;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const lag = at(0, r);
    const rolling = at(1, r);
    const weekday = at(2, r) % 7;
    const promo = at(5, r) % 2;
    const level = 0.05 * lag + (rolling === rolling ? 0.03 * rolling : 1) + (weekday >= 5 ? 2 : 0);
    // The promotion is worth more on some weekdays: an interaction.
    const mean = Math.max(0, level * (1 + promo * (weekday >= 5 ? 0.2 : 0.8)) + Math.sin(at(3, r) / 10));
    y[r] = OBJECTIVE === 'poisson' ? Math.max(0, Math.round(mean + 2 * (random() - 0.5))) : mean + 2 * (random() - 0.5);
  }
  return { x: { rows, cols: FEATURES, values }, y };
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function main(): void {
  const train = makeData(ROWS, 1);
  const test = makeData(TEST_ROWS, 2);

  // Floor: per round, one read of every row's bin for every feature into a gradient/hessian/count histogram.
  const bins = new Uint8Array(ROWS * FEATURES);
  for (let i = 0; i < bins.length; i++) bins[i] = (i * 2654435761) >>> 24;
  const grad = new Float64Array(ROWS).fill(0.5);
  const hist = new Float64Array(FEATURES * 256 * 3);
  let t = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) {
    for (let f = 0; f < FEATURES; f++) {
      const off = f * ROWS;
      const base = f * 768;
      for (let r = 0; r < ROWS; r++) {
        const j = base + bins[off + r]! * 3;
        hist[j]! += grad[r]!;
        hist[j + 1]! += 1;
        hist[j + 2]! += 1;
      }
    }
  }
  const floorSeconds = seconds(t);

  t = process.hrtime.bigint();
  const model = fit(train.x, train.y, {
    objective: OBJECTIVE, rounds: ROUNDS, maxDepth: DEPTH, maxLeaves: LEAVES, learningRate: 0.1, minSamplesLeaf: 20, seed: 1,
  });
  const fitSeconds = seconds(t);
  t = process.hrtime.bigint();
  const p = predict(model, test.x);
  const predictSeconds = seconds(t);

  let meanY = 0;
  for (const v of test.y) meanY += v / test.y.length;
  let ssTot = 0;
  let ssRes = 0;
  for (let r = 0; r < test.y.length; r++) {
    ssTot += (test.y[r]! - meanY) ** 2;
    ssRes += (test.y[r]! - p[r]!) ** 2;
  }
  const leaves = model.trees.reduce((s, tr) => s + tr.feature.filter((f) => f < 0).length, 0);
  const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
  console.log(`gbdt bench: ${fmt(ROWS)} rows × ${FEATURES} features, ${ROUNDS} rounds, depth ${DEPTH}, ≤ ${LEAVES} leaves, ${OBJECTIVE}; node ${process.version}`);
  console.log(`| step | seconds | throughput |`);
  console.log(`|---|---|---|`);
  console.log(`| fit (binning included) | ${fitSeconds.toFixed(2)} | ${fmt((ROWS * ROUNDS) / fitSeconds)} row·rounds/s (${fmt(ROWS / fitSeconds)} rows/s for the whole fit) |`);
  console.log(`| floor: one histogram pass over all rows × features per round | ${floorSeconds.toFixed(2)} | ${fmt((ROWS * ROUNDS) / floorSeconds)} row·rounds/s |`);
  console.log(`| predict ${fmt(TEST_ROWS)} held-out rows | ${predictSeconds.toFixed(2)} | ${fmt(TEST_ROWS / predictSeconds)} rows/s |`);
  console.log(`fit / floor = ${(fitSeconds / floorSeconds).toFixed(2)}; ${model.trees.length} trees, ${(leaves / Math.max(1, model.trees.length)).toFixed(1)} leaves a tree; held-out R² ${(1 - ssRes / ssTot).toFixed(3)}, loss ${loss(model, test.x, test.y).toFixed(4)}; model JSON ${(JSON.stringify(model).length / 1e6).toFixed(2)} MB`);
}

main();
