import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { publishRun } from '../../../core/domain/publish.js';
import { readCurrentForecasts } from '../../support/current-forecasts.js';
import { cleanupExpiredRuns, failStoreRun, queueStoreRun, RunTracker } from '../../../core/domain/runs.js';
import { listStoreFreshness, updateStore, emptyStore } from '../../../core/domain/stores.js';
import { storeBlobName } from '../../../core/domain/store-pointers.js';
import type { RunRecord } from '../../../core/domain/model.js';
import { parseIsoDay, type SeriesForecast } from '../../../engine/index.js';
import { startTestStorage, type TestStorage } from '../../support/storage.js';

let t: TestStorage;
beforeAll(async () => {
  t = await startTestStorage();
});
afterAll(async () => {
  await t?.stop();
});

const FIRST = parseIsoDay('2026-03-01')!;

function forecasts(store: string, items: number, value: number, horizon = 7): SeriesForecast[] {
  return Array.from({ length: items }, (_, i) => ({
    store,
    item: String(i + 1),
    firstDay: FIRST,
    forecast: new Float64Array(horizon).fill(value),
    p10: new Float64Array(horizon).fill(value - 0.5),
    p90: new Float64Array(horizon).fill(value + 0.5),
  }));
}

/** A history version named like ingestion's ("v1" → a real version), so the store row's pointer is its own. */
const realVersion = (label: string): string => `v20260101T000000000Z-${label.replace(/^v/, '').padStart(6, '0')}`;

async function withHistory(store: string, label: string): Promise<void> {
  const version = realVersion(label);
  await updateStore(t.storage.stores, store, (s) => ({
    ...(s ?? emptyStore(store, new Date())),
    history: { blob: storeBlobName('history', store, version), version, firstDay: '2025-01-01', lastDay: '2026-02-28', items: 1, observations: 1, updatedAt: new Date().toISOString() },
  }));
}

const publish = (store: string, runId: string, value: number, historyVersion: string, items = 150) =>
  publishRun(t.storage, { store, runId, modelVersion: `m-${runId}`, forecasts: forecasts(store, items, value), historyVersion: realVersion(historyVersion), accuracy: { rmsse: 0.8, smape: 12 }, generatedAt: new Date() });

describe('publishing', () => {
  test('a reader running during many switches always sees exactly one whole run (150 items > one transaction)', async () => {
    await withHistory('A', 'v1');
    await publish('A', 'run-1', 1, 'v1');
    let done = false;
    const seen = new Set<string>();
    let reads = 0;
    const reader = (async () => {
      while (!done) {
        const [result] = await readCurrentForecasts(t.storage, ['A']);
        reads++;
        const runIds = new Set(result!.rows.map((r) => r.runId));
        expect(result!.rows).toHaveLength(150);
        expect(runIds.size).toBe(1);
        const runId = [...runIds][0]!;
        expect(result!.freshness.runId).toBe(runId);
        const value = Number(runId.slice(4));
        for (const row of result!.rows) expect(row.forecast[0]).toBe(value);
        seen.add(runId);
      }
    })();
    for (let run = 2; run <= 6; run++) await publish('A', `run-${run}`, run, 'v1');
    done = true;
    await reader;
    expect(reads).toBeGreaterThan(3);
    expect(seen.size).toBeGreaterThan(1);
    const state = (await t.storage.stores.get('A'))!.value;
    expect(state.current?.runId).toBe('run-6');
    expect(state.previousRunId).toBe('run-5');
    expect(state.stale).toBe(false);
  });

  test('history newer than the trained one leaves the published store stale; an older run never replaces a newer one', async () => {
    await withHistory('B', 'v2');
    await publish('B', 'run-old-history', 1, 'v1', 3);
    let state = (await t.storage.stores.get('B'))!.value;
    expect(state.current?.runId).toBe('run-old-history');
    expect(state.stale).toBe(true);
    expect(state.staleReason).toMatch(/new sales/);
    await publish('B', 'run-new-history', 2, 'v2', 3);
    state = (await t.storage.stores.get('B'))!.value;
    expect(state.stale).toBe(false);
    const late = await publish('B', 'run-late-old', 3, 'v1', 3);
    expect(late.switched).toBe(false);
    expect((await t.storage.stores.get('B'))!.value.current?.runId).toBe('run-new-history');
  });

  test('never writes rows under the current or the previous run (a retry reusing an id cannot touch what readers are on)', async () => {
    await withHistory('R', 'v1');
    await publish('R', 'run-r1', 1, 'v1', 3);
    const again = await publish('R', 'run-r1', 9, 'v1', 3);
    expect(again.switched).toBe(false);
    expect((await t.storage.forecasts.readRun('R', 'run-r1')).every((r) => r.forecast[0] === 1)).toBe(true);
    await publish('R', 'run-r2', 2, 'v1', 3);
    await expect(publish('R', 'run-r1', 9, 'v1', 3)).rejects.toThrow(/never rewritten/);
    expect((await t.storage.forecasts.readRun('R', 'run-r1')).every((r) => r.forecast[0] === 1)).toBe(true);
  });

  test('every start of a store run is a new attempt with its own forecast id, and the count survives a failure', async () => {
    const clock = { now: () => new Date() };
    await queueStoreRun(t.storage.runs, clock, { runId: 'run-att', store: 'R', trigger: 'morning' });
    const first = await RunTracker.start(t.storage.runs, clock, 'run-att', 'R', 'morning');
    expect([first.attempt, first.forecastRunId]).toEqual([1, 'run-att']);
    await failStoreRun(t.storage, clock, { runId: 'run-att', store: 'R', trigger: 'morning', reason: 'SIGTERM' });
    const second = await RunTracker.start(t.storage.runs, clock, 'run-att', 'R', 'morning');
    expect([second.attempt, second.forecastRunId]).toEqual([2, 'run-att:a2']);
    await second.succeed({ details: { note: 'kept with the attempt' } });
    expect((await t.storage.runs.get('run-att', 'R'))?.details).toMatchObject({ attempt: 2, forecastRunId: 'run-att:a2', note: 'kept with the attempt' });
  });

  test('a failed run keeps the forecasts current and flags the store stale with the reason', async () => {
    await failStoreRun(t.storage, { now: () => new Date() }, { runId: 'run-broken', store: 'A', trigger: 'refresh', reason: 'pod evicted' });
    const freshness = (await listStoreFreshness(t.storage.stores)).find((f) => f.store === 'A')!;
    expect(freshness).toMatchObject({ runId: 'run-6', stale: true, lastRun: { runId: 'run-broken', status: 'failed', error: 'pod evicted' } });
    expect(freshness.staleReason).toMatch(/run-broken failed: pod evicted/);
    expect(await t.storage.runs.get('run-broken', 'A')).toMatchObject({ status: 'failed', error: 'pod evicted' });
    const [result] = await readCurrentForecasts(t.storage, ['A']);
    expect(result!.rows).toHaveLength(150);
  });
});

describe('run records', () => {
  test('queued by the orchestrator, then started, staged and finished by the trainer, with timings', async () => {
    const clock = { now: () => new Date() };
    const queued = await queueStoreRun(t.storage.runs, clock, { runId: 'refresh-q1', store: 'Q', trigger: 'refresh' });
    expect(queued).toMatchObject({ status: 'queued', stage: 'queued', progress: 0 });
    expect(await queueStoreRun(t.storage.runs, clock, { runId: 'refresh-q1', store: 'Q', trigger: 'morning' })).toEqual(queued);
    const tracker = await RunTracker.start(t.storage.runs, clock, 'refresh-q1', 'Q', 'manual');
    await tracker.stage('training');
    const done = await tracker.succeed({ items: 3 });
    expect(done).toMatchObject({ status: 'succeeded', stage: 'done', trigger: 'refresh', createdAt: queued.createdAt, items: 3 });
    expect(done.stages.map((s) => s.stage)).toEqual(['queued', 'loading', 'training']);
    expect(done.stages.every((s) => typeof s.ms === 'number')).toBe(true);
    expect(await t.storage.runs.get('refresh-q1', 'Q')).toEqual(done);
    await expect(queueStoreRun(t.storage.runs, clock, { runId: 'bad id!', store: 'Q', trigger: 'refresh' })).rejects.toThrow(/run id/);
  });
});

describe('retention', () => {
  test('old runs and their forecasts are deleted, except the current and previous run of each store', async () => {
    const old = '2025-01-01T00:00:00.000Z';
    const put = (runId: string, createdAt = old): Promise<void> =>
      t.storage.runs.put({ runId, store: 'A', trigger: 'morning', status: 'succeeded', stage: 'done', progress: 1, stages: [], createdAt } satisfies RunRecord);
    for (let run = 1; run <= 6; run++) await put(`run-${run}`);
    await put('run-recent', new Date().toISOString());
    const result = await cleanupExpiredRuns(t.storage, new Date(), 14, 'A');
    expect(result.kept).toBe(2);
    expect(result.runsDeleted).toBe(4);
    expect(result.forecastRowsDeleted).toBe(4 * 150);
    expect(await t.storage.forecasts.readRun('A', 'run-1')).toEqual([]);
    expect(await t.storage.forecasts.readRun('A', 'run-5')).toHaveLength(150);
    expect(await t.storage.runs.get('run-recent', 'A')).toBeDefined();
    expect(await t.storage.runs.get('run-2', 'A')).toBeUndefined();
    const [current] = await readCurrentForecasts(t.storage, ['A']);
    expect(current!.rows).toHaveLength(150);
  });
});
