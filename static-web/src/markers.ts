import type { DriverKind, DriverMarker, IsoDate, ItemId, StoreForecast } from './api';
import { DRIVER_KINDS } from './api';
import { formatDay } from './format';

/**
 * Drivers known in advance (`markers` of `/api/forecasts`): promotions, events/holidays and closures,
 * turned into what the store card shows on its chart, in its list of marked days and in the items table.
 */

/** Glyphs shared by the chart, the legend, the list and the table (in fonts Debian and Windows ship). */
export const MARKER_GLYPH: Record<DriverKind, string> = { promotion: '◆', event: '★', closed: '✕' };
export const MARKER_NAME: Record<DriverKind, string> = { promotion: 'Promotion', event: 'Event or holiday', closed: 'Closed' };

/** Everything marked on one day of a store. */
export interface DayMarkers {
  date: IsoDate;
  /** The markers of the day, in the API's order (kind: closed, event, promotion). */
  markers: DriverMarker[];
  kinds: DriverKind[];
  /** "Thu 24 Dec: Promotion (12 items); Christmas Eve" */
  text: string;
}

const KIND_ORDER: Record<DriverKind, number> = { closed: 0, event: 1, promotion: 2 };

function isMarker(m: unknown): m is DriverMarker {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.date === 'string' && typeof r.label === 'string' && (DRIVER_KINDS as readonly unknown[]).includes(r.kind);
}

/** The store's markers within [from, to] (inclusive), sorted by date then kind; tolerant of a backend without markers. */
export function markersInWindow(sf: Pick<StoreForecast, 'markers'> | null | undefined, from: IsoDate, to: IsoDate): DriverMarker[] {
  const all = Array.isArray(sf?.markers) ? sf.markers.filter(isMarker) : [];
  return all.filter((m) => m.date >= from && m.date <= to).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : KIND_ORDER[a.kind] - KIND_ORDER[b.kind]));
}

/** What one marker says, without the day: "Closed", "Christmas Day", "Promotion (12 items)", "Promotion (all items)". */
export function markerPhrase(m: DriverMarker, itemCount?: number): string {
  const label = m.label.trim() || MARKER_NAME[m.kind];
  if (m.kind !== 'promotion') return label;
  if (m.items === undefined || (itemCount !== undefined && m.items.length >= itemCount && itemCount > 0)) return `${label} (all items)`;
  return `${label} (${m.items.length} ${m.items.length === 1 ? 'item' : 'items'})`;
}

/** "Sun 27 Dec: Closed" */
export function markerText(m: DriverMarker, itemCount?: number, locale?: string): string {
  return `${formatDay(m.date, locale)}: ${markerPhrase(m, itemCount)}`;
}

/** Markers grouped per day, in date order. `itemCount` is the number of items the card shows. */
export function markersByDay(markers: readonly DriverMarker[], itemCount?: number, locale?: string): DayMarkers[] {
  const days = new Map<IsoDate, DriverMarker[]>();
  for (const m of markers) {
    const list = days.get(m.date);
    if (list) list.push(m);
    else days.set(m.date, [m]);
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, list]) => {
      const sorted = [...list].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
      return {
        date,
        markers: sorted,
        kinds: [...new Set(sorted.map((m) => m.kind))],
        text: `${formatDay(date, locale)}: ${sorted.map((m) => markerPhrase(m, itemCount)).join('; ')}`,
      };
    });
}

/** Days the store is closed (a `closed` marker). */
export function closedDays(markers: readonly DriverMarker[]): Set<IsoDate> {
  return new Set(markers.filter((m) => m.kind === 'closed').map((m) => m.date));
}

/** Days on which `item` is on promotion (a promotion marker without `items` covers every item). */
export function promotionDays(markers: readonly DriverMarker[], item: ItemId): Set<IsoDate> {
  return new Set(markers.filter((m) => m.kind === 'promotion' && (m.items === undefined || m.items.includes(item))).map((m) => m.date));
}

/** The events/holidays of a day ("Christmas Day"), for table headers. */
export function eventsOn(markers: readonly DriverMarker[], date: IsoDate): string[] {
  return markers.filter((m) => m.kind === 'event' && m.date === date).map((m) => m.label);
}
