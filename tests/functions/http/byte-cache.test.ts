import { describe, expect, test } from 'vitest';
import { ByteBudgetCache } from '../../../functions/http/byte-cache.js';
import { CachedRunReads, runRowsBytes } from '../../../functions/http/caches.js';
import type { ForecastRow } from '../../../core/domain/model.js';

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('a cache bounded by bytes', () => {
  test('keeps the most recently used entries within the budget, whatever their number', async () => {
    const cache = new ByteBudgetCache<string>(10, (v) => v.length);
    await cache.load('a', () => Promise.resolve('aaaa'));
    await cache.load('b', () => Promise.resolve('bbbb'));
    await cache.load('a', () => Promise.resolve('never loaded again'));
    await cache.load('c', () => Promise.resolve('cccc'));
    await settle();
    expect(cache.bytes).toBeLessThanOrEqual(10);
    // b was the least recently used: it went, a and c stayed.
    let reloaded = 0;
    await cache.load('a', () => Promise.resolve(`x${++reloaded}`));
    await cache.load('c', () => Promise.resolve(`x${++reloaded}`));
    expect(reloaded).toBe(0);
    await cache.load('b', () => Promise.resolve(`b${++reloaded}`));
    expect(reloaded).toBe(1);
  });

  test('concurrent readers share one load; a failed load and a value over the whole budget are not kept', async () => {
    const cache = new ByteBudgetCache<string>(10, (v) => v.length);
    let loads = 0;
    const slow = () => new Promise<string>((r) => setTimeout(() => r(`v${++loads}`), 5));
    expect(await Promise.all([cache.load('k', slow), cache.load('k', slow)])).toEqual(['v1', 'v1']);
    await expect(cache.load('bad', () => Promise.reject(new Error('storage down')))).rejects.toThrow('storage down');
    expect(await cache.load('bad', () => Promise.resolve('ok'))).toBe('ok');
    await cache.load('huge', () => Promise.resolve('x'.repeat(50)));
    await settle();
    expect(cache.bytes).toBeLessThanOrEqual(10);
    expect(await cache.load('huge', () => Promise.resolve('again'))).toBe('again');
  });

  test('the API keeps runs by their weight: a sweep over many large runs stays within the budget', async () => {
    const run = (store: string, items: number): ForecastRow[] => Array.from({ length: items }, (_, i) => ({ store, item: String(i), runId: `r-${store}`, modelVersion: 'v1', firstDay: '2026-12-01', forecast: new Array<number>(90).fill(1), p10: new Array<number>(90).fill(0), p90: new Array<number>(90).fill(2) }));
    const oneRun = runRowsBytes(run('s', 500));
    let reads = 0;
    const reader = new CachedRunReads({ readRun: (store) => (reads++, Promise.resolve(run(store, 500))) }, 3 * oneRun);
    for (let s = 0; s < 20; s++) await reader.readRun(`s${s}`, `r-s${s}`);
    await settle();
    expect(reads).toBe(20);
    expect(reader.bytes).toBeLessThanOrEqual(3 * oneRun);
    // The newest run is still served from memory, filtered by item.
    expect((await reader.readRun('s19', 'r-s19', { items: ['3'] })).map((r) => r.item)).toEqual(['3']);
    expect(reads).toBe(20);
  });
});
