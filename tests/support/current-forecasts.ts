import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
import type { ForecastRow } from '../../core/domain/model.js';
import { emptyStore, freshnessOf, type StoreFreshness } from '../../core/domain/stores.js';
import type { StoragePorts } from '../../core/ports/index.js';

/**
 * What a reader sees, read the way the API does (resolve the store's pointer, then read that one run), for
 * tests that check publishing from the outside. Test support only: the app's read path is the API's.
 */
export interface ForecastFilter {
  items?: readonly string[];
  /** ISO dates, inclusive. */
  from?: string;
  to?: string;
}

export interface StoreForecasts {
  store: string;
  freshness: StoreFreshness;
  rows: ForecastRow[];
}

/** Trims a row's vectors to [from, to]; undefined when nothing is left. */
export function clipRow(row: ForecastRow, from: number | undefined, to: number | undefined): ForecastRow | undefined {
  const first = parseIsoDay(row.firstDay);
  if (first === undefined) return undefined;
  const start = from === undefined ? 0 : Math.max(0, from - first);
  const end = to === undefined ? row.forecast.length : Math.min(row.forecast.length, to - first + 1);
  if (end <= start) return undefined;
  if (start === 0 && end === row.forecast.length) return row;
  return { ...row, firstDay: formatIsoDay(first + start), forecast: row.forecast.slice(start, end), p10: row.p10.slice(start, end), p90: row.p90.slice(start, end) };
}

/**
 * The current forecasts of some stores: per store, resolve the pointer, then read that one run.
 * Unknown stores and stores without forecasts are returned with no rows (the API decides what that means).
 */
export async function readCurrentForecasts(deps: Pick<StoragePorts, 'forecasts' | 'stores'>, stores: readonly string[], filter: ForecastFilter = {}): Promise<StoreForecasts[]> {
  const from = filter.from === undefined ? undefined : parseIsoDay(filter.from);
  const to = filter.to === undefined ? undefined : parseIsoDay(filter.to);
  if (filter.from !== undefined && from === undefined) throw new Error(`from "${filter.from}" is not an ISO date`);
  if (filter.to !== undefined && to === undefined) throw new Error(`to "${filter.to}" is not an ISO date`);
  const states = await deps.stores.getMany(stores);
  return Promise.all(
    stores.map(async (store): Promise<StoreForecasts> => {
      const state = states.get(store);
      if (state === undefined) return { store, freshness: freshnessOf(emptyStore(store, new Date(0))), rows: [] };
      const runId = state.current?.runId;
      const raw = runId === undefined ? [] : await deps.forecasts.readRun(store, runId, filter.items ? { items: filter.items } : {});
      const rows: ForecastRow[] = [];
      for (const r of raw) {
        const clipped = clipRow(r, from, to);
        if (clipped !== undefined) rows.push(clipped);
      }
      return { store, freshness: freshnessOf(state), rows };
    }),
  );
}
