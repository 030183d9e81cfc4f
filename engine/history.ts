import type { EpochDay } from './dates.js';

/** One (store, item) daily sales history. `values[i]` is the sales on `startDay + i`; NaN = no observation. */
export interface SeriesHistory {
  store: string;
  item: string;
  startDay: EpochDay;
  values: Float64Array;
}

export interface RowError {
  line: number;
  reason: string;
}

export function seriesKey(store: string, item: string): string {
  return `${store}\u0000${item}`;
}

export function lastDay(series: SeriesHistory): EpochDay {
  return series.startDay + series.values.length - 1;
}

interface Accumulating {
  store: string;
  item: string;
  days: number[];
  sales: number[];
  lines: number[];
  sorted: boolean;
}

/**
 * Collects rows into per-series histories. Rows may arrive in any order; a second row for the same
 * (store, item, date) is reported as an error rather than summed or overwritten, because either choice
 * would silently change what the planner sent.
 */
export class HistoryBuilder {
  private readonly bySeries = new Map<string, Accumulating>();
  /** The series of the previous row: files come grouped by series or by date, and the first kind is common. */
  private last: Accumulating | undefined;
  rowCount = 0;

  add(day: EpochDay, store: string, item: string, sales: number, line: number): void {
    let acc = this.last;
    if (acc === undefined || acc.item !== item || acc.store !== store) {
      const key = seriesKey(store, item);
      acc = this.bySeries.get(key);
      if (acc === undefined) {
        acc = { store, item, days: [], sales: [], lines: [], sorted: true };
        this.bySeries.set(key, acc);
      }
      this.last = acc;
    }
    const previous = acc.days[acc.days.length - 1];
    if (previous !== undefined && day <= previous) acc.sorted = false;
    acc.days.push(day);
    acc.sales.push(sales);
    acc.lines.push(line);
    this.rowCount++;
  }

  get seriesCount(): number {
    return this.bySeries.size;
  }

  /** Dense histories plus one error per duplicate row (naming the line it duplicates). */
  build(): { series: SeriesHistory[]; errors: RowError[] } {
    const series: SeriesHistory[] = [];
    const errors: RowError[] = [];
    for (const acc of this.bySeries.values()) {
      let order: number[] | undefined;
      if (!acc.sorted) {
        order = acc.days.map((_, i) => i);
        order.sort((a, b) => (acc.days[a]! - acc.days[b]!) || (acc.lines[a]! - acc.lines[b]!));
      }
      const at = (k: number): number => (order === undefined ? k : order[k]!);
      const first = acc.days[at(0)]!;
      const last = acc.days[at(acc.days.length - 1)]!;
      const values = new Float64Array(last - first + 1).fill(Number.NaN);
      let previousDay = Number.NaN;
      let previousLine = 0;
      for (let k = 0; k < acc.days.length; k++) {
        const i = at(k);
        const day = acc.days[i]!;
        if (day === previousDay) {
          errors.push({ line: acc.lines[i]!, reason: `duplicate row for store ${acc.store}, item ${acc.item} on that date (first seen on line ${previousLine})` });
          continue;
        }
        values[day - first] = acc.sales[i]!;
        previousDay = day;
        previousLine = acc.lines[i]!;
      }
      series.push({ store: acc.store, item: acc.item, startDay: first, values });
    }
    errors.sort((a, b) => a.line - b.line);
    series.sort((a, b) => compareKeys(a.store, b.store) || compareKeys(a.item, b.item));
    return { series, errors };
  }
}

/** Series grouped by store, in first-seen order: a store is the unit of training and of history storage. */
export function seriesByStore(series: readonly SeriesHistory[]): Map<string, SeriesHistory[]> {
  const stores = new Map<string, SeriesHistory[]>();
  for (const s of series) {
    const list = stores.get(s.store);
    if (list === undefined) stores.set(s.store, [s]);
    else list.push(s);
  }
  return stores;
}

/** Numeric-aware ordering so that store "10" sorts after store "9". */
export function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
