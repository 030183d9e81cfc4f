import { describe, expect, it } from 'vitest';
import { pollDelayMs, progressView } from '../../static-web/src/progress';
import { run } from './fixtures';

const states = (v: ReturnType<typeof progressView>): string[] => v.steps.map((s) => `${s.name}:${s.state}`);

describe('refresh progress', () => {
  it('follows the stages of a running run', () => {
    const v = progressView(run('training'), Date.parse('2017-07-01T09:01:05Z'));
    expect(states(v)).toEqual(['queued:done', 'dispatched:done', 'training:current', 'publishing:pending']);
    expect(v.summary).toBe('Training models (step 3 of 4), 1 min 05 s');
    expect(v.fraction).toBe(0.5);
    expect(v.finished).toBe(false);
    expect(v.steps[0]!.durationMs).toBe(1000);
  });

  it('derives stages from the status when the run lists none', () => {
    const v = progressView({ ...run('publishing'), stages: [], progress: { fraction: 0, message: null } }, Date.parse('2017-07-01T09:00:10Z'));
    expect(states(v)).toEqual(['queued:done', 'dispatched:done', 'training:done', 'publishing:current']);
    expect(v.fraction).toBe(0.75);
  });

  it('shows item counts when the run reports them', () => {
    const v = progressView({ ...run('training'), progress: { fraction: 0.6, message: 'x', itemsDone: 31, itemsTotal: 50 } }, Date.parse('2017-07-01T09:00:12Z'));
    expect(v.summary).toBe('Training models (step 3 of 4) — 31 of 50 items, 12 s');
    expect(v.fraction).toBe(0.6);
  });

  it('ends done with full progress and the total time', () => {
    const v = progressView(run('done'));
    expect(states(v).every((s) => s.endsWith(':done'))).toBe(true);
    expect(v.fraction).toBe(1);
    expect(v.summary).toBe('Refresh finished in 5 s.');
    expect(v.finished).toBe(true);
  });

  it('marks the stage that failed and says why', () => {
    const failed = run('failed', { error: { code: 'training_failed', message: 'The training job ran out of memory.', stage: 'training' } });
    failed.stages = run('training').stages.map((s) => (s.name === 'training' ? { ...s, status: 'failed' as const } : s));
    const v = progressView(failed);
    expect(states(v)).toEqual(['queued:done', 'dispatched:done', 'training:failed', 'publishing:pending']);
    expect(v.failed).toBe(true);
    expect(v.summary).toBe('Refresh failed while training models after 5 s: The training job ran out of memory.');
    const bare = progressView({ ...run('failed'), stages: [], error: { code: 'x', message: 'Boom.', stage: 'dispatched' } });
    expect(states(bare)).toEqual(['queued:done', 'dispatched:failed', 'training:pending', 'publishing:pending']);
  });

  it('polls quickly first, then more calmly', () => {
    expect(pollDelayMs(0)).toBe(1000);
    expect(pollDelayMs(60_000)).toBe(2000);
    expect(pollDelayMs(600_000)).toBe(5000);
  });
});
