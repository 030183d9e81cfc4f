import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeKey, encodeKey } from '../../../../core/adapters/azure/index.js';
import { storeBlobName } from '../../../../core/domain/store-pointers.js';
import type { ChampionDecision, ForecastRow, ModelVersion, RunRecord, StoreState } from '../../../../core/domain/model.js';
import { ConcurrencyConflict, NotFound } from '../../../../core/ports/index.js';
import { trainStore } from '../../../../engine/index.js';
import { sampleStore } from '../../../support/sales.js';
import { startTestStorage, type TestStorage } from '../../../support/storage.js';

let t: TestStorage;

beforeAll(async () => {
  t = await startTestStorage();
});
afterAll(async () => {
  await t?.stop();
});

const ODD = "Nord/Süd #1 ?'|~%";

describe('keys', () => {
  test('any id survives encoding, and encoded keys use only key-safe characters', () => {
    for (const id of ['1', 'TX_3', 'FOODS_3_090', ODD, 'ünïcødé 店', '']) {
      const key = encodeKey(id);
      expect(key).toMatch(/^[A-Za-z0-9_.~-]*$/);
      expect(decodeKey(key)).toBe(id);
    }
    expect(encodeKey('TX_3')).toBe('TX_3');
  });
});

describe('store catalog', () => {
  const state = (store: string): StoreState => ({
    store,
    stale: true,
    staleReason: 'no forecast yet',
    staleSince: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    history: { blob: storeBlobName('history', store, 'v20260101T000000000Z-000001'), version: 'v20260101T000000000Z-000001', firstDay: '2025-01-01', lastDay: '2025-12-31', items: 3, observations: 1095, updatedAt: '2026-01-01T00:00:00.000Z' },
    current: { runId: 'run-1', generatedAt: '2026-01-02T00:00:00.000Z', modelVersion: 'v9', firstDay: '2026-01-01', horizon: 28, items: 3, historyVersion: 'v20260101T000000000Z-000001', accuracy: { rmsse: 0.8, smape: null } },
    previousRunId: 'run-0',
    championVersion: 'v9',
    lastRun: { runId: 'run-2', status: 'failed', at: '2026-01-03T00:00:00.000Z', error: 'boom' },
  });

  test('round trip, conditional create and replace, list and getMany', async () => {
    const s = state(ODD);
    const etag = await t.storage.stores.save(s, undefined);
    const read = await t.storage.stores.get(ODD);
    expect(read?.value).toEqual(s);
    await expect(t.storage.stores.save(s, undefined)).rejects.toBeInstanceOf(ConcurrencyConflict);
    const etag2 = await t.storage.stores.save({ ...s, stale: false, staleReason: undefined }, etag);
    expect(etag2).not.toBe(etag);
    await expect(t.storage.stores.save(s, etag)).rejects.toBeInstanceOf(ConcurrencyConflict);
    await t.storage.stores.save(state('plain'), undefined);
    expect((await t.storage.stores.list()).map((x) => x.store).sort()).toEqual([ODD, 'plain'].sort());
    const many = await t.storage.stores.getMany(['plain', 'missing', ODD]);
    expect([...many.keys()].sort()).toEqual([ODD, 'plain'].sort());
    expect(many.get(ODD)?.stale).toBe(false);
    expect(await t.storage.stores.get('missing')).toBeUndefined();
  });
});

describe('sales history', () => {
  test('versions are immutable blobs that read back exactly, gaps included', async () => {
    const series = sampleStore(ODD, 3, 60);
    series[0]!.values[5] = Number.NaN;
    const a = await t.storage.history.write(ODD, series);
    const b = await t.storage.history.write(ODD, series.slice(0, 1));
    expect(a.blob).not.toBe(b.blob);
    const back = await t.storage.history.read(a.blob);
    expect(back.map((s) => [s.store, s.item, s.startDay, Array.from(s.values)])).toEqual(series.map((s) => [s.store, s.item, s.startDay, Array.from(s.values)]));
    await t.storage.history.delete(a.blob);
    await expect(t.storage.history.read(a.blob)).rejects.toBeInstanceOf(NotFound);
    expect(await t.storage.history.read(b.blob)).toHaveLength(1);
  });
});

describe('model registry', () => {
  test('artifacts, versions, champion flip in one transaction, stale etag refused', async () => {
    const trained = trainStore(sampleStore('m1', 3, 200), { horizon: 14, folds: 1 });
    const blob = await t.storage.models.saveArtifacts('m1', 'v001', trained.artifacts);
    expect(await t.storage.models.loadArtifacts(blob)).toEqual(JSON.parse(JSON.stringify(trained.artifacts)));
    const model = (version: string): ModelVersion => ({
      store: 'm1', version, runId: `run-${version}`, createdAt: '2026-01-01T00:00:00.000Z', artifactBlob: blob,
      families: { calendar: 2, tsb: 1 }, accuracy: { rmsse: 0.9, smape: 20 }, window: { from: '2025-01-01', to: '2025-07-19', horizon: 14, folds: 1 }, items: 3, champion: false,
    });
    const decision = (promoted: boolean): ChampionDecision => ({ promoted, reason: 'test', metric: 'rmsse', candidateScore: 1, championScore: 1, comparedItems: 3, decidedAt: '2026-01-01T00:00:00.000Z' });
    await t.storage.models.register(model('v001'));
    await expect(t.storage.models.register(model('v001'))).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect(await t.storage.models.champion('m1')).toBeUndefined();
    await t.storage.models.decide(model('v001'), decision(true), undefined);
    const first = await t.storage.models.champion('m1');
    expect(first?.version).toBe('v001');
    expect(first?.decision?.promoted).toBe(true);

    await t.storage.models.register(model('v002'));
    await t.storage.models.decide(model('v002'), decision(false), first);
    expect((await t.storage.models.champion('m1'))?.version).toBe('v001');
    expect((await t.storage.models.get('m1', 'v002'))?.decision?.promoted).toBe(false);

    await t.storage.models.register(model('v003'));
    await t.storage.models.decide(model('v003'), decision(true), first);
    expect((await t.storage.models.champion('m1'))?.version).toBe('v003');
    expect((await t.storage.models.get('m1', 'v001'))?.champion).toBe(false);
    expect((await t.storage.models.list('m1')).map((m) => m.version)).toEqual(['v003', 'v002', 'v001']);

    // `first` was read before v003's promotion changed it: a second promotion based on it must lose.
    await t.storage.models.register(model('v004'));
    await expect(t.storage.models.decide(model('v004'), decision(true), first)).rejects.toBeInstanceOf(ConcurrencyConflict);
    expect((await t.storage.models.champion('m1'))?.version).toBe('v003');
  });
});

describe('forecasts', () => {
  const rows = (store: string, runId: string, n: number, value: number): ForecastRow[] =>
    Array.from({ length: n }, (_, i) => ({ store, item: `item ${i}/x`, runId, modelVersion: 'v1', firstDay: '2026-02-01', forecast: [value, value + 0.5], p10: [value - 1, value - 1], p90: [value + 1, value + 2] }));

  test('a run of more than 100 items round-trips, filters by item, and deletes', async () => {
    const written = rows(ODD, 'run-a', 250, 3);
    await t.storage.forecasts.writeRun(ODD, 'run-a', written);
    const back = await t.storage.forecasts.readRun(ODD, 'run-a');
    expect(back).toHaveLength(250);
    expect(back.find((r) => r.item === 'item 7/x')).toEqual(written[7]);
    expect((await t.storage.forecasts.readRun(ODD, 'run-a', { items: ['item 3/x', 'nope'] })).map((r) => r.item)).toEqual(['item 3/x']);
    const many = written.slice(0, 30).map((r) => r.item);
    expect((await t.storage.forecasts.readRun(ODD, 'run-a', { items: many })).map((r) => r.item).sort()).toEqual([...many].sort());
    expect(await t.storage.forecasts.readRun(ODD, 'run-b')).toEqual([]);
    expect(await t.storage.forecasts.deleteRun(ODD, 'run-a')).toBe(250);
    expect(await t.storage.forecasts.readRun(ODD, 'run-a')).toEqual([]);
  });

  test('long horizons are split into transactions under the size limit', async () => {
    const long = Array.from({ length: 120 }, (_, i): ForecastRow => {
      const v = Array.from({ length: 730 }, (_, d) => Math.round((i + d) * 1.2345 * 1000) / 1000);
      return { store: 'long', item: String(i), runId: 'r', modelVersion: 'v', firstDay: '2026-01-01', forecast: v, p10: v, p90: v };
    });
    await t.storage.forecasts.writeRun('long', 'r', long);
    const back = await t.storage.forecasts.readRun('long', 'r', { items: ['119'] });
    expect(back[0]?.forecast).toEqual(long[119]!.forecast);
  });
});

describe('runs', () => {
  test('per-store and summary records under one run id; retention listing; delete', async () => {
    const record = (store: string | undefined, createdAt: string): RunRecord => ({
      runId: 'morning-1', ...(store !== undefined ? { store } : {}), trigger: 'morning', status: 'running', stage: 'training', progress: 0.2,
      stages: [{ stage: 'loading', startedAt: createdAt, ms: 12 }, { stage: 'training', startedAt: createdAt }], createdAt, details: { n: 1 },
    });
    await t.storage.runs.put(record(ODD, '2026-01-01T05:00:00.000Z'));
    await t.storage.runs.put(record('2', '2026-01-01T05:00:00.000Z'));
    await t.storage.runs.put({ ...record(undefined, '2026-01-01T05:00:00.000Z'), details: { succeeded: 2 } });
    await t.storage.runs.put({ ...record('3', '2026-03-01T05:00:00.000Z'), runId: 'refresh-9', status: 'failed', error: 'x', champion: { promoted: false, reason: 'worse' } });
    expect(await t.storage.runs.get('morning-1', ODD)).toEqual(record(ODD, '2026-01-01T05:00:00.000Z'));
    expect((await t.storage.runs.get('morning-1', undefined))?.details).toEqual({ succeeded: 2 });
    expect(await t.storage.runs.listRun('morning-1')).toHaveLength(3);
    expect((await t.storage.runs.get('refresh-9', '3'))?.champion).toEqual({ promoted: false, reason: 'worse' });
    expect((await t.storage.runs.listCreatedBefore('2026-02-01T00:00:00.000Z')).map((r) => r.store ?? '-').sort()).toEqual(['-', '2', ODD].sort());
    expect((await t.storage.runs.listCreatedBefore('2026-02-01T00:00:00.000Z', ODD)).map((r) => r.store)).toEqual([ODD]);
    await t.storage.runs.delete('morning-1', ODD);
    await t.storage.runs.delete('morning-1', ODD);
    expect(await t.storage.runs.get('morning-1', ODD)).toBeUndefined();
  });
});

describe('ingestion ledger and rejected rows', () => {
  test('round trip', async () => {
    expect(await t.storage.ingestions.get('abc')).toBeUndefined();
    const record = { key: 'abc', upload: 'a/b.csv', status: 'applied' as const, receivedAt: 'r', completedAt: 'c', rows: 10, accepted: 9, rejected: 1, changedStores: [ODD], unchangedStores: 2, rejectedBlob: 'rejected/a/b.csv.rejected.csv' };
    await t.storage.ingestions.put(record);
    expect(await t.storage.ingestions.get('abc')).toEqual(record);
    const where = await t.storage.rejected.write('a/b.csv', 'line,reason,row\n3,bad,"x,y"\n');
    expect(where).toBe('rejected/a/b.csv.rejected.csv');
    const text = (await t.storage.clients.container('rejected').getBlobClient('a/b.csv.rejected.csv').downloadToBuffer()).toString();
    expect(text).toContain('3,bad,"x,y"');
  });
});
