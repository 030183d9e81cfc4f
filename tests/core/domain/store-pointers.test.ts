import { describe, expect, test } from 'vitest';
import { blobShapeProblem, checkedStorePointer, checkedStoreState, encodeKey, InvalidStorePointer, storeBlobName, storePointerProblem } from '../../../core/domain/store-pointers.js';
import { newVersion } from '../../../core/domain/ids.js';
import type { StoreState } from '../../../core/domain/model.js';

const V = newVersion(new Date('2026-01-02T03:04:05.678Z'));

describe('store pointers: only the exact name ingestion writes for that store is accepted', () => {
  test('ingestion\'s own names pass, for ordinary and encoded store ids', () => {
    for (const store of ['1', 'TX_3', 'Nord/Süd #1', 'a.b-c']) {
      expect(storePointerProblem('history', store, storeBlobName('history', store, V), V)).toBeUndefined();
      expect(storePointerProblem('drivers', store, storeBlobName('drivers', store, V), V)).toBeUndefined();
      expect(blobShapeProblem('history', storeBlobName('history', store, V))).toBeUndefined();
    }
    expect(storeBlobName('history', 'Nord/Süd', V)).toBe(`Nord~2FS~C3~BCd/history-${V}.json.gz`);
  });

  test.each([
    ['another store\'s history', `A/history-${V}.json.gz`],
    ['a path out of the container', '../uploads/pos/2026-01-01.csv'],
    ['a path back into the store folder', `B/../A/history-${V}.json.gz`],
    ['a dot step', `B/./history-${V}.json.gz`],
    ['the drivers kind', `B/drivers-${V}.json.gz`],
    ['another version shape', 'B/history-v1.json.gz'],
    ['a trailing path', `B/history-${V}.json.gz/x`],
    ['an absolute path', `/B/history-${V}.json.gz`],
    ['an encoded slash that decodes into a path', `B~2F..~2FA/history-${V}.json.gz`],
  ])('store B refuses %s', (_, blob) => {
    expect(storePointerProblem('history', 'B', blob)).toMatch(/is not one of store "B"'s history blobs/);
    expect(() => checkedStorePointer('history', 'B', blob)).toThrow(InvalidStorePointer);
    expect(() => checkedStorePointer('history', 'B', blob)).toThrow(/refusing to read or delete it/);
  });

  test('the version in the name must be the row\'s version; "." and ".." are never a store folder', () => {
    expect(storePointerProblem('history', 'B', storeBlobName('history', 'B', V), newVersion(new Date()))).toMatch(/names version .* but the row says/);
    expect(storePointerProblem('history', '..', `../history-${V}.json.gz`)).toMatch(/cannot name a blob folder/);
    expect(blobShapeProblem('history', `../history-${V}.json.gz`)).toBeDefined();
    expect(blobShapeProblem('history', `../../x/history-${V}.json.gz`)).toBeDefined();
    expect(encodeKey('..')).toBe('..');
  });

  test('a stores row is the store its key names; pointers that are not its own are dropped and reported', () => {
    const state: StoreState = {
      store: 'A',
      stale: false,
      updatedAt: '2026-01-01T00:00:00.000Z',
      history: { blob: storeBlobName('history', 'A', V), version: V, firstDay: '2025-01-01', lastDay: '2025-12-31', items: 1, observations: 1, updatedAt: '' },
      previousHistoryBlob: '../uploads/x.csv',
      drivers: { blob: storeBlobName('drivers', 'B', V), version: V, firstDay: '', lastDay: '', columns: [], updatedAt: '' },
    };
    const checked = checkedStoreState('B', state);
    expect(checked.state.store).toBe('B');
    expect(checked.state.history).toBeUndefined();
    expect(checked.state.previousHistoryBlob).toBeUndefined();
    expect(checked.state.drivers).toEqual(state.drivers);
    expect(checked.problems.map((p) => p.pointer)).toEqual(['history', 'previousHistoryBlob']);
  });
});
