import { describe, expect, it } from 'vitest';
import { dayOfWeek, formatIsoDay, parseIsoDay } from '../../../engine/dates.js';
import type { StoreDrivers } from '../../../engine/drivers.js';
import { StoreFeatureSource, featureSchema } from '../../../engine/learned/features.js';
import { fitLearned, predictLearned } from '../../../engine/learned/learned.js';
import { groupStores, parsePooledArtifact, learnedCuts, pooledModelAt, trainPooled, type PooledArtifact, type PooledStoreInput } from '../../../engine/learned/pooled.js';
import { poisson, seededRandom } from '../../support/sales.js';

const START = parseIsoDay('2022-01-01')!;
const DAYS = 500;
const HORIZON = 28;
const LAST = START + DAYS - 1;


/**
 * A chain of one-series stores that share a promotion × weekday effect at different strengths (Monday 3–5×, other
 * days 1.3–1.7×). Sales of the last HORIZON days are held out; `means` are the true daily means there.
 */
function chain(stores: number, seed = 11): { inputs: PooledStoreInput[]; means: Float64Array[]; history: PooledStoreInput[] } {
  const random = seededRandom(seed);
  const inputs: PooledStoreInput[] = [];
  const means: Float64Array[] = [];
  for (let s = 0; s < stores; s++) {
    const monday = 3 + 2 * random();
    const other = 1.3 + 0.4 * random();
    const base = 4 + 10 * random();
    const promo = new Float64Array(DAYS);
    for (let i = 0; i < DAYS; i++) promo[i] = random() < 0.15 ? 1 : 0;
    const values = new Float64Array(DAYS);
    const mean = new Float64Array(HORIZON);
    for (let i = 0; i < DAYS; i++) {
      const m = base * (promo[i] === 1 ? (dayOfWeek(START + i) === 1 ? monday : other) : 1);
      values[i] = poisson(random, m);
      if (i >= DAYS - HORIZON) mean[i - (DAYS - HORIZON)] = m;
    }
    const store = `s${String(s).padStart(2, '0')}`;
    const drivers: StoreDrivers = { store, firstDay: START, lastDay: LAST, columns: [{ name: 'promo', kind: 'numeric', scale: 'linear' }], labels: [[]], storeValues: [promo], items: new Map() };
    inputs.push({ store, series: [{ store, item: 'all', startDay: START, values }], drivers });
    means.push(mean);
  }
  const history = inputs.map((i) => ({ ...i, series: i.series.map((h) => ({ ...h, values: h.values.slice(0, DAYS - HORIZON) })) }));
  return { inputs, means, history };
}

describe('pooled step', () => {
  it('where each store has one series, the pooled model forecasts closer to the truth than each store alone', () => {
    const { history, means } = chain(30);
    const cut = LAST - HORIZON;
    const pooled = trainPooled(history, { horizon: HORIZON, folds: 0 });
    const schema = { ...pooled.features, names: featureSchema(history.map((h) => ({ ...h, series: h.series }))).names };
    let pooledError = 0;
    let aloneError = 0;
    history.forEach((h, s) => {
      const source = new StoreFeatureSource({ store: h.store, series: h.series, drivers: h.drivers }, schema);
      const shared = predictLearned(pooledModelAt(pooled, h.store, cut, HORIZON)!, source, cut, HORIZON)[0]!;
      const own = fitLearned([source], { cut, horizon: HORIZON })!;
      const alone = predictLearned(own, source, cut, HORIZON)[0]!;
      for (let d = 0; d < HORIZON; d++) {
        pooledError += (shared[d]! - means[s]![d]!) ** 2;
        aloneError += (alone[d]! - means[s]![d]!) ** 2;
      }
    });
    expect(pooledError).toBeLessThan(0.8 * aloneError);
  });

  it('keeps one model per cut, and a store never gets one that saw the days it forecasts', () => {
    const { history } = chain(4);
    const last = LAST - HORIZON;
    const artifact = trainPooled(history, { horizon: HORIZON, folds: 2 });
    const cuts = learnedCuts(last, HORIZON, 2);
    expect(artifact.groups[0]!.models.map((m) => m.cut)).toEqual(cuts.map(formatIsoDay));
    expect(cuts).toHaveLength(2);
    expect(pooledModelAt(artifact, 's01', cuts[1]! - 5, HORIZON)!.cut).toBe(cuts[0]);
    expect(pooledModelAt(artifact, 's01', cuts[1]!, HORIZON)!.cut).toBe(cuts[1]);
    expect(pooledModelAt(artifact, 's01', cuts[0]! - 1, HORIZON)).toBeUndefined();
    expect(pooledModelAt(artifact, 'unknown', last, HORIZON)).toBeUndefined();
    // A model fitted for 28 steps cannot serve a 60-day horizon.
    expect(pooledModelAt(artifact, 's01', last, 60)).toBeUndefined();
    expect(artifact.trainedOn).toMatchObject({ stores: 4, series: 4, groups: 1 });
  });

  it('groups a large chain by its text attributes into even groups', () => {
    const stores = Array.from({ length: 9 }, (_, i): PooledStoreInput => ({
      store: `s${i}`,
      series: [],
      attributes: { columns: [{ name: 'type', kind: 'text' }], values: [i % 2 === 0 ? 'a' : 'b'] },
    }));
    const groups = groupStores(stores, 4);
    expect(groups.map((g) => g.length)).toEqual([3, 3, 3]);
    expect(groups[0]!.map((s) => s.store)).toEqual(['s0', 's2', 's4']);
    expect(groups[2]!.map((s) => s.store)).toEqual(['s3', 's5', 's7']);
  });

  it('reads back what it wrote and refuses a tampered artifact, naming the field', () => {
    const { history } = chain(3);
    const artifact = trainPooled(history, { horizon: 14, folds: 1 });
    const json = JSON.parse(JSON.stringify(artifact)) as Record<string, unknown>;
    expect(parsePooledArtifact(json)).toEqual(json);
    const tamper = (edit: (a: PooledArtifact) => void): (() => unknown) => {
      const copy = JSON.parse(JSON.stringify(artifact)) as PooledArtifact;
      edit(copy);
      return () => parsePooledArtifact(copy);
    };
    expect(tamper((a) => ((a as { schema: string }).schema = 'foreact.pooled/v0'))).toThrow(/schema must be foreact.pooled\/v1/);
    expect(tamper((a) => (a.groups[0]!.models[0]!.cut = '2023-02-30'))).toThrow(/groups\[0\]\.models\[0\]\.cut/);
    expect(tamper((a) => a.features.drivers.push({ name: 'extra', kind: 'numeric', labels: [] }))).toThrow(/features, the feature list/);
    expect(tamper((a) => (a.groups[0]!.models[0]!.model.trees[0]!.left[0] = 0))).toThrow(/groups\[0\]\.models\[0\]: gbdt model/);
    expect(tamper((a) => (a.horizon = 0))).toThrow(/horizon/);
  });
});
