import { describe, expect, it } from 'vitest';
import { dayOfWeek, parseIsoDay } from '../../../engine/dates.js';
import type { StoreDrivers } from '../../../engine/drivers.js';
import { forecastFromArtifact, parseModelArtifact, trainPooled, trainStore, type SeriesHistory } from '../../../engine/index.js';
import { StoreLearned } from '../../../engine/train/learned.js';
import { prepareStore } from '../../../engine/train/store.js';
import { poisson, seededRandom } from '../../support/sales.js';

const START = parseIsoDay('2021-01-04')!;
const DAYS = 760;
const HORIZON = 28;


/** Items whose promotions lift sales 4× on Mondays and 1.5× otherwise; drivers run HORIZON days past the sales. */
function promotionStore(store = 's1', items = 6, seed = 3): { series: SeriesHistory[]; drivers: StoreDrivers } {
  const random = seededRandom(seed);
  const promo = new Float64Array(DAYS + HORIZON);
  for (let i = 0; i < promo.length; i++) promo[i] = random() < 0.25 ? 1 : 0;
  const drivers: StoreDrivers = { store, firstDay: START, lastDay: START + promo.length - 1, columns: [{ name: 'promo', kind: 'numeric', scale: 'linear' }], labels: [[]], storeValues: [promo], items: new Map() };
  const series = Array.from({ length: items }, (_, k) => {
    const values = new Float64Array(DAYS);
    for (let i = 0; i < DAYS; i++) values[i] = poisson(random, (4 + 2 * k) * (promo[i] === 1 ? (dayOfWeek(START + i) === 1 ? 4 : 1.5) : 1));
    return { store, item: `i${k}`, startDay: START, values };
  });
  return { series, drivers };
}

describe('the learned family in a store’s training', () => {
  it('forecasts a fold from nothing after the fold’s cut', () => {
    const { series, drivers } = promotionStore();
    const cut = START + DAYS - 1 - 2 * HORIZON;
    const at = (s: SeriesHistory[]): number[][] => new StoreLearned(prepareStore(s, HORIZON, drivers), { horizon: HORIZON, drivers }, cut).at(cut, HORIZON).map((f) => Array.from(f!));
    const tampered = series.map((s) => ({ ...s, values: s.values.map((v, i) => (START + i > cut ? v * 10 + 7 : v)) }));
    expect(at(tampered)).toEqual(at(series));
  });

  it('is a candidate with drivers, earns its place on an interaction, and its artifacts forecast again as trained', () => {
    const { series, drivers } = promotionStore();
    const result = trainStore(series, { horizon: HORIZON, drivers, evaluate: true });
    expect(result.learned).toEqual(['store']);
    expect(Object.keys(result.report!.families)).toContain('learned');
    // On promotion × weekday the separable families cannot fit, the learned one must be in most series' mixes.
    const withLearned = result.artifacts.filter((a) => a.components.some((c) => c.family === 'learned'));
    expect(withLearned.length).toBeGreaterThanOrEqual(series.length / 2);
    for (const artifact of result.artifacts) {
      const again = forecastFromArtifact(parseModelArtifact(JSON.parse(JSON.stringify(artifact))), HORIZON, drivers);
      const trained = result.forecasts.find((f) => f.item === artifact.item)!;
      expect(Array.from(again.forecast)).toEqual(Array.from(trained.forecast));
    }
    const learnedAlone = result.report!.families.learned!;
    const calendarWithDrivers = result.report!.families['calendar+drivers']!;
    expect(learnedAlone.rmsseSum / learnedAlone.rmsseSeries).toBeLessThan(calendarWithDrivers.rmsseSum / calendarWithDrivers.rmsseSeries);
  });

  it('is not tried without drivers unless asked for by name', () => {
    const { series } = promotionStore();
    expect(trainStore(series, { horizon: HORIZON }).learned).toBeUndefined();
    expect(trainStore(series, { horizon: HORIZON, families: ['calendar', 'learned'] }).learned).toEqual(['store']);
  });

  it('uses the pooled step’s model of the store’s group when it has one', () => {
    const stores = ['a', 'b', 'c'].map((id, n) => promotionStore(id, 2, 10 + n));
    const pooled = trainPooled(stores.map((s) => ({ store: s.series[0]!.store, series: s.series, drivers: s.drivers })), { horizon: HORIZON });
    expect(trainStore(stores[1]!.series, { horizon: HORIZON, drivers: stores[1]!.drivers, pooled }).learned).toEqual(['pooled']);
    // A store outside every group fits its own.
    const other = promotionStore('z', 2, 99);
    expect(trainStore(other.series, { horizon: HORIZON, drivers: other.drivers, pooled }).learned).toEqual(['store']);
  });

  it('refuses a stored learned component whose path is not a forecast', () => {
    const { series, drivers } = promotionStore();
    const artifact = trainStore(series, { horizon: HORIZON, drivers }).artifacts.find((a) => a.components.some((c) => c.family === 'learned'))!;
    const json = JSON.parse(JSON.stringify(artifact)) as { components: { family: string; state: { path: unknown[] } }[] };
    json.components.find((c) => c.family === 'learned')!.state.path[3] = -1;
    expect(() => parseModelArtifact(json)).toThrow(/components\.\d+\.state: learned component: state\.path\[3\] must be a finite number ≥ 0/);
  });
});
