import { describe, expect, test } from 'vitest';
import { activeRunOf } from '../../../core/domain/active-run.js';
import type { InstanceSnapshot } from '../../../core/domain/api-runs.js';

const instance = (runtimeStatus: string, customStatus: unknown, input: unknown = {}): InstanceSnapshot => ({ runtimeStatus, createdTime: '', lastUpdatedTime: '', input, customStatus, output: null });

describe('the run an orchestration instance is still carrying out', () => {
  test('a running instance names its run and stage; its input names the run before any custom status', () => {
    expect(activeRunOf(instance('Running', { runId: 'refresh-1.7', stage: 'training' }))).toEqual({ runId: 'refresh-1.7', status: 'training' });
    expect(activeRunOf(instance('Pending', null, { runId: 'refresh-2.7' }))).toEqual({ runId: 'refresh-2.7', status: 'queued' });
  });

  test('no instance, a finished one, or one naming no run is no run to join', () => {
    expect(activeRunOf(undefined)).toBeUndefined();
    expect(activeRunOf(instance('Completed', { runId: 'refresh-1.7' }))).toBeUndefined();
    expect(activeRunOf(instance('Failed', { runId: 'refresh-1.7' }))).toBeUndefined();
    expect(activeRunOf(instance('Running', null))).toBeUndefined();
  });
});
