import { describe, expect, test } from 'vitest';
import { decideChampion, summariseArtifacts } from '../../../core/domain/champion.js';
import { trainStore, type ModelArtifact } from '../../../engine/index.js';
import { sampleStore } from '../../support/sales.js';

const now = new Date('2026-01-01T00:00:00Z');
const base = trainStore(sampleStore('1', 4, 200), { horizon: 14, folds: 2 }).artifacts;

function withScores(artifacts: readonly ModelArtifact[], rmsse: number | null, smape: number | null = 20): ModelArtifact[] {
  return artifacts.map((a) => ({ ...a, backtest: { ...a.backtest, rmsse, smape } }));
}

describe('champion gate', () => {
  test('the first model of a store is promoted', () => {
    expect(decideChampion(base, undefined, 0, now)).toMatchObject({ promoted: true, metric: 'none' });
  });

  test('a worse candidate is refused, a better or equal one promoted (RMSSE on common items)', () => {
    const champion = { version: 'v1', artifacts: withScores(base, 0.8) };
    const worse = decideChampion(withScores(base, 0.9), champion, 0, now);
    expect(worse).toMatchObject({ promoted: false, metric: 'rmsse', candidateScore: 0.9, championScore: 0.8, comparedItems: 4, championVersion: 'v1' });
    expect(worse.reason).toMatch(/refused/);
    expect(decideChampion(withScores(base, 0.8), champion, 0, now).promoted).toBe(true);
    expect(decideChampion(withScores(base, 0.7), champion, 0, now).promoted).toBe(true);
    expect(decideChampion(withScores(base, 0.83), champion, 0.05, now).promoted).toBe(true);
  });

  test('only items both versions scored are compared', () => {
    const champion = { version: 'v1', artifacts: withScores(base.slice(0, 2), 0.5) };
    const candidate = [...withScores(base.slice(0, 2), 0.5), ...withScores(base.slice(2), 5)];
    expect(decideChampion(candidate, champion, 0, now)).toMatchObject({ promoted: true, comparedItems: 2 });
  });

  test('falls back to SMAPE without RMSSE, and promotes when nothing is comparable', () => {
    const champion = { version: 'v1', artifacts: withScores(base, null, 10) };
    expect(decideChampion(withScores(base, null, 12), champion, 0, now)).toMatchObject({ promoted: false, metric: 'smape' });
    expect(decideChampion(withScores(base, null, null), { version: 'v1', artifacts: withScores(base, null, null) }, 0, now)).toMatchObject({ promoted: true, metric: 'none' });
  });

  test('a champion backtested over another horizon is not comparable', () => {
    const other = base.map((a) => ({ ...a, backtest: { ...a.backtest, horizon: 90, rmsse: 0.01 } }));
    expect(decideChampion(withScores(base, 0.9), { version: 'v1', artifacts: other }, 0, now)).toMatchObject({ promoted: true, metric: 'none' });
  });

  test('summary: mean errors, family mix, window', () => {
    const summary = summariseArtifacts(withScores(base, 0.5, 10));
    expect(summary.accuracy).toEqual({ rmsse: 0.5, smape: 10 });
    expect(Object.values(summary.families).reduce((a, b) => a + b, 0)).toBe(4);
    expect(summary.window).toMatchObject({ horizon: 14, from: base[0]!.window.from });
  });
});
