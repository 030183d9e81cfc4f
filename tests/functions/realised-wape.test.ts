import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useIngestHost } from '../support/ingest-host.js';
import { publishRun } from '../../core/domain/publish.js';
import { epochDayFromCivil, formatIsoDay, trainStore, type SeriesHistory } from '../../engine/index.js';
import { generateSeries, toCsv } from '../support/sales.js';
import { syntheticForecasts } from './harness.js';

/**
 * The accuracy alert's signal (bicep/alerts/accuracy.kql): sales for days a published forecast covered,
 * dropped into uploads/ and ingested by the ingest-sales trigger, emit `foreact.store.realised_wape` with
 * the store's WAPE over its last 7 days with actuals and the served model's backtest WAPE.
 */

const METRIC = 'foreact.store.realised_wape';
const HORIZON = 28;
const FOLDS = 2;
const START = epochDayFromCivil(2024, 1, 1);
const DAYS = 400;
const LAST = START + DAYS - 1;
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

// Three items of store R1, 10 days past the history: the actuals that arrive after the forecast.
const full: SeriesHistory[] = [1, 2, 3].map((i) =>
  generateSeries({ store: 'R1', item: String(i), days: DAYS + 10, start: formatIsoDay(START), noise: 'poisson', seed: 20 + i, mean: (d, day) => 8 * i + 4 * Math.sin((2 * Math.PI * day) / 7) + 0.01 * d }),
);
const part = (s: SeriesHistory, from: number, to: number): SeriesHistory => ({ ...s, startDay: from, values: s.values.slice(from - s.startDay, to - s.startDay + 1) });
const history = full.map((s) => part(s, START, LAST));

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });

/** The metric's points as of now: one per store (a gauge keeps each attribute set's latest value). */
async function readings(): Promise<{ store: string; value: number; backtestWape: unknown }[]> {
  await reader.forceFlush();
  const latest = exporter.getMetrics().at(-1);
  const found = latest?.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === METRIC) ?? [];
  return found.flatMap((m) => m.dataPoints.map((p) => ({ store: String(p.attributes.store), value: p.value as number, backtestWape: p.attributes.backtest_wape })));
}

describe('realised WAPE for the accuracy alert', () => {
  beforeAll(() => {
    // Before anything records: the app's gauges go to the global meter provider.
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  });
  afterAll(async () => {
    await reader.shutdown().catch(() => undefined);
  });
  // Registered after the meter provider's hooks, so it starts after it is set and stops before it shuts down.
  const ingest = useIngestHost({ taskHub: 'RealisedWapeHub', settings: { FOREACT_HORIZON_DAYS: String(HORIZON), FOREACT_BACKTEST_FOLDS: String(FOLDS) } });
  const upload = (name: string, series: readonly SeriesHistory[]): Promise<void> => ingest.upload(name, toCsv(series));

  /** Independently of the ingestion: the store total of the current run's rows against the store total sold. */
  async function expectedRealised(store: string, actuals: readonly SeriesHistory[], from: number, to: number): Promise<number> {
    const state = (await ingest.deps.storage.stores.get(store))!.value;
    const rows = await ingest.deps.storage.forecasts.readRun(store, state.current!.runId);
    let error = 0;
    let sold = 0;
    for (let day = from; day <= to; day++) {
      const forecast = rows.reduce((sum, r) => sum + r.forecast[day - epochDayFromCivil(...(r.firstDay.split('-').map(Number) as [number, number, number]))]!, 0);
      const actual = actuals.reduce((sum, s) => sum + s.values[day - s.startDay]!, 0);
      error += Math.abs(forecast - actual);
      sold += actual;
    }
    return error / sold;
  }

  test('the published run carries the store-total backtest WAPE, on the store row and the registry row', async () => {
    await upload('pos/r1-history.csv', history);
    const [outcome] = await ingest.deps.trainStores({ stores: ['R1'], runId: 'run-r1-1', trigger: 'manual' });
    expect(outcome?.status, outcome?.error).toBe('succeeded');
    const state = (await ingest.deps.storage.stores.get('R1'))!.value;
    const expected = trainStore(history, { horizon: HORIZON, folds: FOLDS }).backtestWape!;
    expect(expected).toBeGreaterThan(0);
    expect(state.current!.firstDay).toBe(formatIsoDay(LAST + 1));
    expect(state.current!.accuracy.wape).toBeCloseTo(expected, 9);
    expect((await ingest.deps.storage.models.get('R1', state.current!.modelVersion))!.accuracy.wape).toBeCloseTo(expected, 9);
    // Nothing sold on a forecast day yet: nothing to emit.
    expect((await readings()).filter((r) => r.store === 'R1')).toEqual([]);
  }, 120_000);

  test('sales for forecast days emit the store’s WAPE over its last 7 days with actuals, with backtest_wape', async () => {
    const backtest = round4((await ingest.deps.storage.stores.get('R1'))!.value.current!.accuracy.wape!);

    const first = full.map((s) => part(s, LAST + 1, LAST + 5));
    await upload('pos/r1-week-1.csv', first);
    let r1 = (await readings()).filter((r) => r.store === 'R1');
    expect(r1).toHaveLength(1);
    expect(r1[0]!.backtestWape).toBe(backtest);
    expect(Math.abs(r1[0]!.value - (await expectedRealised('R1', first, LAST + 1, LAST + 5)))).toBeLessThan(1.5e-4);

    // Ten days recorded now: the value is over the last seven of them only.
    const second = full.map((s) => part(s, LAST + 6, LAST + 10));
    await upload('pos/r1-week-2.csv', second);
    r1 = (await readings()).filter((r) => r.store === 'R1');
    expect(r1).toHaveLength(1);
    expect(r1[0]!.backtestWape).toBe(backtest);
    const all = full.map((s) => part(s, LAST + 1, LAST + 10));
    const lastSeven = await expectedRealised('R1', all, LAST + 4, LAST + 10);
    expect(Math.abs(r1[0]!.value - lastSeven)).toBeLessThan(1.5e-4);
    expect(Math.abs(r1[0]!.value - (await expectedRealised('R1', all, LAST + 1, LAST + 10)))).toBeGreaterThan(1e-3);
    expect((await ingest.deps.storage.realised.recent('R1', 30)).length).toBe(10);
  }, 120_000);

  test('a forecast whose model has no backtest WAPE (registered before it was kept) records realised accuracy but emits nothing', async () => {
    const old = [generateSeries({ store: 'R2', item: '1', days: 60, start: formatIsoDay(LAST - 59), mean: () => 10 })];
    await upload('pos/r2-history.csv', old);
    const historyVersion = (await ingest.deps.storage.stores.get('R2'))!.value.history!.version;
    await publishRun(ingest.deps.storage, { store: 'R2', runId: 'run-r2-old', modelVersion: 'v-old', forecasts: syntheticForecasts('R2', 1, LAST + 1, HORIZON), historyVersion, accuracy: { rmsse: 0.8, smape: 20 }, generatedAt: new Date() });
    await upload('pos/r2-day.csv', [generateSeries({ store: 'R2', item: '1', days: 2, start: formatIsoDay(LAST + 1), mean: () => 11 })]);
    expect(await ingest.deps.storage.realised.recent('R2', 7)).toHaveLength(2);
    expect((await readings()).filter((r) => r.store === 'R2')).toEqual([]);
  }, 120_000);
});
