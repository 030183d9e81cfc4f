import { ConcurrencyConflict, type StoreCatalog } from '../ports/index.js';
import type { Accuracy, RunStatus, StoreState } from './model.js';

const MAX_ATTEMPTS = 10;

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random())));
}

export function emptyStore(store: string, now: Date): StoreState {
  return { store, stale: true, staleReason: 'no forecast yet', staleSince: now.toISOString(), updatedAt: now.toISOString() };
}

/**
 * Read-modify-write of a store's row with optimistic concurrency: ingestion (history pointer) and
 * trainers (forecast pointer) touch the same row, and neither may lose the other's update.
 * `change` returns the new state, or undefined for "nothing to do". It may run more than once.
 */
export async function updateStore(
  catalog: StoreCatalog,
  store: string,
  change: (current: StoreState | undefined) => StoreState | undefined | Promise<StoreState | undefined>,
): Promise<StoreState | undefined> {
  for (let attempt = 0; ; attempt++) {
    const current = await catalog.get(store);
    const next = await change(current?.value);
    if (next === undefined) return current?.value;
    try {
      await catalog.save(next, current?.etag);
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict) || attempt + 1 >= MAX_ATTEMPTS) throw error;
      await backoff(attempt);
    }
  }
}

/** Flags the store's current forecast as out of date; the forecast itself stays readable. */
export async function markStale(catalog: StoreCatalog, store: string, reason: string, now: Date, lastRun?: { runId: string; status: RunStatus; error?: string }): Promise<void> {
  await updateStore(catalog, store, (current) => {
    // A failed run for a store nobody ever ingested must not invent the store.
    if (current === undefined) return undefined;
    const base = current;
    return {
      ...base,
      stale: true,
      staleReason: reason,
      staleSince: base.stale && base.staleSince !== undefined ? base.staleSince : now.toISOString(),
      ...(lastRun ? { lastRun: { ...lastRun, at: now.toISOString() } } : {}),
      updatedAt: now.toISOString(),
    };
  });
}

/** What the API shows about a store's forecast. */
export interface StoreFreshness {
  store: string;
  runId: string | null;
  generatedAt: string | null;
  modelVersion: string | null;
  firstDay: string | null;
  horizon: number | null;
  items: number | null;
  stale: boolean;
  staleReason: string | null;
  staleSince: string | null;
  accuracy: Accuracy | null;
  historyLastDay: string | null;
  lastRun: StoreState['lastRun'] | null;
}

export function freshnessOf(state: StoreState): StoreFreshness {
  const c = state.current;
  return {
    store: state.store,
    runId: c?.runId ?? null,
    generatedAt: c?.generatedAt ?? null,
    modelVersion: c?.modelVersion ?? null,
    firstDay: c?.firstDay ?? null,
    horizon: c?.horizon ?? null,
    items: c?.items ?? null,
    stale: state.stale,
    staleReason: state.stale ? (state.staleReason ?? null) : null,
    staleSince: state.stale ? (state.staleSince ?? null) : null,
    accuracy: c?.accuracy ?? null,
    historyLastDay: state.history?.lastDay ?? null,
    lastRun: state.lastRun ?? null,
  };
}

export async function listStoreFreshness(catalog: StoreCatalog): Promise<StoreFreshness[]> {
  return (await catalog.list()).map(freshnessOf);
}
