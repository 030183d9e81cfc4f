import type { ForecastRow } from '../../core/domain/model.js';
import type { ForecastRepository } from '../../core/ports/index.js';
import { ByteBudgetCache } from './byte-cache.js';

/** Bytes a run's rows take in memory, roughly: three float arrays per item plus the strings around them. */
export function runRowsBytes(rows: readonly ForecastRow[]): number {
  let bytes = 64;
  for (const r of rows) bytes += 3 * 8 * r.forecast.length + 2 * (r.item.length + r.store.length + r.runId.length + r.modelVersion.length + r.firstDay.length) + 200;
  return bytes;
}

/**
 * The API's one cache of immutable runs: a store's current run is cached whole, keyed by (store, run id)
 * (a new pointer is a new key), within a byte budget, so a planner sweeping dates or stores cannot pin
 * more memory than the budget.
 */
export class CachedRunReads implements Pick<ForecastRepository, 'readRun'> {
  private readonly cache: ByteBudgetCache<ForecastRow[]>;
  constructor(
    private readonly inner: Pick<ForecastRepository, 'readRun'>,
    budgetBytes: number,
  ) {
    this.cache = new ByteBudgetCache<ForecastRow[]>(budgetBytes, runRowsBytes);
  }

  get bytes(): number {
    return this.cache.bytes;
  }

  async readRun(store: string, runId: string, options: { items?: readonly string[] } = {}): Promise<ForecastRow[]> {
    const all = await this.cache.load(`${store}\u0000${runId}`, () => this.inner.readRun(store, runId));
    if (options.items === undefined) return all;
    const wanted = new Set(options.items);
    return all.filter((r) => wanted.has(r.item));
  }
}
