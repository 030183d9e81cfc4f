import { describe, expect, test } from 'vitest';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { CachedStoreReads } from '../../../functions/http/caches.js';
import { activeRefreshes } from '../../../functions/http/durable-client.js';
import { csvStream } from '../../../functions/http/responses.js';
import { listStores, type ApiDeps } from '../../../core/domain/api-service.js';
import { mapLimit } from '../../../core/domain/map-limit.js';
import { emptyStore } from '../../../core/domain/stores.js';
import type { AccessRepository } from '../../../core/domain/api-access.js';
import type { StoreCatalog } from '../../../core/ports/index.js';
import type { StoreState } from '../../../core/domain/model.js';
import { refreshInstanceId } from '../../../orchestrations/names.js';

/** Issue 13, hole 5: bounded fan-out, one query for running refreshes, bounded caches, streamed CSV. */

const admin = { identityProvider: 'aad', userId: 'u-a', userDetails: 'a@contoso.com', userRoles: ['admin'] };
const now = new Date('2017-07-06T08:00:00Z');

function depsWith(stores: number, recent: (store: string) => Promise<never[]>): ApiDeps {
  const states = Array.from({ length: stores }, (_, i) => emptyStore(String(i + 1), now));
  const access: AccessRepository = {
    userRegions: () => Promise.resolve([]),
    setUserRegions: () => Promise.resolve({ user: null, email: null, regions: [], boundAt: null }),
    storeRegions: () => Promise.resolve(new Map(states.map((s) => [s.store, 'north']))),
    setStoreRegion: () => Promise.resolve(),
    listUsers: () => Promise.resolve([]),
  };
  return {
    stores: { list: () => Promise.resolve(states), getMany: () => Promise.resolve(new Map()) },
    forecasts: { readRun: () => Promise.resolve([]) },
    access,
    realised: { recent },
    backtestFolds: 3,
    clock: { now: () => now },
  };
}

describe('/stores fan-out', () => {
  test('500 visible stores: accuracy reads at most 8 at a time; running refreshes asked for once', async () => {
    let inFlight = 0;
    let peak = 0;
    const deps = depsWith(500, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return [];
    });
    const asked: (readonly string[])[] = [];
    const body = await listStores(deps, admin, (stores) => {
      asked.push(stores);
      return Promise.resolve(new Map([['7', { runId: 'refresh-x.7', status: 'training' as const, statusUrl: '/api/runs/refresh-x.7' }]]));
    });
    expect(body.stores).toHaveLength(500);
    expect(peak).toBeLessThanOrEqual(8);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(500);
    expect(body.stores.find((s) => s.store === '7')?.activeRun).toMatchObject({ runId: 'refresh-x.7' });
    expect(body.stores.filter((s) => s.activeRun !== null)).toHaveLength(1);
  });

  test('running refreshes come from one instance query by runtime status, never a status call per store', async () => {
    const calls: string[] = [];
    const status = (instanceId: string, runtimeStatus: string, runId: string): DurableOrchestrationStatus =>
      ({ name: 'store-refresh', instanceId, runtimeStatus, createdTime: now, lastUpdatedTime: now, input: { runId }, customStatus: { stage: 'training', runId }, output: null }) as unknown as DurableOrchestrationStatus;
    const client = {
      getStatusBy: (filter: { runtimeStatus?: string[] }) => {
        calls.push(`by:${(filter.runtimeStatus ?? []).join(',')}`);
        return Promise.resolve([status(refreshInstanceId('2'), 'Running', 'refresh-a.2'), status(refreshInstanceId('99'), 'Running', 'refresh-b.99'), status('morning-2017-07-06', 'Running', 'morning-x')]);
      },
      getStatus: () => {
        calls.push('one');
        return Promise.reject(new Error('not expected'));
      },
    } as unknown as DurableClient;
    const found = await activeRefreshes(client, Array.from({ length: 50 }, (_, i) => String(i + 1)), refreshInstanceId);
    expect(calls).toEqual(['by:Pending,Running,ContinuedAsNew']);
    expect([...found.keys()]).toEqual(['2']);
    expect(found.get('2')).toEqual({ runId: 'refresh-a.2', status: 'training', statusUrl: '/api/runs/refresh-a.2' });
  });

  test('mapLimit keeps order and the bound', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 4, 3, 2, 1], 2, async (v) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, v));
      inFlight--;
      return v * 10;
    });
    expect(out).toEqual([50, 40, 30, 20, 10]);
    expect(peak).toBe(2);
  });
});

describe('pointer cache bound', () => {
  test('a sweep of 100,000 made-up store ids keeps at most 10,000 pointers (expired ones dropped first)', async () => {
    let t = 0;
    const realNow = Date.now;
    Date.now = () => t;
    try {
      const inner: Pick<StoreCatalog, 'getMany' | 'list'> = { getMany: () => Promise.resolve(new Map<string, StoreState>()), list: () => Promise.resolve([]) };
      const cache = new CachedStoreReads(inner as StoreCatalog, 2_000);
      let peak = 0;
      for (let i = 0; i < 2_000; i++) {
        t += 10;
        await cache.getMany(Array.from({ length: 50 }, (_, k) => `s${i}-${k}`));
        peak = Math.max(peak, cache.size);
      }
      expect(peak).toBeLessThanOrEqual(10_050);
      // 2 s of requests at 50 ids every 10 ms: what is still fresh survives a prune.
      expect(cache.size).toBeGreaterThan(0);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('CSV bodies stream', () => {
  test('lines are produced as the stream is read, in chunks of about 64 KiB', async () => {
    let produced = 0;
    function* lines(): Generator<string> {
      for (let i = 0; i < 200_000; i++) {
        produced++;
        yield `2017-07-06,store,${i},1.5,1,2,0,0,`;
      }
    }
    const stream = csvStream(lines());
    const it = stream[Symbol.asyncIterator]() as AsyncIterator<string | Buffer>;
    const first = await it.next();
    expect(first.done).toBe(false);
    // Lazy: reading the first chunk did not render the whole answer.
    expect(produced).toBeLessThan(50_000);
    let bytes = Buffer.byteLength(String(first.value));
    let chunks = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      const size = Buffer.byteLength(String(r.value));
      expect(size).toBeLessThan(70 * 1024);
      bytes += size;
      chunks++;
    }
    expect(produced).toBe(200_000);
    expect(chunks).toBeGreaterThan(50);
    expect(bytes).toBeGreaterThan(6_000_000);
  });
});
