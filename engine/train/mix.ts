import type { FamilyName } from '../models/index.js';
import { scaledSse } from './backtest.js';
import type { Candidate } from './candidates.js';
import { mean, type FoldRecord } from './scoring.js';
import type { StoreData } from './store.js';

/** Candidate indexes whose forecasts are averaged. */
export type Mix = number[];

function mixScore(records: readonly (FoldRecord | undefined)[], mix: Mix, excludeFold: number): number {
  let total = 0;
  let folds = 0;
  records.forEach((r, k) => {
    if (r === undefined || k === excludeFold) return;
    const { sse, n } = scaledSse(mean(mix.map((f) => r.forecasts[f]!)), r.actual);
    if (n === 0) return;
    total += sse / n / r.scale;
    folds++;
  });
  return folds > 0 ? total / folds : Number.NaN;
}

/** Best single family, or the mean of the two best when that backtests better. */
export function chooseMix(records: readonly (FoldRecord | undefined)[], familyCount: number, excludeFold: number): MixChoice | undefined {
  const scores = Array.from({ length: familyCount }, (_, f) => mixScore(records, [f], excludeFold));
  const ranked = scores.map((score, f) => ({ score, f })).filter((x) => Number.isFinite(x.score)).sort((a, b) => a.score - b.score);
  if (ranked.length === 0) return undefined;
  const best = ranked[0]!;
  if (ranked.length > 1) {
    const pair = [best.f, ranked[1]!.f].sort((a, b) => a - b);
    if (mixScore(records, pair, excludeFold) < best.score) return { mix: pair, scores };
  }
  return { mix: [best.f], scores };
}

function cellError(record: FoldRecord | undefined, mix: Mix): number {
  if (record === undefined) return Number.NaN;
  const { sse, n } = scaledSse(mean(mix.map((f) => record.forecasts[f]!)), record.actual);
  return n > 0 ? sse / n / record.scale : Number.NaN;
}

/**
 * Mixes a whole store may share: each candidate alone, the mean of all smoothing families (with drivers and
 * without), and the learned family beside each smoothing family: the learned one sees interactions, the
 * others each series' own level and shape, and their errors differ.
 */
function storeWideMixes(candidates: readonly Candidate[]): Mix[] {
  const mixes: Mix[] = candidates.map((_, f) => [f]);
  const smoothingFamily = (c: Candidate): boolean => c.family !== 'seasonal_naive' && c.family !== 'learned';
  for (const drivers of [false, true]) {
    const smoothing = candidates.map((c, f) => (!smoothingFamily(c) || c.drivers !== drivers ? -1 : f)).filter((f) => f >= 0);
    if (smoothing.length > 1) mixes.push(smoothing);
  }
  const learned = candidates.findIndex((c) => c.family === 'learned');
  if (learned >= 0) candidates.forEach((c, f) => smoothingFamily(c) && mixes.push([Math.min(f, learned), Math.max(f, learned)]));
  return mixes;
}

export type StoreStrategy = { kind: 'per-series' } | { kind: 'store-wide'; mix: Mix };

/**
 * Per-series choice pays off when series differ and the backtest has enough points to tell them apart;
 * with short folds on noisy intermittent items it mostly chases noise. So each store compares, on folds
 * the choice did not see, per-series choice against one mix shared by all its items, and keeps the better.
 */
export function chooseStrategy(records: readonly (readonly (FoldRecord | undefined)[])[], families: readonly Candidate[], excludeFold: number): StoreStrategy {
  const foldCount = records[0]?.length ?? 0;
  const folds = Array.from({ length: foldCount }, (_, k) => k).filter((k) => k !== excludeFold);
  if (folds.length < 2) return { kind: 'per-series' };
  let perSeries = 0;
  const fixed = storeWideMixes(families).map(() => 0);
  const mixes = storeWideMixes(families);
  for (const seriesRecords of records) {
    for (const k of folds) {
      const record = seriesRecords[k];
      if (record === undefined) continue;
      const heldOut = seriesRecords.map((r, other) => (other === excludeFold ? undefined : r));
      const choice = chooseMix(heldOut, families.length, k);
      const error = choice === undefined ? Number.NaN : cellError(record, choice.mix);
      const fixedErrors = mixes.map((mix) => cellError(record, mix));
      // Only cells every candidate can be judged on, so the comparison is like for like.
      if (!Number.isFinite(error) || fixedErrors.some((e) => !Number.isFinite(e))) continue;
      perSeries += error;
      fixedErrors.forEach((e, m) => (fixed[m]! += e));
    }
  }
  let best = 0;
  fixed.forEach((e, m) => {
    if (e < fixed[best]!) best = m;
  });
  return fixed[best]! < perSeries ? { kind: 'store-wide', mix: mixes[best]! } : { kind: 'per-series' };
}

export interface MixChoice {
  mix: Mix;
  /** Each candidate's backtest score (NaN where it has none). */
  scores: number[];
}

/**
 * Step 5, mix: each series' best candidate, or the mean of its two best when that backtests better; the
 * whole store shares one mix instead when that does better on folds the choice did not see. A series
 * without a backtest gets the calendar family, or TSB when it mostly sells nothing.
 */
export function chooseMixes(data: StoreData, records: readonly (readonly (FoldRecord | undefined)[])[], candidates: readonly Candidate[]): { choices: (MixChoice | undefined)[]; mixes: Mix[] } {
  const defaultMix = (k: number): Mix => {
    const values = data.masked[k]!;
    let zeros = 0;
    let valid = 0;
    for (let i = Math.max(0, values.length - 91); i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) continue;
      valid++;
      if (v === 0) zeros++;
    }
    const preferred: FamilyName = valid > 0 && zeros / valid > 0.5 ? 'tsb' : 'calendar';
    const index = candidates.findIndex((c) => c.family === preferred && !c.drivers);
    return [index >= 0 ? index : 0];
  };
  const choices = data.series.map((_, k) => chooseMix(records[k]!, candidates.length, -1));
  const strategy = chooseStrategy(records, candidates, -1);
  const mixes = choices.map((choice, k) => (choice === undefined ? defaultMix(k) : strategy.kind === 'store-wide' ? strategy.mix : choice.mix));
  return { choices, mixes };
}
