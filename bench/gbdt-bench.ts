/**
 * Speed of engine/gbdt.ts on synthetic data shaped like a store's item-days: continuous features (lags,
 * rolling means, prices) with 10 % missing, small integer ones (weekday, month, promotion flags), and a target
 * with interactions and noise. Prints fit and predict time, throughput, held-out accuracy, and a floor measured
 * in the same run: one plain pass over every bin of every row per round, the least work a histogram booster
 * does without sampling (what no implementation of this method can beat by much). Figures, not assertions.
 * With `--peer <python>` (a Python with lightgbm and numpy, e.g. bench/.venv/bin/python from
 * bench/peers/setup.sh), LightGBM fits the same rows with the same settings, on 1 thread and on every core.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/gbdt-bench.js
 *       [--rows 500000] [--features 30] [--rounds 200] [--depth 6] [--leaves 64] [--objective squared_error|poisson]
 *       [--peer bench/.venv/bin/python]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fit, loss, predict, type GbdtMatrix, type GbdtObjective } from '../engine/gbdt.js';
import { seededRandom } from '../scripts/random.js';

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
const PEER = arg('peer', '');

// LightGBM with our settings: leaf-wise, the same leaf/depth limits, λ = 1 (its default is 0), 255 bins.
const PEER_SCRIPT = `
import json, sys, time
import numpy as np
import lightgbm as lgb
d, rows, test_rows, cols, rounds, depth, leaves, objective, threads = sys.argv[1:]
rows, test_rows, cols, rounds, depth, leaves, threads = map(int, (rows, test_rows, cols, rounds, depth, leaves, threads))
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(cols, rows).T
y = np.fromfile(d + '/y.f64', dtype=np.float64)
tx = np.fromfile(d + '/tx.f32', dtype=np.float32).reshape(cols, test_rows).T
ty = np.fromfile(d + '/ty.f64', dtype=np.float64)
params = dict(objective='regression' if objective == 'squared_error' else 'poisson', num_leaves=leaves, max_depth=depth,
              learning_rate=0.1, min_data_in_leaf=20, min_sum_hessian_in_leaf=1e-3, lambda_l2=1.0, max_bin=255,
              num_threads=threads, verbose=-1, deterministic=True, force_row_wise=True)
t = time.perf_counter()
booster = lgb.train(params, lgb.Dataset(x, y, params={'max_bin': 255}), num_boost_round=rounds)
fit_s = time.perf_counter() - t
t = time.perf_counter()
p = booster.predict(tx, num_threads=threads)
pred_s = time.perf_counter() - t
r2 = 1 - ((ty - p) ** 2).sum() / ((ty - ty.mean()) ** 2).sum()
print(json.dumps(dict(fit=fit_s, predict=pred_s, r2=r2, version=lgb.__version__)))
`;

interface PeerResult {
  fit: number;
  predict: number;
  r2: number;
  version: string;
}

function runPeer(python: string, train: { x: GbdtMatrix; y: Float64Array }, test: { x: GbdtMatrix; y: Float64Array }, threads: number): PeerResult {
  const dir = mkdtempSync(join(tmpdir(), 'gbdt-bench-'));
  try {
    writeFileSync(join(dir, 'x.f32'), train.x.values);
    writeFileSync(join(dir, 'y.f64'), train.y);
    writeFileSync(join(dir, 'tx.f32'), test.x.values);
    writeFileSync(join(dir, 'ty.f64'), test.y);
    const args = [dir, ROWS, TEST_ROWS, FEATURES, ROUNDS, DEPTH, LEAVES, OBJECTIVE, threads].map(String);
    const run = spawnSync(python, ['-c', PEER_SCRIPT, ...args], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`peer failed (${python}): ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as PeerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeData(rows: number, seed: number): { x: GbdtMatrix; y: Float64Array } {
  const random = seededRandom(seed);
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
  if (PEER !== '') {
    for (const threads of [1, 0]) {
      const r = runPeer(PEER, train, test, threads);
      const label = threads === 1 ? '1 thread' : 'every core';
      console.log(`| LightGBM ${r.version} fit, ${label} (binning included) | ${r.fit.toFixed(2)} | ${fmt((ROWS * ROUNDS) / r.fit)} row·rounds/s; held-out R² ${r.r2.toFixed(3)} |`);
      console.log(`| LightGBM predict, ${label} | ${r.predict.toFixed(2)} | ${fmt(TEST_ROWS / r.predict)} rows/s |`);
    }
  }
  console.log(`fit / floor = ${(fitSeconds / floorSeconds).toFixed(2)}; ${model.trees.length} trees, ${(leaves / Math.max(1, model.trees.length)).toFixed(1)} leaves a tree; held-out R² ${(1 - ssRes / ssTot).toFixed(3)}, loss ${loss(model, test.x, test.y).toFixed(4)}; model JSON ${(JSON.stringify(model).length / 1e6).toFixed(2)} MB`);
}

main();
