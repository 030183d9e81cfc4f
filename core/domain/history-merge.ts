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
export function trimSeries(s: SeriesHistory): SeriesHistory {
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

/**
 * Builds dense per-series histories from rows as they stream in: each series holds one value and the line
 * that gave it per day of its span, so memory follows the history (12 bytes per series-day), not the number
 * of rows or the size of the file. A second row for the same (store, item, day) is refused (the first is
 * kept), naming the line it repeats.
 */
export class DenseHistoryBuilder {
  private readonly bySeries = new Map<string, { store: string; item: string; start: number; values: Float64Array; lines: Int32Array }>();
  rowCount = 0;

  /** Adds a row; returns the duplicate's reason when the day already has one. */
  add(day: number, store: string, item: string, sales: number, line: number): string | undefined {
    const key = `${store}\u0000${item}`;
    let s = this.bySeries.get(key);
    if (s === undefined) {
      s = { store, item, start: day, values: new Float64Array(8).fill(Number.NaN), lines: new Int32Array(8) };
      this.bySeries.set(key, s);
    }
    if (day < s.start || day >= s.start + s.values.length) {
      const from = Math.min(s.start, day);
      const to = Math.max(s.start + s.values.length - 1, day);
      const grow = Math.max(to - from + 1, 2 * s.values.length);
      // Grow toward the side the new day is on, with room for more of the same direction.
      const start = day < s.start ? to - grow + 1 : from;
      const values = new Float64Array(grow).fill(Number.NaN);
      const lines = new Int32Array(grow);
      values.set(s.values, s.start - start);
      lines.set(s.lines, s.start - start);
      s.start = start;
      s.values = values;
      s.lines = lines;
    }
    const i = day - s.start;
    const first = s.lines[i]!;
    if (first !== 0) return `duplicate row for store ${store}, item ${item} on that date (first seen on line ${first})`;
    s.values[i] = sales;
    s.lines[i] = line;
    this.rowCount++;
    return undefined;
  }

  /** The histories, trimmed to their first and last observed day, sorted by store and item. */
  build(): SeriesHistory[] {
    const series: SeriesHistory[] = [];
    for (const s of this.bySeries.values()) {
      series.push(trimSeries({ store: s.store, item: s.item, startDay: s.start, values: s.values }));
    }
    return series.sort((a, b) => compareKeys(a.store, b.store) || compareKeys(a.item, b.item));
  }
}
