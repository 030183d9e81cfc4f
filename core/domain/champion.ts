import { forecastsAtCutoff, formatIsoDay, lastDay, naiveScale, smapePoint, type GateLearnedInputs, type ModelArtifact, type SeriesHistory, type StoreDrivers } from '../../engine/index.js';
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

/** One model's error on the folds, per item: RMSSE (null when the item's scale is undefined) and SMAPE. */
export interface ItemScore {
  rmsse: number | null;
  smape: number | null;
  /** Days scored (observed, store open) over all folds. */
  days: number;
}

/** Candidate and champion scored by the same code on the same cuts of the same history, same horizon. */
export interface SameFoldScores {
  /** The overlapping horizon: the shorter of the two backtest horizons. */
  horizon: number;
  /** ISO dates of the cuts (the last day each fold's models saw). */
  cuts: string[];
  candidate: Map<string, ItemScore>;
  champion: Map<string, ItemScore>;
}

function labelOf(component: ModelArtifact['components'][number]): string {
  return component.drivers === true ? `${component.family}+drivers` : component.family;
}

function configKey(a: ModelArtifact): string {
  return JSON.stringify([a.calendarConfig, a.drivers?.effectConfig ?? null]);
}

/**
 * Scores the candidate's and the champion's **model configurations** on the same folds: at each of the
 * last `folds` cuts of the candidate's history (every `horizon` days back from its last day), each item's
 * mix (families, weights, with or without drivers, and the store's calendar and effect settings) is refitted
 * on the data up to the cut and forecast over the `horizon` days after it, and both are scored on the same
 * observed days (days the whole store sold nothing count as closed and are left out, as in the engine's
 * backtest). The champion's stored fitted state is not reused: it was fitted on data up to its own origin,
 * which is after these cuts, so re-forecasting it over the folds would score it on days it had seen.
 * `horizon` is the shorter of the two backtest horizons, so a changed horizon setting is compared on the
 * days both cover instead of being "not comparable". A mix with the learned family is refitted too when
 * `learned` is given (the store's pooled artifact and attributes): its group's model fitted on or before each
 * cut, else one fitted on the store's items up to the cut; without it such items are left out.
 */
export function scoreOnSameFolds(series: readonly SeriesHistory[], drivers: StoreDrivers | undefined, candidate: readonly ModelArtifact[], champion: readonly ModelArtifact[], folds: number, learned?: GateLearnedInputs): SameFoldScores | undefined {
  const horizon = Math.min(summariseArtifacts(candidate).window.horizon, summariseArtifacts(champion).window.horizon);
  if (!(horizon >= 1) || series.length === 0) return undefined;
  const last = series.reduce((m, s) => Math.max(m, lastDay(s)), -Infinity);
  const bySeries = new Map(series.map((s) => [s.item, s]));
  const models = { candidate: new Map(candidate.map((a) => [a.item, a])), champion: new Map(champion.map((a) => [a.item, a])) };
  const items = [...models.candidate.keys()].filter((item) => models.champion.has(item) && bySeries.has(item));
  const acc = { candidate: new Map<string, { se: number; sp: number; n: number; scale: number }>(), champion: new Map<string, { se: number; sp: number; n: number; scale: number }>() };
  const cuts: string[] = [];
  const labelsByConfig = new Map<string, Map<string, Set<string>>>();
  for (const item of items) {
    for (const a of [models.candidate.get(item)!, models.champion.get(item)!]) {
      const byItem = labelsByConfig.get(configKey(a)) ?? new Map<string, Set<string>>();
      labelsByConfig.set(configKey(a), byItem);
      const labels = byItem.get(item) ?? new Set<string>();
      byItem.set(item, labels);
      for (const c of a.components) labels.add(labelOf(c));
    }
  }
  for (let f = Math.max(1, folds); f >= 1; f--) {
    const cut = last - f * horizon;
    const first = series.reduce((m, s) => Math.min(m, s.startDay), Infinity);
    if (cut - first < 28) continue;
    cuts.push(formatIsoDay(cut));
    // Days the whole store sold nothing: closed, not low demand.
    const closed = new Uint8Array(horizon);
    for (let d = 0; d < horizon; d++) {
      let total = 0;
      let seen = 0;
      for (const s of series) {
        const v = s.values[cut + 1 + d - s.startDay];
        if (v !== undefined && v === v) {
          total += v;
          seen++;
        }
      }
      if (seen > 0 && total === 0) closed[d] = 1;
    }
    const atCut = new Map<string, Map<string, Record<string, Float64Array>>>();
    const forecastsFor = (a: ModelArtifact): Record<string, Float64Array> | undefined => {
      const key = configKey(a);
      let all = atCut.get(key);
      if (all === undefined) {
        // Only the families the two mixes use under this configuration: refitting every family at every
        // cut cost as much as training the store.
        const wanted = labelsByConfig.get(key);
        all = forecastsAtCutoff(series, cut, horizon, a.calendarConfig, drivers, a.drivers?.effectConfig, (item) => wanted?.get(item), learned);
        atCut.set(key, all);
      }
      return all.get(a.item);
    };
    for (const item of items) {
      const s = bySeries.get(item)!;
      const actual = (d: number): number | undefined => {
        const v = s.values[cut + 1 + d - s.startDay];
        return v === undefined || v !== v || closed[d] === 1 ? undefined : v;
      };
      const mixes: [keyof typeof models, Float64Array | undefined][] = (['candidate', 'champion'] as const).map((which) => {
        const a = models[which].get(item)!;
        const byLabel = forecastsFor(a);
        if (byLabel === undefined) return [which, undefined];
        const mix = new Float64Array(horizon);
        for (const c of a.components) {
          const f = byLabel[labelOf(c)];
          if (f === undefined) return [which, undefined];
          for (let d = 0; d < horizon; d++) mix[d]! += c.weight * f[d]!;
        }
        return [which, mix];
      });
      // Both or neither: the two models are scored on exactly the same days.
      if (mixes.some(([, m]) => m === undefined)) continue;
      const scale = naiveScale(s.values.subarray(0, Math.max(0, cut - s.startDay + 1)));
      for (const [which, mix] of mixes) {
        let entry = acc[which].get(item);
        if (entry === undefined) acc[which].set(item, (entry = { se: 0, sp: 0, n: 0, scale: 0 }));
        for (let d = 0; d < horizon; d++) {
          const y = actual(d);
          if (y === undefined) continue;
          const yhat = Math.max(0, mix![d]!);
          entry.se += (yhat - y) * (yhat - y);
          entry.sp += smapePoint(yhat, y);
          entry.n++;
        }
        // The scale of the latest cut's history (the folds' scales differ little; one scale per item).
        entry.scale = scale;
      }
    }
  }
  const finish = (m: Map<string, { se: number; sp: number; n: number; scale: number }>): Map<string, ItemScore> =>
    new Map(
      [...m].filter(([, e]) => e.n > 0).map(([item, e]) => [item, { rmsse: e.scale > 0 && Number.isFinite(e.scale) ? Math.sqrt(e.se / e.n / e.scale) : null, smape: e.sp / e.n, days: e.n }]),
    );
  if (cuts.length === 0) return undefined;
  return { horizon, cuts, candidate: finish(acc.candidate), champion: finish(acc.champion) };
}

export interface GateInput {
  candidate: readonly ModelArtifact[];
  /** The serving champion, when the store has one. */
  champion: { version: string; createdAt: string; artifacts: readonly ModelArtifact[] } | undefined;
  /** Both scored on the same folds (`scoreOnSameFolds`); undefined when the history is too short for one fold. */
  scores: SameFoldScores | undefined;
  tolerance: number;
  /** A champion older than this is never re-issued (`FOREACT_CHAMPION_MAX_AGE_DAYS`). */
  maxAgeDays: number;
  now: Date;
}

/**
 * The champion gate. The candidate replaces the champion only if its error is not worse (within
 * `tolerance`, relative) on the **same folds** (`scoreOnSameFolds`: both configurations refitted at the same
 * cuts of the current history, scored on the same days over the horizon both cover), on the items both
 * have, so adding or losing items cannot tip the balance. RMSSE is preferred (scale-free, defined for
 * intermittent demand); SMAPE is the fallback. A champion older than `maxAgeDays` is not re-issued: the
 * candidate is promoted with that reason, whatever the scores.
 */
export function decideChampion(input: GateInput): ChampionDecision {
  const { champion, scores, tolerance, now } = input;
  const decidedAt = now.toISOString();
  const base = { championScore: null, candidateScore: null, comparedItems: 0, decidedAt };
  if (champion === undefined) return { ...base, promoted: true, reason: 'first model for this store', metric: 'none' };
  const ageDays = Math.floor((now.getTime() - Date.parse(champion.createdAt)) / 86_400_000);
  const known = { championVersion: champion.version, ...(Number.isFinite(ageDays) ? { championAgeDays: ageDays } : {}), ...(scores ? { basis: { horizon: scores.horizon, cuts: scores.cuts } } : {}) };
  if (Number.isFinite(ageDays) && ageDays > input.maxAgeDays) {
    return { ...base, ...known, promoted: true, metric: 'none', reason: `champion ${champion.version} is ${ageDays} days old, past the ${input.maxAgeDays}-day limit (FOREACT_CHAMPION_MAX_AGE_DAYS): it is not re-issued and the candidate is promoted` };
  }
  if (scores !== undefined) {
    for (const metric of ['rmsse', 'smape'] as const) {
      const cand: number[] = [];
      const champ: number[] = [];
      for (const [item, c] of scores.candidate) {
        const x = c[metric];
        const y = scores.champion.get(item)?.[metric];
        if (x === null || y === null || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
        cand.push(x);
        champ.push(y);
      }
      if (cand.length === 0) continue;
      const candidateScore = mean(cand)!;
      const championScore = mean(champ)!;
      const promoted = candidateScore <= championScore * (1 + tolerance) + 1e-12;
      const name = metric.toUpperCase();
      const on = `on ${cand.length} common items, ${scores.cuts.length} fold(s) of ${scores.horizon} days`;
      const reason = promoted
        ? `candidate ${name} ${fmt(candidateScore)} is not worse than champion ${champion.version}'s ${fmt(championScore)} ${on}`
        : `refused: candidate ${name} ${fmt(candidateScore)} is worse than champion ${champion.version}'s ${fmt(championScore)} ${on}; the champion keeps serving`;
      return { ...known, promoted, reason, metric, candidateScore, championScore, comparedItems: cand.length, decidedAt };
    }
  }
  return { ...base, ...known, promoted: true, metric: 'none', reason: `no item could be scored on the same folds for both the candidate and champion ${champion.version}; promoted so the newest data is used` };
}
