import type { IsoDate, ItemForecast, StoreForecast, StoreId, TransportResponse } from './api';
import { toCsv } from './csv';
import { addDays, daysBetween } from './dates';

export interface TransportCell {
  units: number;
  p10: number;
  p90: number;
  /** The service level's quantile in the chosen unit (the API's `value`; `units` from an older API). */
  value: number;
  /** Above the store's receiving limit that day. */
  overLimit?: boolean;
  /** Units with the overrides in force, when one touches the store. */
  adjusted?: number;
  /** Units (at the level) of items without pack sizes, which `value` leaves out. */
  unconvertedUnits?: number;
  /** The store cannot be given in the unit (its row's `reason`): no value. */
  unavailable?: boolean;
  /** The store is closed that day (`closed` of `/api/transport`): shown as "Closed", not as 0 units. */
  closed?: boolean;
}

export interface TransportRow {
  store: StoreId;
  /** One per date of the grid; null when the store has no forecast that day. */
  cells: (TransportCell | null)[];
  total: number;
  /** Why the store has no value in the chosen unit (e.g. no truck capacity in the store file). */
  reason?: string;
}

/** What the transport view shows: stores × days, with day totals and the largest cell for the colour scale. */
export interface TransportGrid {
  dates: IsoDate[];
  rows: TransportRow[];
  dayTotals: number[];
  /** Every store with a forecast that day is closed: the total row says "Closed", not 0 units. */
  dayClosed: boolean[];
  grandTotal: number;
  max: number;
  /** True when the API served `value` (a service level and a unit); false: plain mean units. */
  hasValues: boolean;
  /** Stores the region total leaves out (no value in the unit). */
  excludedStores: StoreId[];
}

/**
 * Builds the grid for [from, from + days − 1] from `/transport`, in the order of `stores` (stores missing
 * from the response get an empty row, so the planner sees them rather than a silently shorter table).
 */
export function transportGrid(response: TransportResponse, stores: readonly StoreId[], from: IsoDate, days: number): TransportGrid {
  const dates = Array.from({ length: Math.max(0, days) }, (_, i) => addDays(from, i));
  const byStore = new Map(response.stores.map((s) => [s.store, s]));
  const dayTotals = new Array<number>(dates.length).fill(0);
  const hasValues = response.stores.some((s) => s.value !== undefined);
  const open = new Array<number>(dates.length).fill(0);
  const closedCount = new Array<number>(dates.length).fill(0);
  let max = 0;
  const rows = stores.map((store): TransportRow => {
    const series = byStore.get(store);
    const cells = new Array<TransportCell | null>(dates.length).fill(null);
    let total = 0;
    const unavailable = series?.value === null;
    if (series?.firstDate) {
      const offset = daysBetween(from, series.firstDate);
      const closed = new Set(Array.isArray(series.closed) ? series.closed : []);
      const overLimit = new Set(Array.isArray(series.overLimit) ? series.overLimit : []);
      series.units.forEach((units, i) => {
        const j = offset + i;
        if (j < 0 || j >= dates.length || !Number.isFinite(units)) return;
        const value = unavailable ? Number.NaN : (series.value?.[i] ?? units);
        const cell: TransportCell = { units, p10: series.p10[i] ?? units, p90: series.p90[i] ?? units, value };
        if (unavailable) cell.unavailable = true;
        const unconverted = series.unconvertedUnits?.[i];
        if (unconverted !== undefined && unconverted > 0) cell.unconvertedUnits = unconverted;
        const adjusted = series.adjusted?.[i];
        if (adjusted !== undefined && Math.abs(adjusted - units) > 1e-9) cell.adjusted = adjusted;
        if (closed.has(dates[j]!)) cell.closed = true;
        if (overLimit.has(dates[j]!)) cell.overLimit = true;
        if (cell.closed) closedCount[j]!++;
        else open[j]!++;
        cells[j] = cell;
        if (unavailable) return;
        total += value;
        dayTotals[j]! += value;
        if (value > max) max = value;
      });
    }
    return { store, cells, total, ...(unavailable ? { reason: series?.reason ?? 'cannot be given in this unit' } : {}) };
  });
  const dayClosed = dates.map((_, j) => closedCount[j]! > 0 && open[j] === 0);
  // The region's total at a service level is its own quantile (not the sum of the stores' quantiles): the
  // API computes it from the stores' dependence; take it for every day it covers.
  const totals = response.totals;
  if (hasValues && totals?.value) {
    const offset = daysBetween(from, totals.firstDate);
    totals.value.forEach((v, i) => {
      const j = offset + i;
      if (j >= 0 && j < dates.length && Number.isFinite(v)) dayTotals[j] = v;
    });
  }
  return { dates, rows, dayTotals, dayClosed, grandTotal: dayTotals.reduce((a, b) => a + b, 0), max, hasValues, excludedStores: totals?.excludedStores ?? [] };
}

/**
 * CSV of exactly the grid on screen: `date,store,units,p10,p90`, one line per store and day with a value
 * (a closed day is a line with 0 units: nothing to carry; the API's own CSV adds a `closed` column).
 */
export function transportCsv(grid: TransportGrid): string {
  const lines: (string | number)[][] = [];
  for (const row of grid.rows) {
    row.cells.forEach((cell, j) => {
      if (cell) lines.push([grid.dates[j]!, row.store, cell.units, cell.p10, cell.p90]);
    });
  }
  return toCsv(['date', 'store', 'units', 'p10', 'p90'], lines);
}

/**
 * CSV of a store's items over the window on screen, in the batch CLI's format `date,store,item,forecast,p10,p90`;
 * with an `adjusted` column beside them (the adjusted number, else the model's) when a planner's override
 * touches any of the items, as the API's CSV carries both numbers.
 */
export function forecastCsv(stores: readonly StoreForecast[], from: IsoDate, days: number, itemFilter?: (item: ItemForecast) => boolean): string {
  const to = addDays(from, days - 1);
  const lines: (string | number)[][] = [];
  const chosen = stores.map((sf) => ({ sf, items: itemFilter ? sf.items.filter(itemFilter) : sf.items }));
  const withAdjusted = chosen.some(({ items }) => items.some((it) => it.adjusted !== undefined));
  for (const { sf, items } of chosen) {
    for (const it of items) {
      it.forecast.forEach((v, i) => {
        const date = addDays(it.firstDate, i);
        if (date < from || date > to) return;
        const line: (string | number)[] = [date, sf.store, it.item, v, it.p10[i] ?? v, it.p90[i] ?? v];
        if (withAdjusted) line.push(it.adjusted?.[i] ?? v);
        lines.push(line);
      });
    }
  }
  return toCsv(['date', 'store', 'item', 'forecast', 'p10', 'p90', ...(withAdjusted ? ['adjusted'] : [])], lines);
}

/**
 * Heat-map colour of a cell (0 … max): light to dark blue, with a text colour that keeps 4.5:1 contrast.
 * The ramp skips the mid-luminance blues where neither dark nor white text would be readable.
 */
export function heatColor(value: number, max: number): { background: string; color: string } {
  const t = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  const light: [number[], number[]] = [[0xee, 0xf4, 0xfb], [0x7f, 0xa6, 0xdc]];
  const dark: [number[], number[]] = [[0x2f, 0x5f, 0xb3], [0x0b, 0x3d, 0x91]];
  const [from, to, u] = t <= 0.55 ? [...light, t / 0.55] : [...dark, (t - 0.55) / 0.45];
  const rgb = from.map((c, i) => Math.round(c + (to[i]! - c) * u));
  const lum = relativeLuminance(rgb[0]!, rgb[1]!, rgb[2]!);
  const contrastWhite = 1.05 / (lum + 0.05);
  const contrastDark = (lum + 0.05) / (relativeLuminance(0x11, 0x18, 0x27) + 0.05);
  return { background: `rgb(${rgb.join(', ')})`, color: contrastWhite >= contrastDark ? '#ffffff' : '#111827' };
}

export function relativeLuminance(r: number, g: number, b: number): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
