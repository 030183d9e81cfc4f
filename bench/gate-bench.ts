/**
 * Cost of the champion gate's same-fold scoring next to the training it gates:
 *   npm run build && node dist/bench/gate-bench.js [--items 50] [--days 730] [--horizon 28] [--folds 3] [--repeat 3]
 * Trains a generated store (the orchestration bench's generator), then scores candidate and champion on the
 * same folds (`scoreOnSameFolds`: both configurations refitted at the same cuts). Prints milliseconds.
 */
import { parseArgs } from 'node:util';
import { scoreOnSameFolds } from '../core/domain/champion.js';
import { trainStore, type SeriesHistory } from '../engine/index.js';

const { values } = parseArgs({ options: { items: { type: 'string' }, days: { type: 'string' }, horizon: { type: 'string' }, folds: { type: 'string' }, repeat: { type: 'string' } } });
const ITEMS = Number(values.items ?? 50);
const DAYS = Number(values.days ?? 730);
const HORIZON = Number(values.horizon ?? 28);
const FOLDS = Number(values.folds ?? 3);
const REPEAT = Number(values.repeat ?? 3);

function store(id: string, seed: number, days: number): SeriesHistory[] {
  let a = seed >>> 0;
  const rand = () => (a = (a * 1664525 + 1013904223) >>> 0) / 4294967296;
  const startDay = Math.floor(Date.UTC(2024, 0, 1) / 86_400_000);
  const weekly = [1.25, 0.8, 0.85, 0.9, 0.95, 1.1, 1.15];
  return Array.from({ length: ITEMS }, (_, k) => {
    const base = k % 5 === 4 ? 0.4 : 10 + 40 * rand();
    const v = new Float64Array(days);
    for (let i = 0; i < days; i++) {
      const mean = base * weekly[(startDay + i + 4) % 7]! * (1 + 0.25 * Math.sin((2 * Math.PI * i) / 365.25));
      v[i] = Math.max(0, Math.round(mean + Math.sqrt(mean) * (rand() + rand() + rand() - 1.5) * 2));
    }
    return { store: id, item: String(k + 1), startDay, values: v };
  });
}

const full = store('g1', 42, DAYS);
// Yesterday's champion: the same store one day shorter.
const yesterday = full.map((s) => ({ ...s, values: s.values.subarray(0, DAYS - 1) }));
const champion = trainStore(yesterday, { horizon: HORIZON, folds: FOLDS }).artifacts;
for (let r = 0; r < REPEAT; r++) {
  let t = performance.now();
  const candidate = trainStore(full, { horizon: HORIZON, folds: FOLDS }).artifacts;
  const trainMs = performance.now() - t;
  t = performance.now();
  const scores = scoreOnSameFolds(full, undefined, candidate, champion, FOLDS);
  const gateMs = performance.now() - t;
  console.log(JSON.stringify({ items: ITEMS, days: DAYS, horizon: HORIZON, folds: FOLDS, trainMs: Math.round(trainMs), gateMs: Math.round(gateMs), gateShare: `${((100 * gateMs) / trainMs).toFixed(0)} %`, cuts: scores?.cuts.length, items_scored: scores?.candidate.size }));
}
