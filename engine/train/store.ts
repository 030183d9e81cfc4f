import { CalendarTable } from '../calendar.js';
import { detectClosedDays } from '../closures.js';
import type { EpochDay } from '../dates.js';
import { storeClosedDays, type StoreDrivers } from '../drivers.js';
import { DriverView } from '../effects.js';
import { lastDay, type SeriesHistory } from '../history.js';

/** One store's history as every step reads it, prepared once: series in item order, closed days masked. */
export interface StoreData {
  store: string;
  series: SeriesHistory[];
  /** Each series' values with the days known to be closed set to NaN. */
  masked: Float64Array[];
  closedDays: EpochDay[];
  /** Days with store sales > 0: a weekday is closed only if none of its recent days sold. */
  sellingDays: Set<EpochDay>;
  firstDay: EpochDay;
  lastDay: EpochDay;
  cal: CalendarTable;
  view: DriverView | undefined;
}

export function prepareStore(series: SeriesHistory[], horizon: number, drivers?: StoreDrivers): StoreData {
  let firstDay = Infinity;
  let storeLast = -Infinity;
  for (const s of series) {
    firstDay = Math.min(firstDay, s.startDay);
    storeLast = Math.max(storeLast, lastDay(s));
  }
  const view = drivers === undefined ? undefined : new DriverView(drivers);
  const closedByDrivers = drivers === undefined ? new Set<EpochDay>() : storeClosedDays(drivers);
  const closedDays = [...new Set([...detectClosedDays(series, firstDay, storeLast), ...[...closedByDrivers].filter((d) => d >= firstDay && d <= storeLast)])].sort((a, b) => a - b);
  const closed = new Set(closedDays);
  const sellingDays = new Set<EpochDay>();
  const masked = series.map((s) => {
    for (let i = 0; i < s.values.length; i++) if (s.values[i]! > 0) sellingDays.add(s.startDay + i);
    const itemClosed = view !== undefined && view.drivers.items.get(s.item) !== undefined;
    if (closed.size === 0 && !itemClosed) return s.values;
    const copy = Float64Array.from(s.values);
    for (let i = 0; i < copy.length; i++) {
      const day = s.startDay + i;
      // A day known to be closed says nothing about demand: it must not pull down levels or shapes.
      if (closed.has(day) || (itemClosed && view.closed(s.item, day))) copy[i] = Number.NaN;
    }
    return copy;
  });
  return { store: series[0]!.store, series, masked, closedDays, sellingDays, firstDay, lastDay: storeLast, cal: new CalendarTable(firstDay, storeLast + horizon + 7), view };
}
