import { describe, expect, it } from 'vitest';
import {
  SERIES_FAMILY_NAMES,
  forecastFromArtifact,
  forecastsAtCutoff,
  lastDay,
  parseModelArtifact,
  trainStore,
  type SeriesHistory,
} from '../../engine/index.js';
import { gaussian, generateSeries, sampleStore, seededRandom } from '../support/sales.js';

const WEEK = [30, 12, 14, 15, 18, 24, 40];
const weekly = (_: number, day: number): number => WEEK[(((day + 4) % 7) + 7) % 7]!;

describe('trainStore on a pure weekly pattern', () => {
  const series = [generateSeries({ store: 's', item: 'w', days: 800, mean: weekly })];
  const result = trainStore(series, { horizon: 21 });

  it('forecasts the pattern exactly', () => {
    const f = result.forecasts[0]!;
    for (let s = 0; s < 21; s++) expect(f.forecast[s]).toBeCloseTo(weekly(0, f.firstDay + s), 6);
  });

  it('seasonal naive alone reproduces it exactly, the calendar model within its shrinkage', () => {
    const naive = trainStore(series, { horizon: 14, families: ['seasonal_naive'] }).forecasts[0]!;
    const calendar = trainStore(series, { horizon: 14, families: ['calendar'] }).forecasts[0]!;
    for (let s = 0; s < 14; s++) {
      const expected = weekly(0, naive.firstDay + s);
      expect(naive.forecast[s]).toBeCloseTo(expected, 9);
      // Seasonal shapes are shrunk slightly toward flat (thin stores need it): well under 1 % here.
      expect(Math.abs(calendar.forecast[s]! / expected - 1)).toBeLessThan(0.01);
    }
  });
});

describe('intermittent demand', () => {
  it('gets a small positive rate from TSB, not a row of zeros, and never negative values', () => {
    const sparse = generateSeries({ store: 's', item: 'rare', days: 700, noise: 'poisson', seed: 3, mean: () => 0.15 });
    const result = trainStore([sparse], { horizon: 28, families: ['tsb'] });
    const f = result.forecasts[0]!;
    const total = f.forecast.reduce((a, b) => a + b, 0);
    expect(total / 28).toBeGreaterThan(0.05);
    expect(total / 28).toBeLessThan(0.4);
    for (const band of [f.forecast, f.p10, f.p90]) for (const v of band) expect(v).toBeGreaterThanOrEqual(0);
  });
});

describe('prediction intervals', () => {
  it('widen with noise and cover about 80 % of a held-out quarter', () => {
    const calm = generateSeries({ store: 's', item: 'calm', days: 900, noise: 'poisson', seed: 11, mean: weekly });
    const shock = seededRandom(99);
    const wild = generateSeries({ store: 's', item: 'wild', days: 900, noise: 'poisson', seed: 12, mean: (i, d) => weekly(i, d) * Math.exp(0.7 * gaussian(shock) - 0.245) });
    const calmPeers = [2, 3, 4, 5, 6].map((k) => generateSeries({ store: 's', item: `calm${k}`, days: 900, noise: 'poisson', seed: 20 + k, mean: weekly }));
    const result = trainStore([calm, wild, ...calmPeers], { horizon: 28 });
    const width = (item: string): number => {
      const f = result.forecasts.find((x) => x.item === item)!;
      return f.p90.reduce((a, b, s) => a + b - f.p10[s]!, 0) / 28;
    };
    expect(width('wild')).toBeGreaterThan(1.5 * width('calm'));

    const store = sampleStore('c', 12, 1000, 5);
    const train = store.map((s) => ({ ...s, values: s.values.subarray(0, 910) }));
    const trained = trainStore(train, { horizon: 90 });
    let inside = 0;
    let points = 0;
    trained.forecasts.forEach((f, k) => {
      for (let step = 0; step < 90; step++) {
        const actual = store[k]!.values[910 + step]!;
        points++;
        if (actual >= f.p10[step]! && actual <= f.p90[step]!) inside++;
      }
    });
    expect(inside / points).toBeGreaterThan(0.7);
    expect(inside / points).toBeLessThan(0.9);
  });
});

describe('backtest', () => {
  it('never uses data after its cut', () => {
    const store = sampleStore('p', 6, 900, 21);
    const cutoff = lastDay(store[0]!) - 60;
    const tampered: SeriesHistory[] = store.map((s) => {
      const values = Float64Array.from(s.values);
      for (let i = cutoff - s.startDay + 1; i < values.length; i++) values[i] = values[i]! * 7 + 3;
      return { ...s, values };
    });
    const honest = forecastsAtCutoff(store, cutoff, 30);
    const afterTampering = forecastsAtCutoff(tampered, cutoff, 30);
    expect(honest.size).toBe(6);
    for (const [item, byFamily] of honest) {
      for (const family of SERIES_FAMILY_NAMES) expect(Array.from(afterTampering.get(item)![family]!)).toEqual(Array.from(byFamily[family]!));
    }
  });

  it('reports each family and the selected mix, chosen on folds it did not see', () => {
    const { report } = trainStore(sampleStore('r', 8, 800, 2), { horizon: 28, folds: 3, evaluate: true });
    expect(Object.keys(report!.families).sort()).toEqual([...SERIES_FAMILY_NAMES].sort());
    expect(report!.selected.points).toBe(8 * 3 * 28);
    const naive = report!.families.seasonal_naive!;
    // Poisson noise around a seasonal mean: smoothing models must beat last week's noisy copy.
    expect(report!.selected.rmsseSum / report!.selected.rmsseSeries).toBeLessThan(0.8 * (naive.rmsseSum / naive.rmsseSeries));
  });
});

describe('model artifacts', () => {
  it('round-trip through JSON to the same forecast without refitting', () => {
    const result = trainStore(sampleStore('a', 5, 800, 9), { horizon: 35 });
    result.artifacts.forEach((artifact, k) => {
      const restored = parseModelArtifact(JSON.parse(JSON.stringify(artifact)));
      const again = forecastFromArtifact(restored, 35);
      expect(Array.from(again.forecast)).toEqual(Array.from(result.forecasts[k]!.forecast));
      expect(Array.from(again.p90)).toEqual(Array.from(result.forecasts[k]!.p90));
      expect(restored.window.to).toBe(restored.origin);
    });
  });

  it('refuses an artifact with a wrong schema, naming the field', () => {
    const artifact = trainStore(sampleStore('b', 1, 400, 1), { horizon: 7 }).artifacts[0]!;
    expect(() => parseModelArtifact({ ...artifact, origin: '2024-02-30' })).toThrow(/origin/);
    expect(() => parseModelArtifact({ ...artifact, schema: 'foreact.model/v0' })).toThrow(/schema/);
  });
});

describe('closed days', () => {
  it('are not learnt as low demand, and a yearly closure is forecast as zero', () => {
    const store = [1, 2, 3].map((k) =>
      generateSeries({ store: 'x', item: String(k), days: 3 * 365 + 20, start: '2021-12-01', noise: 'poisson', seed: k, mean: (_, day) => 30 * weekly(0, day) / 20 }),
    );
    for (const s of store) for (let i = 0; i < s.values.length; i++) {
      const date = new Date((s.startDay + i) * 86_400_000);
      if (date.getUTCMonth() === 11 && date.getUTCDate() === 25) s.values[i] = 0;
    }
    const cut = store.map((s) => ({ ...s, values: s.values.subarray(0, 3 * 365 + 10) }));
    const { forecasts, artifacts } = trainStore(cut, { horizon: 30 });
    expect(artifacts[0]!.closedMonthDays).toContain(1225);
    const f = forecasts[0]!;
    for (let s = 0; s < 30; s++) {
      const date = new Date((f.firstDay + s) * 86_400_000);
      if (date.getUTCMonth() === 11 && date.getUTCDate() === 25) expect(f.forecast[s]).toBe(0);
      else expect(f.forecast[s]).toBeGreaterThan(10);
    }
  });
});

describe('pay-cycle (day-of-month) shape', () => {
  it('is learnt from the store and carried into the forecast', () => {
    const payday = (_: number, day: number): number => {
      const dom = new Date(day * 86_400_000).getUTCDate();
      return 40 * (dom <= 10 ? 1.3 : dom >= 25 ? 0.8 : 1);
    };
    const store = [1, 2, 3, 4].map((k) => generateSeries({ store: 'p', item: String(k), days: 900, noise: 'poisson', seed: 40 + k, mean: payday }));
    const { forecasts } = trainStore(store, { horizon: 60, families: ['calendar'] });
    let early = 0;
    let late = 0;
    let earlyDays = 0;
    let lateDays = 0;
    const f = forecasts[0]!;
    for (let s = 0; s < 60; s++) {
      const dom = new Date((f.firstDay + s) * 86_400_000).getUTCDate();
      if (dom <= 10) {
        early += f.forecast[s]!;
        earlyDays++;
      } else if (dom >= 25) {
        late += f.forecast[s]!;
        lateDays++;
      }
    }
    // True ratio 1.3 / 0.8 = 1.63; shrinkage toward flat keeps part of it for a store this small.
    expect(early / earlyDays / (late / lateDays)).toBeGreaterThan(1.25);
  });
});
