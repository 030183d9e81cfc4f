import type { Principal } from './api-access.js';
import { sumBands, type FreshnessView } from './api-views.js';
import { currentItems, markersFor, type ApiDeps, type ForecastQuery } from './api-service.js';

/** The transport view: units per store and day, summed over items, and the region total. */
export type TransportQuery = Pick<ForecastQuery, 'stores' | 'from' | 'to'>;

export interface TransportStoreView {
  store: string;
  runId: string | null;
  freshness: FreshnessView;
  firstDate: string | null;
  units: number[];
  p10: number[];
  p90: number[];
  /** The store's closed days in the range: a planner books no truck, rather than a 0-unit one. */
  closed: string[];
}

export async function getTransport(deps: ApiDeps, principal: Principal, q: TransportQuery) {
  const read = await currentItems(deps, principal, q.stores, undefined, q.from, q.to);
  const stores: TransportStoreView[] = await Promise.all(
    read.map(async (r) => {
      const sum = sumBands(r.items);
      const closed = (await markersFor(deps, r.state, r.items, r.from, r.to)).filter((m) => m.kind === 'closed').map((m) => m.date);
      return { store: r.store, runId: r.runId, freshness: r.freshness, firstDate: sum?.firstDate ?? null, units: sum?.forecast ?? [], p10: sum?.p10 ?? [], p90: sum?.p90 ?? [], closed };
    }),
  );
  const totals = sumBands(stores.filter((s) => s.firstDate !== null).map((s) => ({ firstDate: s.firstDate!, forecast: s.units, p10: s.p10, p90: s.p90 })));
  return { from: q.from ?? null, to: q.to ?? null, stores, totals: totals === null ? null : { firstDate: totals.firstDate, units: totals.forecast, p10: totals.p10, p90: totals.p90 } };
}
