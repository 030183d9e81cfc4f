import { describe, expect, test } from 'vitest';
import { decideChampion, scoreOnSameFolds, summariseArtifacts, type ItemScore, type SameFoldScores } from '../../../core/domain/champion.js';
import { trainStore, type ModelArtifact } from '../../../engine/index.js';
import { sampleStore } from '../../support/sales.js';

const now = new Date('2026-01-01T00:00:00Z');
const fresh = new Date(now.getTime() - 2 * 86_400_000).toISOString();
const history = sampleStore('1', 4, 400);
const base = trainStore(history, { horizon: 14, folds: 2 }).artifacts;

function withScores(artifacts: readonly ModelArtifact[], rmsse: number | null, smape: number | null = 20): ModelArtifact[] {
  return artifacts.map((a) => ({ ...a, backtest: { ...a.backtest, rmsse, smape } }));
}

/** Same-fold scores made by hand: `candidate`/`champion` per item. */
function scores(candidate: Record<string, Partial<ItemScore>>, champion: Record<string, Partial<ItemScore>>): SameFoldScores {
  const map = (o: Record<string, Partial<ItemScore>>) => new Map(Object.entries(o).map(([k, v]) => [k, { rmsse: null, smape: null, days: 14, ...v }]));
  return { horizon: 14, cuts: ['2025-12-01'], candidate: map(candidate), champion: map(champion) };
}

const gate = (s: SameFoldScores | undefined, options: { tolerance?: number; createdAt?: string; maxAgeDays?: number } = {}) =>
  decideChampion({ candidate: base, champion: { version: 'v1', createdAt: options.createdAt ?? fresh, artifacts: base }, scores: s, tolerance: options.tolerance ?? 0, maxAgeDays: options.maxAgeDays ?? 28, now });

describe('champion gate', () => {
  test('the first model of a store is promoted', () => {
    expect(decideChampion({ candidate: base, champion: undefined, scores: undefined, tolerance: 0, maxAgeDays: 28, now })).toMatchObject({ promoted: true, metric: 'none' });
  });

  test('a worse candidate is refused, a better or equal one promoted (RMSSE on common items, same folds)', () => {
    const champ = { a: { rmsse: 0.8 }, b: { rmsse: 0.8 } };
    const worse = gate(scores({ a: { rmsse: 0.9 }, b: { rmsse: 0.9 } }, champ));
    expect(worse).toMatchObject({ promoted: false, metric: 'rmsse', championVersion: 'v1', comparedItems: 2, championAgeDays: 2, basis: { horizon: 14, cuts: ['2025-12-01'] } });
    expect(worse.candidateScore).toBeCloseTo(0.9);
    expect(worse.reason).toMatch(/^refused: .* on 2 common items, 1 fold\(s\) of 14 days/);
    expect(gate(scores({ a: { rmsse: 0.8 }, b: { rmsse: 0.8 } }, champ)).promoted).toBe(true);
    expect(gate(scores({ a: { rmsse: 0.7 }, b: { rmsse: 0.7 } }, champ)).promoted).toBe(true);
    expect(gate(scores({ a: { rmsse: 0.83 }, b: { rmsse: 0.83 } }, champ), { tolerance: 0.05 }).promoted).toBe(true);
  });

  test('only items both versions scored are compared', () => {
    expect(gate(scores({ a: { rmsse: 0.5 }, b: { rmsse: 0.5 }, c: { rmsse: 5 } }, { a: { rmsse: 0.5 }, b: { rmsse: 0.5 } }))).toMatchObject({ promoted: true, comparedItems: 2 });
  });

  test('falls back to SMAPE without RMSSE, and promotes when nothing is comparable', () => {
    expect(gate(scores({ a: { smape: 12 } }, { a: { smape: 10 } }))).toMatchObject({ promoted: false, metric: 'smape' });
    expect(gate(scores({ a: {} }, { a: {} }))).toMatchObject({ promoted: true, metric: 'none' });
    expect(gate(undefined)).toMatchObject({ promoted: true, metric: 'none' });
  });

  test('a champion past FOREACT_CHAMPION_MAX_AGE_DAYS is not re-issued, however good its scores', () => {
    const old = new Date(now.getTime() - 40 * 86_400_000).toISOString();
    const decision = gate(scores({ a: { rmsse: 2 } }, { a: { rmsse: 0.1 } }), { createdAt: old });
    expect(decision).toMatchObject({ promoted: true, metric: 'none', championAgeDays: 40, championVersion: 'v1' });
    expect(decision.reason).toMatch(/40 days old, past the 28-day limit/);
    expect(gate(scores({ a: { rmsse: 2 } }, { a: { rmsse: 0.1 } }), { createdAt: old, maxAgeDays: 60 }).promoted).toBe(false);
  });

  test('summary: mean errors, family mix, window', () => {
    const summary = summariseArtifacts(withScores(base, 0.5, 10));
    expect(summary.accuracy).toEqual({ rmsse: 0.5, smape: 10 });
    expect(Object.values(summary.families).reduce((a, b) => a + b, 0)).toBe(4);
    expect(summary.window).toMatchObject({ horizon: 14, from: base[0]!.window.from });
  });
});

describe('scoring both on the same folds', () => {
  test('the same configuration scores the same; the stored scores and fitted state play no part', () => {
    const stale = base.map((a) => ({ ...a, backtest: { ...a.backtest, rmsse: 0.0001, smape: 0.01 }, components: a.components.map((c) => ({ ...c, state: { garbage: true } })) }));
    const s = scoreOnSameFolds(history, undefined, base, stale, 2)!;
    expect(s.cuts).toHaveLength(2);
    expect(s.horizon).toBe(14);
    expect(s.candidate.size).toBe(4);
    for (const [item, c] of s.candidate) expect(s.champion.get(item)).toEqual(c);
    // Before: the champion's 0.0001 from its own (older) backtest would have refused every candidate.
    expect(decideChampion({ candidate: base, champion: { version: 'v1', createdAt: fresh, artifacts: stale }, scores: s, tolerance: 0, maxAgeDays: 28, now }).promoted).toBe(true);
  });

  test('a worse configuration loses on the same folds', () => {
    // A champion that forecasts from a seasonal naive of one family only where the candidate mixes.
    const naive = base.map((a) => ({ ...a, components: [{ family: 'ses' as const, weight: 3, state: null }] }));
    const s = scoreOnSameFolds(history, undefined, base, naive, 2)!;
    const d = decideChampion({ candidate: base, champion: { version: 'v0', createdAt: fresh, artifacts: naive }, scores: s, tolerance: 0, maxAgeDays: 28, now });
    expect(d).toMatchObject({ promoted: true, metric: 'rmsse', comparedItems: 4 });
    expect(d.championScore!).toBeGreaterThan(d.candidateScore!);
    const reversed = decideChampion({ candidate: naive, champion: { version: 'v0', createdAt: fresh, artifacts: base }, scores: scoreOnSameFolds(history, undefined, naive, base, 2), tolerance: 0, maxAgeDays: 28, now });
    expect(reversed.promoted).toBe(false);
  });

  test('a champion backtested over another horizon is compared on the days both cover, not promoted unconditionally', () => {
    const longer = trainStore(history, { horizon: 28, folds: 2 }).artifacts;
    const worse = longer.map((a) => ({ ...a, components: [{ family: 'ses' as const, weight: 3, state: null }] }));
    const s = scoreOnSameFolds(history, undefined, worse, base, 2)!;
    expect(s.horizon).toBe(14);
    const d = decideChampion({ candidate: worse, champion: { version: 'v1', createdAt: fresh, artifacts: base }, scores: s, tolerance: 0, maxAgeDays: 28, now });
    expect(d).toMatchObject({ promoted: false, metric: 'rmsse', basis: { horizon: 14 } });
  });

  test('a mix with the learned family is refitted at each cut and compared, not skipped', () => {
    const promo = new Float64Array(600);
    for (let i = 0; i < promo.length; i++) promo[i] = i % 5 === 0 ? 1 : 0;
    const start = history[0]!.startDay;
    const drivers = { store: '1', firstDay: start, lastDay: start + promo.length - 1, columns: [{ name: 'promo', kind: 'numeric' as const, scale: 'linear' as const }], labels: [[]], storeValues: [promo], items: new Map() };
    const learnedOnly = trainStore(history, { horizon: 14, folds: 2, drivers, families: ['learned'] }).artifacts;
    expect(learnedOnly.every((a) => a.components.every((c) => c.family === 'learned'))).toBe(true);
    // Without the learned inputs no item can be refitted, so nothing is compared.
    const blind = scoreOnSameFolds(history, drivers, learnedOnly, base, 2)!;
    expect(blind.candidate.size).toBe(0);
    const seen = scoreOnSameFolds(history, drivers, learnedOnly, base, 2, { horizon: 14 })!;
    expect(seen.candidate.size).toBe(history.length);
    expect([...seen.candidate.values()].every((score) => score.rmsse !== null && Number.isFinite(score.rmsse))).toBe(true);
  });
});
