import { describe, expect, test } from 'vitest';
import { ingestUpload } from '../../../core/domain/ingestion.js';
import { publishRun } from '../../../core/domain/publish.js';
import type { Override } from '../../../core/domain/overrides.js';
import { epochDayFromCivil, sumQuantiles, type SeriesForecast } from '../../../engine/index.js';
import { generateSeries, toCsv } from '../../support/sales.js';
import { uploadSource, useTestStorage } from '../../support/storage.js';

/** Ingestion records, per realised store-day, the total with the overrides then in force and the total's quantiles. */

const t = useTestStorage();

const clock = { now: () => new Date() };
const FIRST = epochDayFromCivil(2024, 3, 11);

describe('realised days with overrides', () => {
  test('an override in force at ingestion gives its days `adjusted` and `adjustedBy`; every day gets the quantiles of its total (with the store\'s rho)', async () => {
    const history = ['1', '2'].map((item, k) => generateSeries({ store: 'V', item, days: 20, start: '2024-02-20', mean: () => 10 + 5 * k, seed: k + 1 }));
    expect((await ingestUpload(t.storage, uploadSource('pos/v-history.csv', toCsv(history)), { clock })).status).toBe('applied');
    const forecasts: SeriesForecast[] = [
      { store: 'V', item: '1', firstDay: FIRST, forecast: Float64Array.from([10, 10, 10]), p10: Float64Array.from([7, 7, 7]), p90: Float64Array.from([13, 13, 13]) },
      { store: 'V', item: '2', firstDay: FIRST, forecast: Float64Array.from([20, 20, 20]), p10: Float64Array.from([15, 15, 15]), p90: Float64Array.from([25, 25, 25]) },
    ];
    const version = (await t.storage.stores.get('V'))!.value.history!.version;
    await publishRun(t.storage, { store: 'V', runId: 'morning-20240310T050000000Z-vvvvvv', modelVersion: 'v1', forecasts, historyVersion: version, accuracy: { rmsse: null, smape: null }, totals: { rho: 0.5, points: 30, calibration: null, residuals: [] }, generatedAt: new Date() });
    const override: Override = { id: '20240310T080000000Z-000000000001', store: 'V', from: '2024-03-12', to: '2024-03-12', items: ['1'], kind: 'percent', value: 50, note: 'Fair', by: 'ann@contoso.com', at: '2024-03-10T08:00:00.000Z', version: 1 };
    await t.storage.overrides!.create(override, { id: '20240310T080000000Z-aaaaaaaaaaaa', override: override.id, action: 'create', at: override.at, by: override.by, note: override.note, before: null, after: override, numbers: { before: [10], after: [15] }, from: override.from, to: override.to, items: ['1'] });

    const actuals = ['1', '2'].map((item, k) => ({ store: 'V', item, startDay: FIRST, values: Float64Array.from([12 + k, 14 + k]) }));
    expect((await ingestUpload(t.storage, uploadSource('pos/v-actuals.csv', toCsv(actuals)), { clock })).status).toBe('applied');
    const days = await t.storage.realised.recent('V', 7);
    expect(days.map((d) => [d.date, d.actual, d.forecast, d.adjusted, d.adjustedBy])).toEqual([
      ['2024-03-11', 25, 30, undefined, undefined],
      ['2024-03-12', 29, 30, 35, ['ann@contoso.com']],
    ]);
    const expected = sumQuantiles([{ mean: 10, p10: 7, p90: 13 }, { mean: 20, p10: 15, p90: 25 }], 0.5).quantiles;
    for (const d of days) for (const level of ['p50', 'p80', 'p90', 'p95'] as const) expect(d.quantiles![level]).toBeCloseTo(expected[level], 3);
    expect(sumQuantiles([{ mean: 10, p10: 7, p90: 13 }, { mean: 20, p10: 15, p90: 25 }], 0).quantiles.p95).toBeLessThan(expected.p95);
  });
});
