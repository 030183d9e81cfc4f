import { formatIsoDay, type SeriesHistory } from '../engine/index.js';
import type { StoragePorts } from '../core/ports/index.js';
import { emptyStore } from '../core/domain/stores.js';

/**
 * Writes generated histories for benchmark stores straight into storage (history blob, then the store's
 * pointer), `parallel` stores at a time: faster than ingesting a CSV when thousands of stores are seeded.
 */
export async function seedStoreHistories(storage: Pick<StoragePorts, 'history' | 'stores'>, ids: readonly string[], generate: (id: string, seed: number) => SeriesHistory[], options: { parallel: number; seed: number }): Promise<void> {
  for (let i = 0; i < ids.length; i += options.parallel) {
    await Promise.all(
      ids.slice(i, i + options.parallel).map(async (id, j) => {
        const series = generate(id, options.seed + i + j);
        const ref = await storage.history.write(id, series);
        const now = new Date();
        const first = Math.min(...series.map((s) => s.startDay));
        const last = Math.max(...series.map((s) => s.startDay + s.values.length - 1));
        const observations = series.reduce((n, s) => n + s.values.length, 0);
        await storage.stores.save({ ...emptyStore(id, now), history: { blob: ref.blob, version: ref.version, firstDay: formatIsoDay(first), lastDay: formatIsoDay(last), items: series.length, observations, updatedAt: now.toISOString() } }, (await storage.stores.get(id))?.etag);
      }),
    );
  }
}
