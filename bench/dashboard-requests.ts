import { randomBytes } from 'node:crypto';

/**
 * The requests the dashboard sends, for the benches that measure what planners see (api-bench,
 * refresh-many). Mirrors static-web/src/api.ts (`request`, `forecastsPath`, `transportPath`) and app.ts
 * (`HISTORY_DAYS`, the window); tests/bench/dashboard-requests.test.ts checks them against the dashboard's
 * own client.
 */

/** static-web/src/app.ts HISTORY_DAYS: every forecasts load asks for 56 days of sales. */
export const HISTORY_DAYS = 56;
/** static-web/src/state.ts DEFAULT_DAYS: the days on screen until the planner changes the filter. */
export const DEFAULT_VIEW_DAYS = 28;
/** static-web/src/api.ts MAX_STORES_PER_CALL: "all my stores" is the first 50, sorted. */
export const MAX_STORES_PER_CALL = 50;

/** The dashboard's headers on every API call, plus the principal Static Web Apps adds in front of the API. */
export function dashboardHeaders(principal: string): Record<string, string> {
  return { Accept: 'application/json', 'X-Requested-With': 'foreact', traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`, 'x-ms-client-principal': principal };
}

/** static-web/src/series.ts `compareIds`: the order of "all my stores" and of the ids in a query. */
export const compareIds = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });

/** static-web/src/state.ts `resolveSelection` for "all my stores": the first 50 in the dashboard's order. */
export const allMyStores = (visible: readonly string[]): string[] => [...visible].sort(compareIds).slice(0, MAX_STORES_PER_CALL);

/** Ids URI-encoded, commas kept (api.ts `queryString`). */
const list = (ids: readonly string[]): string => ids.map(encodeURIComponent).join(',');

export function forecastsPath(stores: readonly string[], from: string, to: string): string {
  return `/api/forecasts?stores=${list(stores)}&from=${from}&to=${to}&historyDays=${HISTORY_DAYS}`;
}

export function transportPath(stores: readonly string[], from: string, to: string): string {
  return `/api/transport?stores=${list(stores)}&from=${from}&to=${to}`;
}

export const addDays = (iso: string, n: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The dashboard's window (app.ts `window()`): from the latest first forecast day of the selected stores. */
export function dashboardWindow(list: { stores: { store: string; freshness: { forecastFrom: string | null } }[] }, stores: readonly string[], days: number): { from: string; to: string } | undefined {
  const from = list.stores.filter((s) => stores.includes(s.store)).map((s) => s.freshness.forecastFrom).filter((d): d is string => d !== null).sort().at(-1);
  return from === undefined ? undefined : { from, to: addDays(from, days - 1) };
}
