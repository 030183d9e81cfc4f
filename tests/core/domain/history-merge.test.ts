import { describe, expect, test } from 'vitest';
import { mergeHistory } from '../../../core/domain/history-merge.js';
import type { SeriesHistory } from '../../../engine/index.js';

const s = (item: string, startDay: number, values: number[]): SeriesHistory => ({ store: '1', item, startDay, values: Float64Array.from(values) });
const plain = (series: SeriesHistory[]): [string, number, number[]][] => series.map((x) => [x.item, x.startDay, Array.from(x.values)]);

describe('mergeHistory', () => {
  test('appends new days, replaces corrected days (the upload wins), keeps days the upload does not mention', () => {
    const merged = mergeHistory([s('a', 100, [1, 2, 3])], [s('a', 102, [30, 4, 5])]);
    expect(plain(merged.series)).toEqual([['a', 100, [1, 2, 30, 4, 5]]]);
    expect(merged).toMatchObject({ added: 2, corrected: 1, unchanged: 0, newSeries: 0 });
  });

  test('a gap in the upload never erases history; earlier days extend the start', () => {
    const merged = mergeHistory([s('a', 100, [1, 2, 3])], [s('a', 98, [7, NaN, NaN, NaN, 9])]);
    expect(plain(merged.series)).toEqual([['a', 98, [7, NaN, 1, 2, 9]]]);
    expect(merged).toMatchObject({ added: 1, corrected: 1 });
  });

  test('new items are added; the same upload merged twice changes nothing the second time', () => {
    const upload = [s('b', 100, [5, 6]), s('a', 103, [4])];
    const once = mergeHistory([s('a', 100, [1, 2, 3])], upload);
    expect(plain(once.series)).toEqual([['a', 100, [1, 2, 3, 4]], ['b', 100, [5, 6]]]);
    expect(once.newSeries).toBe(1);
    const twice = mergeHistory(once.series, upload);
    expect(twice).toMatchObject({ added: 0, corrected: 0, unchanged: 3 });
    expect(plain(twice.series)).toEqual(plain(once.series));
  });

  test('items sort numerically, as the engine does', () => {
    const merged = mergeHistory([], [s('10', 1, [1]), s('9', 1, [1]), s('1', 1, [1])]);
    expect(merged.series.map((x) => x.item)).toEqual(['1', '9', '10']);
  });
});
