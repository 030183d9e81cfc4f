import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
import type { MarkerView } from '../../core/domain/api-service.js';
import type { ItemForecastView } from '../../core/domain/api-views.js';
import { csvField } from '../../core/domain/csv-field.js';

/** Representations of the API's read models: CSV bodies and content negotiation. */

const round = (v: number): number => Math.round(v * 1000) / 1000;
const num = (v: number): string => (Number.isInteger(v) ? String(v) : String(round(v)));

/**
 * `date,store,item,forecast,p10,p90,closed,promotion,events,adjusted`, one line per store, item and day: the
 * batch CLI's columns, then what the planner knows about the day (closed 0/1, the item on promotion 0/1,
 * event names joined with `+`), then the number with the overrides in force (empty when none touches the
 * item in the range; last, so readers of the older columns by position are unaffected).
 */
export function forecastsCsv(stores: readonly { store: string; items: readonly (ItemForecastView & { adjusted?: number[] })[]; markers: readonly MarkerView[] }[]): string {
  return `${[...forecastsCsvLines(stores)].join('\n')}\n`;
}

/** The lines of `forecastsCsv`, one at a time (the HTTP answer streams them). */
export function* forecastsCsvLines(stores: readonly { store: string; items: readonly (ItemForecastView & { adjusted?: number[] })[]; markers: readonly MarkerView[] }[]): Generator<string> {
  yield 'date,store,item,forecast,p10,p90,closed,promotion,events,adjusted';
  for (const s of stores) {
    const closed = new Set(s.markers.filter((m) => m.kind === 'closed').map((m) => m.date));
    const events = new Map<string, string[]>();
    for (const m of s.markers) if (m.kind === 'event') events.set(m.date, [...(events.get(m.date) ?? []), m.label]);
    const promoted = new Map(s.markers.filter((m) => m.kind === 'promotion').map((m) => [m.date, m.items === undefined ? undefined : new Set(m.items)]));
    for (const it of s.items) {
      const d = parseIsoDay(it.firstDate);
      if (d === undefined) continue;
      for (let i = 0; i < it.forecast.length; i++) {
        const date = formatIsoDay(d + i);
        const promotion = promoted.has(date) && (promoted.get(date) === undefined || promoted.get(date)!.has(it.item));
        yield `${date},${csvField(s.store)},${csvField(it.item)},${num(it.forecast[i]!)},${num(it.p10[i]!)},${num(it.p90[i]!)},${closed.has(date) ? 1 : 0},${promotion ? 1 : 0},${csvField((events.get(date) ?? []).join('+'))},${it.adjusted === undefined ? '' : num(it.adjusted[i]!)}`;
      }
    }
  }
}

interface TransportCsvStore {
  store: string;
  firstDate: string | null;
  units: readonly number[];
  p10: readonly number[];
  p90: readonly number[];
  closed: readonly string[];
  value: readonly number[] | null;
  adjusted?: readonly number[];
  unconvertedUnits?: readonly number[];
  overLimit: readonly string[];
}

/**
 * `date,store,units,p10,p90,closed,level,unit,value,adjusted,unconverted_units,over_limit`, one line per store
 * and day, one at a time. The older columns come first and keep their meaning; `value` is the store-day total
 * at `level` in `unit` (empty when the unit cannot be reached, e.g. trucks without a truck capacity),
 * `adjusted` the units with overrides (empty when none touches the store), `unconverted_units` the units of
 * items without pack sizes (empty when none), `over_limit` 1 on a day over the store's receiving limit.
 */
export function* transportCsvLines(stores: readonly TransportCsvStore[], level: string, unit: string): Generator<string> {
  yield 'date,store,units,p10,p90,closed,level,unit,value,adjusted,unconverted_units,over_limit';
  for (const s of stores) {
    const d = s.firstDate === null ? undefined : parseIsoDay(s.firstDate);
    if (d === undefined) continue;
    const closed = new Set(s.closed);
    const over = new Set(s.overLimit);
    const cell = (values: readonly number[] | null | undefined, i: number): string => (values === null || values === undefined ? '' : num(values[i]!));
    for (let i = 0; i < s.units.length; i++) {
      const date = formatIsoDay(d + i);
      yield `${date},${csvField(s.store)},${num(s.units[i]!)},${num(s.p10[i]!)},${num(s.p90[i]!)},${closed.has(date) ? 1 : 0},${level},${unit},${cell(s.value, i)},${cell(s.adjusted, i)},${cell(s.unconvertedUnits, i)},${over.has(date) ? 1 : 0}`;
    }
  }
}

export { csvField } from '../../core/domain/csv-field.js';
export { negotiate } from './negotiate.js';
