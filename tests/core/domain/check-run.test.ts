import { describe, expect, test } from 'vitest';
import { startOrJoinCheckRun } from '../../../core/domain/check-run.js';
import { checkRunFromInstance, checkRunId, storeOfCheckRunId, storeOfRunId } from '../../../core/domain/api-runs.js';
import type { CheckRunInstances } from '../../../core/ports/refresh-instances.js';

function instances(state: { running?: string; morning?: boolean }): CheckRunInstances & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    running: () => Promise.resolve(state.running === undefined ? undefined : { runId: state.running }),
    morningRunActive: () => Promise.resolve(state.morning === true),
    start: (_store, runId) => {
      started.push(runId);
      return Promise.resolve();
    },
  };
}

describe('check runs (issue 18 item 4)', () => {
  test('ids: apart from refreshes and the morning run; the store after the first dot', () => {
    const id = checkRunId('check-20261207T080000000Z-abcdef', 'TX_3.b');
    expect(id).toBe('check-20261207T080000000Z-abcdef.TX_3.b');
    expect(storeOfCheckRunId(id)).toBe('TX_3.b');
    expect(storeOfRunId(id)).toBeUndefined();
    expect(storeOfCheckRunId('refresh-20261207T080000000Z-abcdef.1')).toBeUndefined();
    expect(storeOfCheckRunId('morning-2026-12-07')).toBeUndefined();
  });

  test('starts one, joins a running one, and refuses while the morning run runs', async () => {
    const free = instances({});
    expect(await startOrJoinCheckRun(free, 'smoke', () => 'check-1.smoke')).toEqual({ kind: 'started', runId: 'check-1.smoke' });
    expect(free.started).toEqual(['check-1.smoke']);
    const running = instances({ running: 'check-0.smoke', morning: true });
    expect(await startOrJoinCheckRun(running, 'smoke', () => 'check-1.smoke')).toEqual({ kind: 'joined', runId: 'check-0.smoke' });
    const busy = instances({ morning: true });
    expect(await startOrJoinCheckRun(busy, 'smoke', () => 'check-1.smoke')).toMatchObject({ kind: 'busy', reason: expect.stringMatching(/morning run is in progress/) as unknown });
    expect(busy.started).toEqual([]);
  });

  test('the view: running, done, and failed with the reason of every store that did not publish', () => {
    const snap = (runtimeStatus: string, customStatus: unknown, output: unknown = null) => ({ runtimeStatus, createdTime: '2026-12-07T08:00:00.000Z', lastUpdatedTime: '2026-12-07T08:05:00.000Z', input: null, customStatus, output });
    expect(checkRunFromInstance('c.smoke', 'smoke', snap('Running', { stage: 'planning' }), 'aks')).toMatchObject({ status: 'queued', backend: 'aks', published: [], failed: [] });
    expect(checkRunFromInstance('c.smoke', 'smoke', snap('Running', { stage: 'training', backend: 'local' }), 'aks')).toMatchObject({ status: 'running', backend: 'local', finishedAt: null });
    const done = checkRunFromInstance('c.smoke', 'smoke', snap('Completed', {}, { finishedAt: '2026-12-07T08:04:00.000Z', failures: [], skippedStores: [], check: { stores: ['smoke'], published: ['smoke'], backend: 'aks' } }), 'local');
    expect(done).toEqual({ runId: 'c.smoke', kind: 'check', store: 'smoke', status: 'done', backend: 'aks', published: ['smoke'], failed: [], createdAt: '2026-12-07T08:00:00.000Z', finishedAt: '2026-12-07T08:04:00.000Z' });
    const skipped = checkRunFromInstance('c.smoke', 'smoke', snap('Completed', {}, { failures: [], skippedStores: [{ store: 'smoke', reason: 'no sales history' }], check: { stores: ['smoke'], published: [], backend: 'aks' } }), 'aks');
    expect(skipped).toMatchObject({ status: 'failed', published: [], failed: ['smoke'], error: 'smoke: no sales history' });
    const crashed = checkRunFromInstance('c.smoke', 'smoke', snap('Failed', {}, 'plan failed: storage down'), 'aks');
    expect(crashed).toMatchObject({ status: 'failed', failed: ['smoke'], error: 'plan failed: storage down' });
  });
});
