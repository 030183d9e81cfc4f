import type { ModelArtifact } from '../../engine/index.js';
import type { Accuracy, ChampionDecision } from './model.js';

export interface ArtifactSummary {
  accuracy: Accuracy;
  families: Record<string, number>;
  window: { from: string; to: string; horizon: number; folds: number };
  items: number;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Store-level view of a model version: mean backtest errors over items, family mix, data window. */
export function summariseArtifacts(artifacts: readonly ModelArtifact[]): ArtifactSummary {
  const families: Record<string, number> = {};
  const rmsse: number[] = [];
  const smape: number[] = [];
  let from = '';
  let to = '';
  let horizon = 0;
  let folds = 0;
  for (const a of artifacts) {
    families[a.selected] = (families[a.selected] ?? 0) + 1;
    if (a.backtest.rmsse !== null && Number.isFinite(a.backtest.rmsse)) rmsse.push(a.backtest.rmsse);
    if (a.backtest.smape !== null && Number.isFinite(a.backtest.smape)) smape.push(a.backtest.smape);
    if (from === '' || a.window.from < from) from = a.window.from;
    if (a.window.to > to) to = a.window.to;
    horizon = Math.max(horizon, a.backtest.horizon);
    folds = Math.max(folds, a.backtest.folds);
  }
  return { accuracy: { rmsse: mean(rmsse), smape: mean(smape) }, families, window: { from, to, horizon, folds }, items: artifacts.length };
}

function fmt(x: number): string {
  return x.toFixed(4);
}

/**
 * The champion gate. The candidate replaces the champion only if its backtest error is not worse
 * (within `tolerance`, relative). Both are scored by the same rolling-origin backtest definition (same
 * horizon) and compared on the items both have scores for, so adding or losing items cannot tip the
 * balance. RMSSE is preferred (scale-free and defined for intermittent demand); SMAPE is the fallback.
 */
export function decideChampion(
  candidate: readonly ModelArtifact[],
  champion: { version: string; artifacts: readonly ModelArtifact[] } | undefined,
  tolerance: number,
  now: Date,
): ChampionDecision {
  const decidedAt = now.toISOString();
  const base = { championScore: null, candidateScore: null, comparedItems: 0, decidedAt };
  if (champion === undefined) return { ...base, promoted: true, reason: 'first model for this store', metric: 'none' };
  const candidateHorizon = summariseArtifacts(candidate).window.horizon;
  const championHorizon = summariseArtifacts(champion.artifacts).window.horizon;
  if (candidateHorizon !== championHorizon) {
    return { ...base, championVersion: champion.version, promoted: true, metric: 'none', reason: `champion ${champion.version} was backtested over ${championHorizon} days and the candidate over ${candidateHorizon}: not comparable, so the candidate (matching the current settings) is promoted` };
  }
  const byItem = new Map(champion.artifacts.map((a) => [a.item, a]));
  for (const metric of ['rmsse', 'smape'] as const) {
    const cand: number[] = [];
    const champ: number[] = [];
    for (const a of candidate) {
      const c = byItem.get(a.item);
      const x = a.backtest[metric];
      const y = c?.backtest[metric];
      if (x === null || y === null || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
      cand.push(x);
      champ.push(y);
    }
    if (cand.length === 0) continue;
    const candidateScore = mean(cand)!;
    const championScore = mean(champ)!;
    const promoted = candidateScore <= championScore * (1 + tolerance) + 1e-12;
    const name = metric.toUpperCase();
    const reason = promoted
      ? `candidate ${name} ${fmt(candidateScore)} is not worse than champion ${champion.version}'s ${fmt(championScore)} on ${cand.length} common items`
      : `refused: candidate ${name} ${fmt(candidateScore)} is worse than champion ${champion.version}'s ${fmt(championScore)} on ${cand.length} common items; the champion keeps serving`;
    return { promoted, reason, metric, candidateScore, championScore, championVersion: champion.version, comparedItems: cand.length, decidedAt };
  }
  return { ...base, championVersion: champion.version, promoted: true, metric: 'none', reason: `no item has backtest scores for both the candidate and champion ${champion.version}; promoted so the newest data is used` };
}
