import type { ForecastRow } from '../../core/domain/model.js';
import { emptyStore, freshnessOf, type StoreFreshness } from '../../core/domain/stores.js';
import type { StoragePorts } from '../../core/ports/index.js';

/**
 * What a reader sees, read the way the API does (resolve the store's pointer, then read that one run), for
 * tests that check publishing from the outside. Test support only: the app's read path is the API's.
 */
export interface StoreForecasts {
  store: string;
  freshness: StoreFreshness;
  rows: ForecastRow[];
}

/**
 * The current forecasts of some stores: per store, resolve the pointer, then read that one run.
 * Unknown stores and stores without forecasts are returned with no rows (the API decides what that means).
 */
export async function readCurrentForecasts(deps: Pick<StoragePorts, 'forecasts' | 'stores'>, stores: readonly string[]): Promise<StoreForecasts[]> {
  const states = await deps.stores.getMany(stores);
  return Promise.all(
    stores.map(async (store): Promise<StoreForecasts> => {
      const state = states.get(store);
      if (state === undefined) return { store, freshness: freshnessOf(emptyStore(store, new Date(0))), rows: [] };
      const runId = state.current?.runId;
      const rows: ForecastRow[] = runId === undefined ? [] : await deps.forecasts.readRun(store, runId, {});
      return { store, freshness: freshnessOf(state), rows };
    }),
  );
}
