import { describe, expect, it } from 'vitest';
import { forecastsAtCutoff, lastDay, parseModelArtifact, trainStore, type ModelArtifact, type SeriesHistory } from '../../engine/index.js';
import { sampleStore } from '../support/sales.js';

const HORIZON = 28;
const FOLDS = 3;

/** A small store with the awkward cases: an item with missing days inside the folds, one that starts late. */
function store(): SeriesHistory[] {
  const series = sampleStore('W', 4, 500, 11);
  const gappy = series[1]!;
  gappy.values.fill(Number.NaN, 440, 447);
  const late = series[3]!;
  series[3] = { ...late, startDay: late.startDay + 300, values: late.values.slice(300) };
  return series;
}

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

const label = (c: ModelArtifact['components'][number]): string => (c.drivers === true ? `${c.family}+drivers` : c.family);

/**
 * The backtest redone from the outside: at each fold's cut (every `horizon` days back from the store's last
 * day), each item's selected mix as forecastsAtCutoff computes it, scored on the observed days after the cut.
 */
function independent(series: readonly SeriesHistory[], artifacts: readonly ModelArtifact[]) {
  const last = Math.max(...series.map(lastDay));
  const items = new Map(artifacts.map((a) => [a.item, { absError: 0, actual: 0, folds: 0 }]));
  let storeError = 0;
  let storeActual = 0;
  for (let k = 1; k <= FOLDS; k++) {
    const cut = last - k * HORIZON;
    const atCut = forecastsAtCutoff(series, cut, HORIZON, artifacts[0]!.calendarConfig);
    const totalForecast = new Float64Array(HORIZON);
    const totalActual = new Float64Array(HORIZON);
    const seen = new Array<boolean>(HORIZON).fill(false);
    for (const a of artifacts) {
      const s = series.find((x) => x.item === a.item)!;
      const byLabel = atCut.get(a.item);
      if (byLabel === undefined) continue;
      const entry = items.get(a.item)!;
      entry.folds++;
      for (let d = 0; d < HORIZON; d++) {
        const y = s.values[cut + 1 + d - s.startDay];
        if (y === undefined || Number.isNaN(y)) continue;
        const f = a.components.reduce((sum, c) => sum + c.weight * byLabel[label(c)]![d]!, 0);
        entry.absError += Math.abs(f - y);
        entry.actual += y;
        totalForecast[d]! += f;
        totalActual[d]! += y;
        seen[d] = true;
      }
    }
    // The store-total figure is scored on the first week after each cut: the lead times realised accuracy sees.
    for (let d = 0; d < Math.min(HORIZON, 7); d++) {
      if (!seen[d]) continue;
      storeError += Math.abs(totalForecast[d]! - totalActual[d]!);
      storeActual += totalActual[d]!;
    }
  }
  return { items, storeWape: storeError / storeActual };
}

describe('backtest WAPE', () => {
  const series = store();
  const result = trainStore(series, { horizon: HORIZON, folds: FOLDS });
  const expected = independent(series, result.artifacts);

  it('each artifact keeps Σ|forecast − actual| and Σ actual of its selected mix over the scored days of the folds', () => {
    expect(result.artifacts).toHaveLength(4);
    for (const a of result.artifacts) {
      const e = expected.items.get(a.item)!;
      expect(a.backtest.folds).toBe(e.folds);
      expect(e.actual).toBeGreaterThan(0);
      close(a.backtest.absError!, e.absError);
      close(a.backtest.actual!, e.actual);
    }
    // The late item is in every fold; the gap leaves out exactly its missing days.
    expect(expected.items.get('4')!.folds).toBe(FOLDS);
  });

  it('summed over items the sums give the items’ WAPE; the store-total WAPE over each fold’s first week is the independent one and lower (item errors cancel)', () => {
    const sum = (f: (a: ModelArtifact) => number): number => result.artifacts.reduce((s, a) => s + f(a), 0);
    const itemsWape = sum((a) => a.backtest.absError!) / sum((a) => a.backtest.actual!);
    const expectedItemsWape = [...expected.items.values()].reduce((s, e) => s + e.absError, 0) / [...expected.items.values()].reduce((s, e) => s + e.actual, 0);
    close(itemsWape, expectedItemsWape);
    expect(result.backtestWape).not.toBeNull();
    close(result.backtestWape!, expected.storeWape);
    expect(result.backtestWape!).toBeGreaterThan(0);
    expect(result.backtestWape!).toBeLessThan(itemsWape);
  });

  it('is null without a fold', () => {
    const short = trainStore(sampleStore('X', 2, 30, 3), { horizon: HORIZON, folds: FOLDS });
    expect(short.backtestWape).toBeNull();
    expect(short.artifacts[0]!.backtest).toMatchObject({ folds: 0, absError: 0, actual: 0 });
  });

  it('older artifacts without the sums still load (v2 from before them, and v1)', () => {
    const artifact = JSON.parse(JSON.stringify(result.artifacts[0])) as ModelArtifact;
    const { absError: _absError, actual: _actual, ...before } = artifact.backtest;
    const v2 = parseModelArtifact({ ...artifact, backtest: before });
    expect(v2.backtest.absError).toBeUndefined();
    expect(v2.backtest.actual).toBeUndefined();
    const { drivers: _drivers, closedWeekdays: _closed, ...v1Fields } = artifact;
    expect(parseModelArtifact({ ...v1Fields, schema: 'foreact.model/v1', backtest: before }).schema).toBe('foreact.model/v2');
    expect(parseModelArtifact(artifact).backtest.absError).toBe(artifact.backtest.absError);
    expect(() => parseModelArtifact({ ...artifact, backtest: { ...artifact.backtest, actual: -1 } })).toThrow(/backtest\.actual/);
  });
});
