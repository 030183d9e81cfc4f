import { describe, expect, it } from 'vitest';
import {
  driversForStore,
  forecastFromArtifact,
  forecastsAtCutoff,
  formatIsoDay,
  parseModelArtifact,
  readDrivers,
  trainStore,
  type SeriesHistory,
  type StoreDrivers,
} from '../../engine/index.js';
import { generateSeries } from '../support/sales.js';
import { START, promoStore, weekday } from './driver-fixtures.js';

async function storeDrivers(csv: string, store: string, items: string[]): Promise<StoreDrivers> {
  const { table, errors } = await readDrivers([Buffer.from(csv)], 'drivers.csv');
  expect(errors).toEqual([]);
  return driversForStore(table, store, items)!;
}

const mean = (values: ArrayLike<number>): number => Array.from(values).reduce((a, b) => a + b, 0) / values.length;

describe('closed days', () => {
  it('open = 0 is forecast as exactly 0 with p10 = p90 = 0, and does not pull down the other days', async () => {
    const days = 500;
    const series = [1, 2, 3].map((k) => generateSeries({ store: 'c', item: String(k), days, noise: 'poisson', seed: k, mean: () => 20 }));
    const closed = new Set<number>();
    // Closed one day in ten in the history (nothing sold), and on three days to come.
    for (let i = 5; i < days; i += 10) closed.add(START + i);
    for (const s of series) for (const day of closed) s.values[day - START] = 0;
    const future = [START + days + 2, START + days + 9, START + days + 10];
    future.forEach((d) => closed.add(d));
    const lines = ['date,store,open'];
    for (let i = 0; i < days + 28; i++) lines.push(`${formatIsoDay(START + i)},c,${closed.has(START + i) ? 0 : 1}`);
    const drivers = await storeDrivers(`${lines.join('\n')}\n`, 'c', ['1', '2', '3']);
    const { forecasts } = trainStore(series, { horizon: 28, drivers });
    for (const f of forecasts) {
      for (let s = 0; s < 28; s++) {
        if (closed.has(f.firstDay + s)) {
          expect([f.forecast[s], f.p10[s], f.p90[s]]).toEqual([0, 0, 0]);
        } else {
          expect(f.forecast[s]).toBeGreaterThan(17);
          expect(f.forecast[s]).toBeLessThan(23);
        }
      }
    }
  });

  it('a weekday the store has been closed on every week is forecast as 0 without drivers, open days unharmed', () => {
    const level = [0, 30, 32, 34, 36, 40, 50];
    const series = [1, 2].map((k) => generateSeries({ store: 'sun', item: String(k), days: 600, noise: 'poisson', seed: 40 + k, mean: (_, day) => level[weekday(day)]! }));
    const result = trainStore(series, { horizon: 21 });
    for (const f of result.forecasts) {
      for (let s = 0; s < 21; s++) {
        const wd = weekday(f.firstDay + s);
        if (wd === 0) expect([f.forecast[s], f.p10[s], f.p90[s]]).toEqual([0, 0, 0]);
        else expect(Math.abs(f.forecast[s]! / level[wd]! - 1)).toBeLessThan(0.12);
      }
    }
    expect(result.artifacts[0]!.closedWeekdays).toEqual([0]);
  });

  it('days absent from the sales are unknown, not zeros: an absent weekday is not a closed one', () => {
    const series = [generateSeries({ store: 'gap', item: '1', days: 400, noise: 'poisson', seed: 3, mean: () => 25 })];
    for (let i = 0; i < 400; i++) if (weekday(START + i) === 3) series[0]!.values[i] = Number.NaN;
    const f = trainStore(series, { horizon: 14 }).forecasts[0]!;
    for (let s = 0; s < 14; s++) expect(f.forecast[s]).toBeGreaterThan(20);
  });
});

describe('driver effects', () => {
  it('recover a known promotion uplift, pooled across the store and per item', async () => {
    const store = promoStore({ uplift: 3, items: 6, days: 700 });
    const drivers = await storeDrivers(store.driversCsv, 's', store.series.map((s) => s.item));
    const result = trainStore(store.series, { horizon: 28, drivers });
    for (const artifact of result.artifacts) {
      const flag = artifact.drivers!.effects.flags.find((f) => f.column === 'promo')!;
      expect(flag.factor).toBeGreaterThan(2.6);
      expect(flag.factor).toBeLessThan(3.4);
      expect(artifact.components.some((c) => c.drivers === true)).toBe(true);
    }
    // The forecast itself: promotion days about three times the others.
    for (const f of result.forecasts) {
      const promos = store.promoDays.get(f.item)!;
      const on = Array.from(f.forecast).filter((_, s) => promos.has(f.firstDay + s));
      const off = Array.from(f.forecast).filter((_, s) => !promos.has(f.firstDay + s));
      if (on.length === 0 || off.length === 0) continue;
      expect(mean(on) / mean(off)).toBeGreaterThan(2.3);
      expect(mean(on) / mean(off)).toBeLessThan(3.9);
    }
  });

  it('beat the same families without drivers in the backtest, and report both', async () => {
    const store = promoStore({ uplift: 4, items: 5, days: 600, seed: 8 });
    const drivers = await storeDrivers(store.driversCsv, 's', store.series.map((s) => s.item));
    const { report } = trainStore(store.series, { horizon: 28, drivers, evaluate: true });
    const rmsse = (name: string): number => report!.families[name]!.rmsseSum / report!.families[name]!.rmsseSeries;
    expect(Object.keys(report!.families)).toContain('calendar+drivers');
    expect(rmsse('calendar+drivers')).toBeLessThan(0.8 * rmsse('calendar'));
  });

  it('ignore a driver that never varies in the history, with a note', async () => {
    const store = promoStore({ items: 2, days: 300 });
    const lines = store.driversCsv.trim().split('\n').map((line, i) => `${line},${i === 0 ? 'flyer' : '1'}`);
    const drivers = await storeDrivers(`${lines.join('\n')}\n`, 's', ['i1', 'i2']);
    const result = trainStore(store.series, { horizon: 14, drivers });
    expect(result.notes).toContain('driver "flyer" never varies in the history of store s: ignored');
    for (const artifact of result.artifacts) expect(artifact.drivers!.effects.flags.map((f) => f.column)).toEqual(['promo']);
  });

  it('still forecast every day when the drivers stop short of the horizon', async () => {
    const store = promoStore({ items: 2, days: 300, futureDays: 5 });
    const drivers = await storeDrivers(store.driversCsv, 's', ['i1', 'i2']);
    const { forecasts } = trainStore(store.series, { horizon: 14, drivers });
    for (const f of forecasts) {
      expect(f.forecast).toHaveLength(14);
      for (const v of f.forecast) expect(v).toBeGreaterThan(0);
    }
  });
});

describe('artifacts with drivers', () => {
  it('forecast from the artifact and the future drivers exactly as the direct forecast', async () => {
    const store = promoStore({ items: 4, days: 500, seed: 12 });
    const drivers = await storeDrivers(`${store.driversCsv}`, 's', store.series.map((s) => s.item));
    const result = trainStore(store.series, { horizon: 21, drivers });
    result.artifacts.forEach((artifact, k) => {
      const restored = parseModelArtifact(JSON.parse(JSON.stringify(artifact)));
      expect(restored.schema).toBe('foreact.model/v2');
      const again = forecastFromArtifact(restored, 21, drivers);
      expect(Array.from(again.forecast)).toEqual(Array.from(result.forecasts[k]!.forecast));
      expect(Array.from(again.p10)).toEqual(Array.from(result.forecasts[k]!.p10));
      expect(Array.from(again.p90)).toEqual(Array.from(result.forecasts[k]!.p90));
    });
  });

  it('still read v1 artifacts, and refuse unknown versions with a clear message', () => {
    const artifact = trainStore([generateSeries({ store: 'v', item: '1', days: 300, noise: 'poisson', mean: () => 9 })], { horizon: 7 }).artifacts[0]!;
    const v1 = JSON.parse(JSON.stringify({ ...artifact, schema: 'foreact.model/v1' })) as Record<string, unknown>;
    delete v1.closedWeekdays;
    const restored = parseModelArtifact(v1);
    expect(Array.from(forecastFromArtifact(restored, 7).forecast)).toEqual(Array.from(forecastFromArtifact(artifact, 7).forecast));
    expect(() => parseModelArtifact({ ...artifact, schema: 'foreact.model/v9' })).toThrow(/schema "foreact\.model\/v9" is not one this engine reads.*retrain/);
  });
});

describe('the backtest with drivers', () => {
  it('never sees sales or driver-effect estimates from after its cut', async () => {
    const store = promoStore({ items: 4, days: 600, seed: 21 });
    const drivers = await storeDrivers(store.driversCsv, 's', store.series.map((s) => s.item));
    const cutoff = store.lastDay - 60;
    // After the cut: promotions now sell ten times as much, and everything else doubles.
    const tampered: SeriesHistory[] = store.series.map((s) => {
      const values = Float64Array.from(s.values);
      for (let i = cutoff - s.startDay + 1; i < values.length; i++) values[i] = values[i]! * (store.promoDays.get(s.item)!.has(s.startDay + i) ? 10 : 2);
      return { ...s, values };
    });
    for (const effectConfig of [{ dip: false, neighbours: false }, { dip: true, neighbours: true, recentDays: 365 }]) {
      const honest = forecastsAtCutoff(store.series, cutoff, 30, undefined, drivers, effectConfig);
      const afterTampering = forecastsAtCutoff(tampered, cutoff, 30, undefined, drivers, effectConfig);
      expect(honest.size).toBe(4);
      for (const [item, byCandidate] of honest) {
        expect(Object.keys(byCandidate)).toContain('tsb+drivers');
        for (const [candidate, forecast] of Object.entries(byCandidate)) expect(Array.from(afterTampering.get(item)![candidate]!)).toEqual(Array.from(forecast));
      }
      // The champion gate asks for a few candidates per item: the same numbers, and only those.
      const [first, second] = [...honest.keys()];
      const wanted = new Map([[first!, new Set(['tsb+drivers', 'calendar'])], [second!, new Set(['ses'])]]);
      const some = forecastsAtCutoff(store.series, cutoff, 30, undefined, drivers, effectConfig, (item) => wanted.get(item));
      expect([...some.keys()]).toEqual([first, second]);
      for (const [item, labels] of wanted) {
        expect(Object.keys(some.get(item)!).sort()).toEqual([...labels].sort());
        for (const label of labels) expect(Array.from(some.get(item)![label]!)).toEqual(Array.from(honest.get(item)![label]!));
      }
    }
  });
});

describe('price elasticity', () => {
  it('is learnt where prices are given: a 20 % cut sells about (0.8)^-2 = 1.56 times as much', async () => {
    const elasticity = -2;
    const lines = ['date,store,item,price'];
    const series = [1, 2, 3].map((k) => {
      const prices: number[] = [];
      const s = generateSeries({
        store: 'p',
        item: String(k),
        days: 600,
        noise: 'poisson',
        seed: 60 + k,
        mean: (i) => {
          // Regular price 2.0, cut by 10–30 % for a week every month or so.
          const price = i % 37 < 7 ? 2 * (0.7 + 0.1 * (i % 3)) : 2;
          prices.push(price);
          return 15 * Math.pow(price / 2, elasticity);
        },
      });
      for (let i = 0; i < 600 + 35; i++) lines.push(`${formatIsoDay(START + i)},p,${k},${i < 600 ? prices[i] : i % 37 < 7 ? 1.6 : 2}`);
      return s;
    });
    const drivers = await storeDrivers(`${lines.join('\n')}\n`, 'p', ['1', '2', '3']);
    const result = trainStore(series, { horizon: 35, drivers });
    const level = result.artifacts[0]!.drivers!.effects.levels[0]!;
    expect(level).toMatchObject({ column: 'price', scale: 'log', reference: 2 });
    expect(level.beta).toBeGreaterThan(-2.4);
    expect(level.beta).toBeLessThan(-1.6);
    for (const f of result.forecasts) {
      const cut = Array.from(f.forecast).filter((_, s) => (f.firstDay + s - START) % 37 < 7);
      const regular = Array.from(f.forecast).filter((_, s) => (f.firstDay + s - START) % 37 >= 7);
      expect(mean(cut) / mean(regular)).toBeGreaterThan(1.3);
      expect(mean(cut) / mean(regular)).toBeLessThan(1.8);
    }
  });
});
