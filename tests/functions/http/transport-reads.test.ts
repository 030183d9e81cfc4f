import { describe, expect, it } from 'vitest';
import { CachedTransportReads } from '../../../functions/http/transport-reads.js';
import type { ItemMaster } from '../../../core/domain/item-master.js';

/** The transport reads' handling of an item master or store file that cannot be read (a tampered blob). */

function reads(ttlMs: number) {
  const counts = { master: 0, attributes: 0 };
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const storage = {
    items: {
      read: (): Promise<ItemMaster | undefined> => {
        counts.master++;
        return Promise.reject(new Error('item master items/master.json: "unitsPerCase" must be a positive number'));
      },
      write: (): Promise<void> => Promise.resolve(),
    },
    attributes: {
      read: () => {
        counts.attributes++;
        return Promise.reject(new Error('store attributes stores/attributes.json: not JSON'));
      },
    },
    realised: { recent: () => Promise.resolve([]) },
  };
  const cached = new CachedTransportReads(storage, ttlMs, ttlMs, (message, fields) => warnings.push({ message, fields }));
  return { cached, counts, warnings };
}

describe('CachedTransportReads on an unreadable item master or store file', () => {
  it('warns once per failed read, keeps the failure for the ttl (no re-read, no second warning), and rejects each caller', async () => {
    const { cached, counts, warnings } = reads(60_000);
    const answers = await Promise.allSettled([cached.itemMaster(), cached.itemMaster(), cached.storeLogistics()]);
    await cached.itemMaster().catch(() => undefined);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(counts).toEqual({ master: 1, attributes: 1 });
    expect(warnings).toEqual([
      { message: 'transport: the item master could not be read; answering without it', fields: { error: 'item master items/master.json: "unitsPerCase" must be a positive number' } },
      { message: 'transport: the store file could not be read; answering without it', fields: { error: 'store attributes stores/attributes.json: not JSON' } },
    ]);
  });

  it('without a cache (ttl 0) reads again each time, each failure warned once', async () => {
    const { cached, counts, warnings } = reads(0);
    for (let k = 0; k < 3; k++) await cached.itemMaster().catch(() => undefined);
    expect(counts.master).toBe(3);
    expect(warnings).toHaveLength(3);
  });
});
