import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ingestUpload } from '../../core/domain/ingestion.js';
import { attemptRunId } from '../../core/domain/ids.js';
import { cleanupExpiredRuns } from '../../core/domain/runs.js';
import { readCurrentForecasts } from '../support/current-forecasts.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

// Issue 13 item 3: a pod retried after the pointer switch must not rewrite the forecasts readers are on.
const TRAINER = path.resolve(__dirname, '../../dist/k8s-training/trainer.js');
const DIE_AFTER_SWITCH = path.resolve(__dirname, '../fixtures/faults/die-after-switch.cjs');
const ITEMS = 6;
let t: TestStorage;

beforeAll(async () => {
  if (!existsSync(TRAINER)) throw new Error(`${TRAINER} is missing: run "npm run build" first (npm test does)`);
  t = await startTestStorage({ FOREACT_HORIZON_DAYS: '14', FOREACT_BACKTEST_FOLDS: '1' });
  await ingestUpload(t.storage, { name: 'seed.csv.gz', open: () => [gzipSync(toCsv(sampleStore('K1', ITEMS, 400, 21)))] }, { clock: { now: () => new Date() } });
});
afterAll(async () => {
  await t?.stop();
});

function trainer(runId: string, faults: string[] = []): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [...faults.flatMap((f) => ['--require', f]), TRAINER, '--store', 'K1', '--run', runId, '--trigger', 'morning'], { env: t.env, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('a pod retried after the pointer switch', () => {
  test('publishes under its own attempt id; a concurrent reader only ever sees whole runs', async () => {
    expect((await trainer('yesterday')).code).toBe(0);

    // A reader polls the store the way the API does (pointer, then that one run) for the whole episode.
    let reading = true;
    const reads: { pointer: string; pointerModel: string; runIds: string[]; models: string[]; rows: number }[] = [];
    const reader = (async () => {
      while (reading) {
        const [r] = await readCurrentForecasts(t.storage, ['K1']);
        reads.push({ pointer: r!.freshness.runId!, pointerModel: r!.freshness.modelVersion!, runIds: [...new Set(r!.rows.map((x) => x.runId))], models: [...new Set(r!.rows.map((x) => x.modelVersion))], rows: r!.rows.length });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    // Attempt 1 switches the pointer and is killed before its run record says "succeeded".
    const killed = await trainer('morning-x', [DIE_AFTER_SWITCH]);
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = (await t.storage.stores.get('K1'))!.value;
    expect(afterKill.current!.runId).toBe('morning-x');
    expect((await t.storage.runs.get('morning-x', 'K1'))).toMatchObject({ status: 'running', stage: 'publishing' });
    const firstRows = await t.storage.forecasts.readRun('K1', 'morning-x');
    expect(firstRows).toHaveLength(ITEMS);

    // Kubernetes retries the pod (same arguments): a new attempt, its own rows, then the switch.
    expect((await trainer('morning-x')).code).toBe(0);
    reading = false;
    await reader;

    // Attempt 1's partition, which readers were on, was never rewritten.
    expect(await t.storage.forecasts.readRun('K1', 'morning-x')).toEqual(firstRows);
    // Every read: one run id, the model the pointer names, every item.
    expect(reads.length).toBeGreaterThan(10);
    for (const r of reads) {
      expect(r.runIds).toEqual([r.pointer]);
      expect(r.models).toEqual([r.pointerModel]);
      expect(r.rows).toBe(ITEMS);
    }
    expect(new Set(reads.map((r) => r.pointer))).toEqual(new Set(['yesterday', 'morning-x', 'morning-x:a2']));

    const record = await t.storage.runs.get('morning-x', 'K1');
    expect(record).toMatchObject({ status: 'succeeded', details: { attempt: 2, forecastRunId: attemptRunId('morning-x', 2) } });
    const state = (await t.storage.stores.get('K1'))!.value;
    expect(state.current!.runId).toBe('morning-x:a2');
    expect(state.previousRunId).toBe('morning-x');
    expect(state.lastRun).toMatchObject({ runId: 'morning-x', status: 'succeeded' });

    // A third start (the orchestrator re-dispatches a lost job) skips the store: it already succeeded.
    expect((await trainer('morning-x')).code).toBe(0);
    expect((await t.storage.stores.get('K1'))!.value.current!.runId).toBe('morning-x:a2');

    // Retention removes every attempt's rows with the run, and never the current or previous ones.
    const later = new Date(Date.now() + 30 * 86_400_000);
    await cleanupExpiredRuns(t.storage, later, 14, 'K1');
    expect(await t.storage.forecasts.readRun('K1', 'yesterday')).toHaveLength(0);
    expect(await t.storage.forecasts.readRun('K1', 'morning-x:a2')).toHaveLength(ITEMS);
  });
});
