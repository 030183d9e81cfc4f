import type { DailyBand, History, IsoDate, ItemForecast, StoreForecast } from './api';
import { addDays, daysBetween, maxDate, minDate } from './dates';
import type { DayMarkers } from './markers';

/** A daily band cut to [from, to] (inclusive); either bound may be absent. Empty arrays when disjoint. */
export function sliceBand(band: DailyBand, from?: IsoDate, to?: IsoDate): DailyBand {
  const n = band.forecast.length;
  const start = from ? Math.max(0, daysBetween(band.firstDate, from)) : 0;
  const end = to ? Math.min(n, daysBetween(band.firstDate, to) + 1) : n;
  if (end <= start) return { firstDate: from ?? band.firstDate, forecast: [], p10: [], p90: [] };
  return {
    firstDate: addDays(band.firstDate, start),
    forecast: band.forecast.slice(start, end),
    p10: band.p10.slice(start, end),
    p90: band.p90.slice(start, end),
  };
}

/**
 * Sum of daily bands aligned by date, over the union of their days. Intervals are combined as the API
 * does for `/transport` (independent errors): half-widths add in quadrature.
 */
export function sumBands(bands: readonly DailyBand[]): DailyBand | null {
  const nonEmpty = bands.filter((b) => b.forecast.length > 0);
  const first = minDate(nonEmpty.map((b) => b.firstDate));
  const last = maxDate(nonEmpty.map((b) => addDays(b.firstDate, b.forecast.length - 1)));
  if (first === undefined || last === undefined) return null;
  const n = daysBetween(first, last) + 1;
  const f = new Array<number>(n).fill(0);
  const lo = new Array<number>(n).fill(0);
  const hi = new Array<number>(n).fill(0);
  for (const b of nonEmpty) {
    const offset = daysBetween(first, b.firstDate);
    for (let i = 0; i < b.forecast.length; i++) {
      const v = b.forecast[i] ?? 0;
      const j = offset + i;
      f[j]! += v;
      lo[j]! += (v - (b.p10[i] ?? v)) ** 2;
      hi[j]! += ((b.p90[i] ?? v) - v) ** 2;
    }
  }
  return {
    firstDate: first,
    forecast: f,
    p10: f.map((v, j) => Math.max(0, v - Math.sqrt(lo[j]!))),
    p90: f.map((v, j) => v + Math.sqrt(hi[j]!)),
  };
}

/** Values of a daily series (starting `firstDate`) cut to [from, to], like `sliceBand`. */
export function sliceValues(firstDate: IsoDate, values: readonly number[], from?: IsoDate, to?: IsoDate): number[] {
  const start = from ? Math.max(0, daysBetween(firstDate, from)) : 0;
  const end = to ? Math.min(values.length, daysBetween(firstDate, to) + 1) : values.length;
  return end <= start ? [] : values.slice(start, end);
}

/**
 * The adjusted total of a store (model numbers where no override applies): the API's `total.adjusted`, or
 * the sum of the items' `adjusted` (or `forecast`) when the total lacks it. Null when no item is adjusted.
 */
export function adjustedTotal(sf: StoreForecast): number[] | null {
  if (sf.total?.adjusted) return sf.total.adjusted;
  if (!sf.items.some((i) => i.adjusted)) return null;
  const total = storeTotal(sf);
  if (!total) return null;
  const out = new Array<number>(total.forecast.length).fill(0);
  for (const it of sf.items) {
    const off = daysBetween(total.firstDate, it.firstDate);
    (it.adjusted ?? it.forecast).forEach((v, i) => {
      if (off + i >= 0 && off + i < out.length) out[off + i]! += v;
    });
  }
  return out;
}

export function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** The store's total band for the chart: the API's `total`, or the sum of its items when absent. */
export function storeTotal(sf: StoreForecast): DailyBand | null {
  return sf.total ?? sumBands(sf.items);
}

export interface ChartData {
  /** Dates of the x axis, history first then forecast (no gap, no overlap). */
  dates: IsoDate[];
  actual: (number | null)[];
  forecast: (number | null)[];
  p10: (number | null)[];
  p90: (number | null)[];
  /** Promotions, events/holidays and closures to mark on the chart, one entry per marked day. */
  markers?: DayMarkers[];
  /** The forecast with the planners' overrides, drawn beside the model's line (absent: nothing adjusted). */
  adjusted?: (number | null)[];
  /** A day to highlight (opened from "Needs attention"). */
  highlight?: IsoDate;
}

/** Puts a forecast-window series on the chart's date axis (null outside the window). */
export function alignToChart(data: ChartData, firstDate: IsoDate, values: readonly number[]): (number | null)[] {
  const out = new Array<number | null>(data.dates.length).fill(null);
  const first = data.dates[0];
  if (first === undefined) return out;
  const off = daysBetween(first, firstDate);
  values.forEach((v, i) => {
    if (off + i >= 0 && off + i < out.length) out[off + i] = v;
  });
  return out;
}

/** Aligns store history and forecast on one date axis for the chart. */
export function chartData(history: History | null, total: DailyBand | null): ChartData {
  const starts = [history?.firstDate, total && total.forecast.length > 0 ? total.firstDate : undefined];
  const first = minDate(starts);
  const ends = [
    history && history.sales.length > 0 ? addDays(history.firstDate, history.sales.length - 1) : undefined,
    total && total.forecast.length > 0 ? addDays(total.firstDate, total.forecast.length - 1) : undefined,
  ];
  const last = maxDate(ends);
  if (first === undefined || last === undefined) return { dates: [], actual: [], forecast: [], p10: [], p90: [] };
  const n = daysBetween(first, last) + 1;
  const dates = Array.from({ length: n }, (_, i) => addDays(first, i));
  const actual = new Array<number | null>(n).fill(null);
  const forecast = new Array<number | null>(n).fill(null);
  const p10 = new Array<number | null>(n).fill(null);
  const p90 = new Array<number | null>(n).fill(null);
  if (history) {
    const off = daysBetween(first, history.firstDate);
    history.sales.forEach((v, i) => (actual[off + i] = v));
  }
  if (total) {
    const off = daysBetween(first, total.firstDate);
    total.forecast.forEach((v, i) => {
      forecast[off + i] = v;
      p10[off + i] = total.p10[i] ?? v;
      p90[off + i] = total.p90[i] ?? v;
    });
  }
  return { dates, actual, forecast, p10, p90 };
}

export interface ItemRow {
  item: string;
  /** Values of the displayed window, aligned to the window's first date (null where the item has none). */
  values: (number | null)[];
  /** The adjusted values beside `values` when an override touches the item. */
  adjusted?: (number | null)[];
  adjustedTotal?: number;
  total: number;
  p10Total: number;
  p90Total: number;
}

/** One table row per item for the window [from, from + days − 1]. Interval totals add in quadrature. */
export function itemRows(items: readonly ItemForecast[], from: IsoDate, days: number): ItemRow[] {
  const to = addDays(from, days - 1);
  return items.map((it) => {
    const band = sliceBand(it, from, to);
    const values = new Array<number | null>(days).fill(null);
    const off = band.forecast.length > 0 ? daysBetween(from, band.firstDate) : 0;
    band.forecast.forEach((v, i) => (values[off + i] = v));
    let lo = 0;
    let hi = 0;
    band.forecast.forEach((v, i) => {
      lo += (v - (band.p10[i] ?? v)) ** 2;
      hi += ((band.p90[i] ?? v) - v) ** 2;
    });
    const total = sum(band.forecast);
    const row: ItemRow = { item: it.item, values, total, p10Total: Math.max(0, total - Math.sqrt(lo)), p90Total: total + Math.sqrt(hi) };
    if (it.adjusted) {
      const adj = sliceValues(it.firstDate, it.adjusted, from, to);
      const aligned = new Array<number | null>(days).fill(null);
      adj.forEach((v, i) => (aligned[off + i] = v));
      row.adjusted = aligned;
      row.adjustedTotal = sum(adj);
    }
    return row;
  });
}

export type SortKey = 'item' | 'total' | `day${number}`;
export interface SortState {
  key: SortKey;
  direction: 'ascending' | 'descending';
}

/** Natural order of ids: numeric ids numerically ("2" before "10"), then text. */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
}

export function sortRows(rows: readonly ItemRow[], sort: SortState): ItemRow[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  const value = (r: ItemRow): number => {
    if (sort.key === 'total') return r.total;
    const day = Number(sort.key.slice(3));
    return r.values[day] ?? -Infinity;
  };
  return [...rows].sort((a, b) => {
    const c = sort.key === 'item' ? compareIds(a.item, b.item) : value(a) - value(b);
    return c !== 0 ? sign * c : compareIds(a.item, b.item);
  });
}

/** SVG polyline points for a sparkline of the given size (nulls skipped, flat line when constant). */
export function sparklinePoints(values: readonly (number | null)[], width: number, height: number, pad = 1): string {
  const present = values.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]));
  if (present.length === 0) return '';
  const ys = present.map((p) => p[1]);
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const span = max - min;
  const stepX = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const round = (n: number): number => Math.round(n * 10) / 10;
  return present
    .map(([i, v]) => {
      const x = pad + i * stepX;
      const y = span === 0 ? height / 2 : pad + (1 - (v - min) / span) * (height - 2 * pad);
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}
