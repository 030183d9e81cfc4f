import { describe, expect, it } from 'vitest';
import { driversForStore, EFFECT_TRIALS, formatIsoDay, readDrivers, trainStore, type StoreDrivers } from '../../engine/index.js';
import { foldScores, type Backtest } from '../../engine/train/backtest.js';
import { SeriesAtCut } from '../../engine/train/candidates.js';
import { cutState } from '../../engine/train/cut.js';
import { prepareStore } from '../../engine/train/store.js';
import { CALENDAR_CONFIGS } from '../../engine/train.js';
import { generateSeries } from '../support/sales.js';
import { START, promoStore } from './driver-fixtures.js';

describe('the fold-scoring loop', () => {
  it('sums each alternative’s mean squared error over the scored days, divided by the series’ scale, over folds and series', () => {
    const nan = Number.NaN;
    const backtest = {
      horizon: 3,
      origins: [],
      // Fold 0: series 0 scored on two days, series 1 not scored; fold 1: series 0 on no day at all, series 1 on three.
      actuals: [
        [Float64Array.of(1, nan, 3), undefined],
        [Float64Array.of(nan, nan, nan), Float64Array.of(2, 2, 2)],
      ],
      scales: [
        [2, undefined],
        [1, 4],
      ],
    } as unknown as Backtest;
    const forecasts = (value: number): Float64Array => Float64Array.of(value, value, value);
    const asked: string[] = [];
    const scores = foldScores(backtest, ['cut0', 'cut1'], 2, (cut, k) => {
      asked.push(`${cut}/${k}`);
      return [forecasts(1), forecasts(2)];
    });
    // Alternative 0 (always 1): fold 0 series 0: ((0)² + (−2)²) / 2 / 2 = 1; fold 1 series 1: 3·1² / 3 / 4 = 0.25.
    // Alternative 1 (always 2): fold 0 series 0: (1 + 1) / 2 / 2 = 0.5; fold 1 series 1: 0.
    expect(Array.from(scores)).toEqual([1.25, 0.5]);
    expect(asked).toEqual(['cut0/0', 'cut1/0', 'cut1/1']);
  });

  it('takes the folds given: a prefix of the backtest’s folds scores those folds only', () => {
    const backtest = { horizon: 1, origins: [], actuals: [[Float64Array.of(1)], [Float64Array.of(1)]], scales: [[1], [1]] } as unknown as Backtest;
    expect(Array.from(foldScores(backtest, ['only the first'], 1, () => [Float64Array.of(3)]))).toEqual([4]);
  });
});

describe('a series at a cut', () => {
  it('fits a candidate with drivers on plain sales where the cut has no drivers, and forecasts it as the plain candidate', () => {
    const series = [generateSeries({ store: 's', item: 'a', days: 400, noise: 'poisson', seed: 3, mean: () => 12 })];
    const data = prepareStore(series, 28);
    const at = new SeriesAtCut(data, cutState(data, START + 371, undefined), 0);
    const config = CALENDAR_CONFIGS[0]!;
    const withDrivers = at.component({ family: 'holt_winters', drivers: true }, config, 0.5);
    expect(withDrivers).toEqual({ family: 'holt_winters', weight: 0.5, state: at.component({ family: 'holt_winters', drivers: false }, config, 0.5).state });
    const [plain, driven] = at.forecasts([{ family: 'holt_winters', drivers: false }, { family: 'holt_winters', drivers: true }], config, 28);
    expect(Array.from(driven!)).toEqual(Array.from(plain!));
    expect(at.driverMultiplier(28)).toBeUndefined();
  });

  it('forecasts a candidate with drivers as its fit on driver-free sales times the effects ahead', async () => {
    const store = promoStore({ items: 2, days: 500 });
    const { table, errors } = await readDrivers([Buffer.from(store.driversCsv)], 'drivers.csv');
    expect(errors).toEqual([]);
    const data = prepareStore(store.series, 28, driversForStore(table, 's', ['i1', 'i2']));
    const at = new SeriesAtCut(data, cutState(data, store.lastDay - 28, { dip: false, neighbours: false }), 0);
    const multiplier = at.driverMultiplier(28)!;
    expect(Math.max(...multiplier)).toBeGreaterThan(2);
    const [driven] = at.forecasts([{ family: 'calendar', drivers: true }], CALENDAR_CONFIGS[0]!, 28);
    const component = at.component({ family: 'calendar', drivers: true }, CALENDAR_CONFIGS[0]!, 1);
    expect(component.drivers).toBe(true);
    const average = (promoted: boolean): number => {
      const days = Array.from(driven!).filter((_, s) => multiplier[s]! > 2 === promoted);
      return days.reduce((a, b) => a + b, 0) / days.length;
    };
    expect(average(true) / average(false)).toBeGreaterThan(2);
  });
});

describe('the effects step', () => {
  it('tries no optional effect first, then each option on top of the best so far', () => {
    expect(EFFECT_TRIALS.map((t) => `${t.option}:${t.needs}`)).toEqual(['none:nothing', 'recentDays:flags', 'dip:flags', 'neighbours:events']);
    expect(EFFECT_TRIALS[0]!.change).toEqual({});
  });

  it('reads whether a level driver is a price from its column, as the drivers reader classified it, not from its name', async () => {
    const lines = ['date,store,item,price'];
    const series = [1, 2].map((k) => {
      const s = generateSeries({ store: 'p', item: String(k), days: 400, noise: 'poisson', seed: 80 + k, mean: (i) => 15 * (i % 37 < 7 ? 1.5 : 1) });
      for (let i = 0; i < 428; i++) lines.push(`${formatIsoDay(START + i)},p,${k},${i % 37 < 7 ? 1.6 + 0.1 * (i % 3) : 2}`);
      return s;
    });
    const { table } = await readDrivers([Buffer.from(`${lines.join('\n')}\n`)], 'prices.csv');
    const drivers = driversForStore(table, 'p', ['1', '2'])!;
    const scaleOf = (d: StoreDrivers): string | undefined => trainStore(series, { horizon: 28, drivers: d }).artifacts[0]!.drivers?.effects.levels[0]?.scale;
    expect(scaleOf(drivers)).toBe('log');
    expect(scaleOf({ ...drivers, columns: drivers.columns.map((c) => ({ ...c, scale: 'linear' as const })) })).toBe('linear');
  });
});
