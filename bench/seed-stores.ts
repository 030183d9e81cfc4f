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

/** What a generated benchmark store looks like (every bench's stores come from `syntheticStore`). */
export interface SyntheticStoreShape {
  items: number;
  days: number;
  /** First day of every series: 1 January of this year. */
  startYear: number;
  /** Each item's level is `min + spread × uniform`. */
  level: { min: number; spread: number };
  /** Amplitude of the yearly wave (0: none). */
  yearly: number;
  /** Every n-th item (n, 2n, …) sells 0.4 a day on average: intermittent demand. */
  intermittentEvery?: number;
}

/** Deterministic store histories: weekly shape, an optional yearly wave, noise around the mean. */
export function syntheticStore(shape: SyntheticStoreShape): (id: string, seed: number) => SeriesHistory[] {
  const weekly = [1.25, 0.8, 0.85, 0.9, 0.95, 1.1, 1.15];
  const startDay = Math.floor(Date.UTC(shape.startYear, 0, 1) / 86_400_000);
  return (id, seed) => {
    let a = seed >>> 0;
    const rand = (): number => (a = (a * 1664525 + 1013904223) >>> 0) / 4294967296;
    return Array.from({ length: shape.items }, (_, k) => {
      const intermittent = shape.intermittentEvery !== undefined && k % shape.intermittentEvery === shape.intermittentEvery - 1;
      const base = intermittent ? 0.4 : shape.level.min + shape.level.spread * rand();
      const values = new Float64Array(shape.days);
      for (let i = 0; i < shape.days; i++) {
        const mean = base * weekly[(startDay + i + 4) % 7]! * (1 + shape.yearly * Math.sin((2 * Math.PI * i) / 365.25));
        values[i] = Math.max(0, Math.round(mean + Math.sqrt(mean) * (rand() + rand() + rand() - 1.5) * 2));
      }
      return { store: id, item: String(k + 1), startDay, values };
    });
  };
}
