import { describe, expect, test } from 'vitest';
import { MAX_TOTALS_CHARACTERS, totalsToProperty } from '../../../../core/adapters/azure/store-catalog.js';
import { trainerSettings } from '../../../../core/composition.js';
import { ingestUpload } from '../../../../core/domain/ingestion.js';
import type { StoreState } from '../../../../core/domain/model.js';
import { trainAndPublishStore } from '../../../../core/domain/train-and-publish.js';
import { systemClock as clock } from '../../../../core/ports/index.js';
import { formatIsoDay, parseTotalsModel, type TotalsModel } from '../../../../engine/index.js';
import { sampleStore, toCsv } from '../../../support/sales.js';
import { trainerWrites, uploadSource, useTestStorage } from '../../../support/storage.js';

const t = useTestStorage();


function totalsModel(residuals: number): TotalsModel {
  return {
    rho: 0.27,
    points: 84,
    calibration: { p50: 0.48, p80: 0.79, p90: 0.9, p95: 0.94 },
    residuals: Array.from({ length: residuals }, (_, i) => ({ date: formatIsoDay(19000 + i), z: Math.round(Math.sin(i) * 1000) / 1000 + 0 })),
  };
}

function storeWith(store: string, totals: TotalsModel): StoreState {
  return {
    store,
    stale: false,
    updatedAt: '2026-12-07T00:00:00.000Z',
    current: { runId: 'run-1', generatedAt: '2026-12-07T00:00:00.000Z', modelVersion: 'v1', firstDay: '2026-12-08', horizon: 28, items: 3, historyVersion: 'h1', accuracy: { rmsse: 0.5, smape: 20, wape: 0.1 }, totals },
  };
}

describe("a store's totals model in the stores table", () => {
  test('training keeps it on the current forecast, and it reads back as trained', async () => {
    await ingestUpload(t.storage, uploadSource('t.csv', toCsv(sampleStore('T', 6, 200))), { clock });
    await trainAndPublishStore({ ...t.storage, clock }, trainerSettings(t.config), { store: 'T', runId: 'run-t', trigger: 'manual' });
    const totals = (await t.storage.stores.get('T'))!.value.current!.totals!;
    expect(parseTotalsModel(totals)).toEqual(totals);
    expect(totals.points).toBeGreaterThan(0);
    expect(totals.residuals.length).toBeGreaterThan(0);
    expect(totals.rho).toBeGreaterThanOrEqual(0);
    expect(totals.rho).toBeLessThanOrEqual(1);
  });

  test('round trip: a saved model comes back equal, the longest one the trainer keeps included', async () => {
    for (const [store, residuals] of [['R1', 12], ['R2', 732]] as const) {
      const state = storeWith(store, totalsModel(residuals));
      await t.storage.stores.save(state, undefined);
      expect((await t.storage.stores.get(store))!.value.current!.totals).toEqual(state.current!.totals);
    }
  });

  test('a model too long for one property loses its oldest residuals, not the write', () => {
    const long = { ...totalsModel(732), residuals: totalsModel(732).residuals.map((r) => ({ ...r, z: -123.456 })) };
    const text = totalsToProperty({ ...long, residuals: [...long.residuals, ...long.residuals.map((r, i) => ({ date: formatIsoDay(20000 + i), z: r.z }))] });
    expect(text.length).toBeLessThanOrEqual(MAX_TOTALS_CHARACTERS);
    const kept = JSON.parse(text) as TotalsModel;
    expect(kept.residuals.at(-1)!.date).toBe(formatIsoDay(20000 + 731));
    expect(kept.residuals.length).toBeGreaterThan(500);
  });

  test('a tampered model is dropped on read and the rest of the current forecast stays', async () => {
    const tampered = [
      'not json',
      JSON.stringify({ ...totalsModel(3), rho: 5 }),
      JSON.stringify({ ...totalsModel(3), rho: Number.NaN }),
      JSON.stringify({ ...totalsModel(3), calibration: { p50: 0.5, p80: 1.7, p90: 0.9, p95: 0.95 } }),
      JSON.stringify({ ...totalsModel(3), residuals: [{ date: '2026-02-30', z: 1 }] }),
      JSON.stringify({ ...totalsModel(3), residuals: [{ date: '2026-01-01', z: 1 }, { date: '2026-01-01', z: 2 }] }),
      JSON.stringify({ ...totalsModel(3), points: -1 }),
      JSON.stringify(totalsModel(3)).replace('"rho":0.27', '"rho":"0.27"'),
      JSON.stringify({ ...totalsModel(3), residuals: totalsModel(800).residuals }),
    ];
    for (const [i, text] of tampered.entries()) {
      const store = `X${i}`;
      await t.storage.stores.save(storeWith(store, totalsModel(3)), undefined);
      await trainerWrites(t, store, { totals: text });
      const read = (await t.storage.stores.get(store))!.value;
      expect(read.current?.totals, text).toBeUndefined();
      expect(read.current?.runId).toBe('run-1');
      expect(read.current?.accuracy.wape).toBe(0.1);
    }
  });
});
