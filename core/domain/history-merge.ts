import { compareKeys, lastDay, type SeriesHistory } from '../../engine/index.js';

export interface MergeResult {
  series: SeriesHistory[];
  /** Days that had no observation before. */
  added: number;
  /** Days whose value the upload changed. */
  corrected: number;
  /** Days the upload repeated with the same value. */
  unchanged: number;
  newSeries: number;
}

/**
 * Merges an upload into a store's history. The upload wins for a day that already has a value: uploads
 * are how upstream systems send corrections (late receipts, returns booked after the fact), and the most
 * recently received figure is the best we know. An absent day in the upload never erases history.
 * Applying the same upload twice gives the same history, which is what makes re-delivery a no-op.
 */
export function mergeHistory(existing: readonly SeriesHistory[], incoming: readonly SeriesHistory[]): MergeResult {
  const byItem = new Map<string, SeriesHistory>();
  for (const s of existing) byItem.set(s.item, s);
  let added = 0;
  let corrected = 0;
  let unchanged = 0;
  let newSeries = 0;
  for (const upload of incoming) {
    const old = byItem.get(upload.item);
    if (old === undefined) {
      newSeries++;
      for (const v of upload.values) if (v === v) added++;
      byItem.set(upload.item, { store: upload.store, item: upload.item, startDay: upload.startDay, values: Float64Array.from(upload.values) });
      continue;
    }
    const start = Math.min(old.startDay, upload.startDay);
    const end = Math.max(lastDay(old), lastDay(upload));
    const values = new Float64Array(end - start + 1).fill(Number.NaN);
    values.set(old.values, old.startDay - start);
    const offset = upload.startDay - start;
    for (let i = 0; i < upload.values.length; i++) {
      const v = upload.values[i]!;
      if (v !== v) continue;
      const before = values[offset + i]!;
      if (before !== before) added++;
      else if (before !== v) corrected++;
      else unchanged++;
      values[offset + i] = v;
    }
    byItem.set(upload.item, { store: old.store, item: old.item, startDay: start, values });
  }
  const series = [...byItem.values()].map((s) => trimSeries(s)).sort((a, b) => compareKeys(a.item, b.item));
  return { series, added, corrected, unchanged, newSeries };
}

/** Histories start and end on an observed day, so `startDay`/`lastDay` mean "first/last sale recorded". */
function trimSeries(s: SeriesHistory): SeriesHistory {
  let first = 0;
  let last = s.values.length - 1;
  while (first <= last && s.values[first]! !== s.values[first]!) first++;
  while (last >= first && s.values[last]! !== s.values[last]!) last--;
  if (first === 0 && last === s.values.length - 1) return s;
  return { ...s, startDay: s.startDay + first, values: s.values.slice(first, last + 1) };
}

export function countObservations(series: readonly SeriesHistory[]): number {
  let n = 0;
  for (const s of series) for (const v of s.values) if (v === v) n++;
  return n;
}

export function historyBounds(series: readonly SeriesHistory[]): { firstDay: number; lastDay: number } | undefined {
  if (series.length === 0) return undefined;
  let firstDay = Infinity;
  let last = -Infinity;
  for (const s of series) {
    firstDay = Math.min(firstDay, s.startDay);
    last = Math.max(last, lastDay(s));
  }
  return { firstDay, lastDay: last };
}
