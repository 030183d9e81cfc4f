import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ingestUpload } from '../../core/domain/ingestion.js';
import { readCurrentForecasts } from '../support/current-forecasts.js';
import { failStoreRun } from '../../core/domain/runs.js';
import type { RunRecord } from '../../core/domain/model.js';
import { parse } from '../../k8s-training/trainer.js';
import { trainerSettings } from '../../core/composition.js';
import { trainAndPublishStore as trainAndPublish, type TrainStoreRequest } from '../../core/domain/train-and-publish.js';
import { FAMILY_NAMES, formatIsoDay, parseIsoDay, trainStore, type ModelArtifact } from '../../engine/index.js';
import { scoreOnSameFolds } from '../../core/domain/champion.js';
import { sampleStore, toCsv } from '../support/sales.js';
import { startTestStorage, type TestStorage } from '../support/storage.js';

const TRAINER = path.resolve(__dirname, '../../dist/k8s-training/trainer.js');
// Fault injection from outside the app: the trainer pauses between writing its rows and the pointer switch.
const HOLD_AFTER_WRITE = path.resolve(__dirname, '../fixtures/faults/hold-after-write.cjs');
const clock = { now: () => new Date() };
let t: TestStorage;

beforeAll(async () => {
  if (!existsSync(TRAINER)) throw new Error(`${TRAINER} is missing: run "npm run build" first (npm test does)`);
  t = await startTestStorage({ FOREACT_HORIZON_DAYS: '14', FOREACT_BACKTEST_FOLDS: '2' });
  const series = [...sampleStore('T1', 8, 400, 11), ...sampleStore('T2', 4, 300, 12), ...sampleStore('T3', 4, 300, 13)];
  await ingestUpload(t.storage, { name: 'seed.csv.gz', open: () => [gzipSync(toCsv(series))] }, { clock });
});
afterAll(async () => {
  await t?.stop();
});

interface Spawned {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

function spawnTrainer(store: string, runId: string, holdAfterWriteMs = 0): Spawned {
  const hold = holdAfterWriteMs > 0 ? ['--require', HOLD_AFTER_WRITE] : [];
  const child = spawn(process.execPath, [...hold, TRAINER, '--store', store, '--run', runId, '--trigger', 'refresh'], { env: { ...t.env, FOREACT_TEST_HOLD_AFTER_WRITE_MS: String(holdAfterWriteMs) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, output })));
  return { child, exit };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One store trained in this process, through the domain's entry (what the trainer and the workers run). */
const trainAndPublishStore = (request: TrainStoreRequest, config: typeof t.config) => trainAndPublish({ ...t.storage, clock }, trainerSettings(config), request);

const run = (runId: string, store: string): Promise<RunRecord | undefined> => t.storage.runs.get(runId, store);

describe('trainer process', () => {
  test('trains, registers the model, publishes, and records stages and timings (exit 0)', async () => {
    const { exit } = spawnTrainer('T1', 'run-t1-a');
    const { code, output } = await exit;
    expect(output).toMatch(/published 8 item forecasts/);
    expect(code).toBe(0);
    const record = await run('run-t1-a', 'T1');
    expect(record).toMatchObject({ status: 'succeeded', stage: 'done', progress: 1, trigger: 'refresh', items: 8, champion: { promoted: true } });
    expect(record!.stages.map((s) => s.stage)).toEqual(['loading', 'training', 'registering', 'gating', 'publishing']);
    expect(record!.stages.every((s) => typeof s.ms === 'number')).toBe(true);
    expect(record!.durationMs).toBeGreaterThan(0);

    const state = (await t.storage.stores.get('T1'))!.value;
    expect(state).toMatchObject({ stale: false, current: { runId: 'run-t1-a', horizon: 14, items: 8 } });
    expect(state.current!.firstDay).toBe(formatIsoDay(parseIsoDay(state.history!.lastDay)! + 1));
    const champion = await t.storage.models.champion('T1');
    expect(champion).toMatchObject({ version: state.current!.modelVersion, runId: 'run-t1-a', items: 8, champion: true });
    const [forecasts] = await readCurrentForecasts(t.storage, ['T1']);
    expect(forecasts!.rows).toHaveLength(8);
    expect(forecasts!.rows[0]!.forecast).toHaveLength(14);
  });

  test('killed after writing its forecasts but before the switch: the old forecasts stay current and whole', async () => {
    const { child, exit } = spawnTrainer('T1', 'run-t1-killed', 60_000);
    await waitFor('the new run to be written', async () => ((await t.storage.forecasts.readRun('T1', 'run-t1-killed')).length === 8 ? true : undefined));
    expect((await run('run-t1-killed', 'T1'))?.stage).toBe('publishing');
    child.kill('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');

    const [current] = await readCurrentForecasts(t.storage, ['T1']);
    expect(current!.freshness.runId).toBe('run-t1-a');
    expect(new Set(current!.rows.map((r) => r.runId))).toEqual(new Set(['run-t1-a']));
    expect(current!.rows).toHaveLength(8);

    // What the orchestrator does when the job is gone: the run fails, the store is flagged, nothing else moves.
    await failStoreRun(t.storage, clock, { runId: 'run-t1-killed', store: 'T1', trigger: 'refresh', reason: 'job pod disappeared' });
    expect(await run('run-t1-killed', 'T1')).toMatchObject({ status: 'failed', error: 'job pod disappeared' });
    const state = (await t.storage.stores.get('T1'))!.value;
    expect(state).toMatchObject({ stale: true, current: { runId: 'run-t1-a' } });
  });

  test('SIGTERM (pod deadline or eviction) records the failure before exiting', async () => {
    const { child, exit } = spawnTrainer('T1', 'run-t1-term', 60_000);
    await waitFor('the run to reach publishing', async () => ((await run('run-t1-term', 'T1'))?.stage === 'publishing' ? true : undefined));
    child.kill('SIGTERM');
    expect((await exit).code).toBe(143);
    expect(await run('run-t1-term', 'T1')).toMatchObject({ status: 'failed' });
    expect((await run('run-t1-term', 'T1'))!.error).toMatch(/SIGTERM/);
    const state = (await t.storage.stores.get('T1'))!.value;
    expect(state.current!.runId).toBe('run-t1-a');
    expect(state.staleReason).toMatch(/run-t1-term failed/);
  });

  test('a failing run exits 1, records the reason, keeps the previous forecasts and flags the store', async () => {
    await trainAndPublishStore({ store: 'T2', runId: 'run-t2-ok', trigger: 'manual' }, t.config);
    const state = (await t.storage.stores.get('T2'))!.value;
    // Corrupt the history the pointer names: the next run cannot load it.
    await t.storage.clients.container(t.config.containers.sales).getBlockBlobClient(state.history!.blob).upload('not gzip json', 13);
    const { code, output } = await spawnTrainer('T2', 'run-t2-bad').exit;
    expect(code).toBe(1);
    expect(output).toMatch(/failed/);
    const record = await run('run-t2-bad', 'T2');
    expect(record).toMatchObject({ status: 'failed', stage: 'failed' });
    expect(record!.error).toBeTruthy();
    const after = (await t.storage.stores.get('T2'))!.value;
    expect(after).toMatchObject({ stale: true, current: { runId: 'run-t2-ok' }, lastRun: { runId: 'run-t2-bad', status: 'failed' } });
    expect((await readCurrentForecasts(t.storage, ['T2']))[0]!.rows).toHaveLength(4);
  });

  test('unknown store: exit 1 and a failed run, without inventing the store; bad arguments: exit 2', async () => {
    const { code } = await spawnTrainer('nowhere', 'run-nowhere').exit;
    expect(code).toBe(1);
    expect((await run('run-nowhere', 'nowhere'))?.error).toMatch(/no sales history/);
    expect(await t.storage.stores.get('nowhere')).toBeUndefined();
    const child = spawn(process.execPath, [TRAINER, '--store', 'T1'], { env: t.env, stdio: 'ignore' });
    expect(await new Promise((r) => child.once('exit', r))).toBe(2);
  });

  test('a batch: stores one after another, a failing store does not stop the next; a re-run skips the published ones', async () => {
    expect(parse(['--store', 'a', '--run', 'r'], {})).toEqual({ stores: ['a'], runId: 'r', trigger: 'manual' });
    expect(parse(['--store', 'a', '--store', 'b', '--run', 'r', '--trigger', 'morning'], {})).toEqual({ stores: ['a', 'b'], runId: 'r', trigger: 'morning' });
    expect(parse(['--stores', 'a, b,c', '--run', 'r'], { FOREACT_RUN_TRIGGER: 'morning' })).toEqual({ stores: ['a', 'b', 'c'], runId: 'r', trigger: 'morning' });
    expect(() => parse(['--stores', 'a,a', '--run', 'r'], {})).toThrow(/twice/);
    const batch = () => {
      const child = spawn(process.execPath, [TRAINER, '--stores', 'nowhere2,T1', '--run', 'run-batch-1', '--trigger', 'morning'], { env: t.env, stdio: 'ignore' });
      return new Promise((r) => child.once('exit', r));
    };
    expect(await batch()).toBe(0);
    expect(await run('run-batch-1', 'nowhere2')).toMatchObject({ status: 'failed', error: expect.stringMatching(/no sales history/) as unknown });
    const published = await run('run-batch-1', 'T1');
    expect(published?.status).toBe('succeeded');
    expect((await t.storage.stores.get('T1'))?.value.current?.runId).toBe('run-batch-1');
    expect(await batch()).toBe(0); // the retried pod: T1 is not trained again
    expect((await run('run-batch-1', 'T1'))?.finishedAt).toBe(published?.finishedAt);
  });
});

describe('champion gate', () => {
  /**
   * A champion that really is better on the candidate's folds: per item, the best of the candidate's own mix
   * and every single family, scored by the gate's own same-fold scoring on the history the trainer will see.
   */
  async function betterChampion(store: string): Promise<{ artifacts: ModelArtifact[]; score: number; candidateScore: number }> {
    const state = (await t.storage.stores.get(store))!.value;
    const series = await t.storage.history.read(state.history!.blob);
    const candidate = trainStore(series, { horizon: 14, folds: 2 }).artifacts;
    const self = scoreOnSameFolds(series, undefined, candidate, candidate, 2)!;
    const best = new Map(candidate.map((a) => [a.item, { artifact: a, rmsse: self.candidate.get(a.item)!.rmsse! }]));
    for (const family of FAMILY_NAMES) {
      // Real single-family models (valid fitted state, so the champion can be re-issued).
      const single = trainStore(series, { horizon: 14, folds: 2, families: [family] }).artifacts;
      const scored = scoreOnSameFolds(series, undefined, candidate, single, 2)!;
      for (const a of single) {
        const r = scored.champion.get(a.item)?.rmsse ?? Infinity;
        if (r < best.get(a.item)!.rmsse) best.set(a.item, { artifact: a, rmsse: r });
      }
    }
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    return { artifacts: candidate.map((a) => best.get(a.item)!.artifact), score: mean([...best.values()].map((b) => b.rmsse)), candidateScore: mean([...self.candidate.values()].map((c) => c.rmsse!)) };
  }

  test('a candidate worse than the champion on the same folds is refused: the champion keeps serving, the refusal is recorded', async () => {
    await ingestUpload(t.storage, { name: 't4.csv', open: () => [toCsv(sampleStore('T4', 8, 400, 14))] }, { clock });
    await trainAndPublishStore({ store: 'T4', runId: 'run-t4-1', trigger: 'manual' }, t.config);
    const champion = (await t.storage.models.champion('T4'))!;
    await ingestUpload(t.storage, { name: 'more.csv', open: () => ['date,store,item,sales\n' + ['1', '2', '3', '4', '5', '6', '7', '8'].map((i) => `${formatIsoDay(parseIsoDay('2021-01-04')! + 400)},T4,${i},20`).join('\n')] }, { clock });
    // Make the champion's configuration the best one on the folds the candidate will be scored on.
    const better = await betterChampion('T4');
    expect(better.score).toBeLessThan(better.candidateScore);
    await t.storage.clients.container(t.config.containers.models).getBlockBlobClient(champion.artifactBlob).uploadData(gzipSync(JSON.stringify(better.artifacts)));

    const outcome = await trainAndPublishStore({ store: 'T4', runId: 'run-t4-2', trigger: 'manual' }, t.config);
    expect(outcome.decision).toMatchObject({ promoted: false, metric: 'rmsse', championVersion: champion.version, comparedItems: 8, basis: { horizon: 14 } });
    expect(outcome.decision.championScore).toBeCloseTo(better.score, 10);
    expect(outcome.decision.candidateScore).toBeCloseTo(better.candidateScore, 10);
    expect(outcome.servedVersion).toBe(champion.version);
    expect(outcome.candidateVersion).not.toBe(champion.version);

    expect((await t.storage.models.champion('T4'))!.version).toBe(champion.version);
    const candidate = await t.storage.models.get('T4', outcome.candidateVersion);
    expect(candidate).toMatchObject({ champion: false, decision: { promoted: false, basis: { horizon: 14 } } });
    expect(candidate!.decision!.reason).toMatch(/refused/);
    const record = await run('run-t4-2', 'T4');
    expect(record).toMatchObject({ status: 'succeeded', modelVersion: champion.version, champion: { promoted: false }, details: { refusal: expect.stringMatching(/^refused/) as unknown, championDecision: { promoted: false, championVersion: champion.version } } });

    // The champion's forecasts, re-issued from its stored state, start the day after the new history.
    const state = (await t.storage.stores.get('T4'))!.value;
    expect(state).toMatchObject({ stale: false, current: { runId: 'run-t4-2', modelVersion: champion.version, firstDay: formatIsoDay(parseIsoDay('2021-01-04')! + 401) } });
    const [served] = await readCurrentForecasts(t.storage, ['T4']);
    expect(served!.rows.every((r) => r.modelVersion === champion.version && r.forecast.length === 14)).toBe(true);

    // Forty days later the same champion is past FOREACT_CHAMPION_MAX_AGE_DAYS (28): not re-issued.
    const later = { now: () => new Date(Date.now() + 40 * 86_400_000) };
    const aged = await trainAndPublish({ ...t.storage, clock: later }, trainerSettings(t.config), { store: 'T4', runId: 'run-t4-3', trigger: 'manual' });
    expect(aged.decision).toMatchObject({ promoted: true, metric: 'none', championVersion: champion.version });
    expect(aged.decision.reason).toMatch(/days old, past the 28-day limit/);
    expect(aged.servedVersion).toBe(aged.candidateVersion);
    expect((await t.storage.models.champion('T4'))!.version).toBe(aged.candidateVersion);
  });
});
