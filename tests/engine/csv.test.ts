import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatIsoDay, readSalesHistory } from '../../engine/index.js';

function read(text: string | Buffer) {
  return readSalesHistory([typeof text === 'string' ? Buffer.from(text) : text]);
}

describe('readSalesHistory', () => {
  it('builds dense per-series histories from rows in any order, with gaps left unknown', async () => {
    const { series, errors, rows } = await read('date,store,item,sales\n2024-01-03,1,A,5\n2024-01-01,1,A,3\n2024-01-01,2,A,7\n');
    expect(errors).toEqual([]);
    expect(rows).toBe(3);
    const a = series.find((s) => s.store === '1')!;
    expect(formatIsoDay(a.startDay)).toBe('2024-01-01');
    expect(Array.from(a.values)).toEqual([3, Number.NaN, 5]);
  });

  it('reads gzip by its magic bytes, columns in any order, quoted ids and CRLF', async () => {
    const text = 'item,sales,date,store\r\n"A,1",2,2024-01-01,"S 1"\r\n';
    const { series, errors } = await read(gzipSync(Buffer.from(text)));
    expect(errors).toEqual([]);
    expect(series[0]).toMatchObject({ store: 'S 1', item: 'A,1' });
  });

  it('names the line of every kind of bad row and never sums duplicates', async () => {
    const text = [
      'date,store,item,sales',
      '2024-01-01,1,A,3',
      '2024-13-01,1,A,3',
      '2024-01-02,1,A,many',
      '2024-01-03,1,A,-4',
      '2024-01-04,,A,1',
      '2024-01-05,1,A',
      '2024-01-01,1,A,9',
    ].join('\n');
    const { errors, series } = await read(text);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(errors[0]!.reason).toMatch(/not an ISO date/);
    expect(errors[1]!.reason).toMatch(/not a number/);
    expect(errors[2]!.reason).toMatch(/negative/);
    expect(errors[3]!.reason).toMatch(/store is empty/);
    expect(errors[4]!.reason).toMatch(/expected 4 fields/);
    expect(errors[5]!.reason).toMatch(/duplicate.*line 2/);
    expect(series[0]!.values[0]).toBe(3);
  });

  it('reports a missing header column and an empty file', async () => {
    expect((await read('date,store,sales\n2024-01-01,1,3\n')).errors[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/missing column\(s\) item/) as unknown });
    expect((await read('')).errors[0]!.reason).toMatch(/empty/);
    expect((await read('date,store,item,sales\n')).errors[0]!.reason).toMatch(/no data rows/);
  });

  it('refuses a sales value that is not finite or above the maximum, naming the line; the day it would overwrite stays known', async () => {
    const text = ['date,store,item,sales', '2024-01-01,1,A,3', '2024-01-02,1,A,1e400', '2024-01-03,1,A,2000000000', '2024-01-04,1,A,1e9', '2024-01-05,1,A,5'].join('\n');
    const { errors, series } = await read(text);
    expect(errors).toEqual([
      { line: 3, reason: 'sales 1e400 is not a finite number' },
      { line: 4, reason: 'sales 2000000000 is above the maximum 1000000000 (the cap on one value)' },
    ]);
    expect(Array.from(series[0]!.values)).toEqual([3, Number.NaN, Number.NaN, 1e9, 5]);
    const capped = await readSalesHistory([Buffer.from(text)], { maxValue: 10 });
    expect(capped.errors.map((e) => e.line)).toEqual([3, 4, 5]);
  });

  it('stops at the cap on distinct series or stores, naming the line: nothing of the file is read into series', async () => {
    const rows = ['date,store,item,sales', '2024-01-01,1,A,1', '2024-01-02,1,A,1', '2024-01-01,1,B,1', '2024-01-01,2,A,1', '2024-01-01,2,B,1'];
    const series = await readSalesHistory([Buffer.from(rows.join('\n'))], { maxSeries: 3 });
    expect(series.series).toEqual([]);
    expect(series.errors).toEqual([{ line: 6, reason: 'the file names more than 3 distinct (store, item) series (the cap per file): split it, or raise the cap; nothing applied' }]);
    const stores = await readSalesHistory([Buffer.from(`${rows.join('\n')}\n`)], { maxStores: 1 });
    expect(stores.series).toEqual([]);
    expect(stores.errors).toEqual([{ line: 5, reason: 'the file names more than 1 distinct stores (the cap per file): split it, or raise the cap; nothing applied' }]);
    expect((await readSalesHistory([Buffer.from(rows.join('\n'))], { maxSeries: 4, maxStores: 2 })).series).toHaveLength(4);
  });

  it('reads a line the same on the fast path (a chunk after the header) as on the general path (the header chunk)', async () => {
    const rows = [
      '2024-01-01,S1,A,3,x',
      '2024-01-02,S1,A,0,x',
      ' 2024-01-03 , S1 , A , 12 ,x',
      '2024-01-04,S1,A,007,x',
      '2024-01-05,S1,A,2.5,x',
      '2024-01-06,S1,A,999999999,x',
      '2024-01-07,S1,A,1000000001,x',
      '2024-01-08,S1,A,1e400,x',
      '2024-01-09,S1,A,-4,x',
      '2024-01-10,S1,A,,x',
      '2024-01-11,,A,1,x',
      '2024-01-12,S1,,1,x',
      '2024-02-30,S1,A,1,x',
      '2024-01-13,S1,A,1',
      '2024-01-14,S1,A,1,x,y',
      '',
      '        ',
      '2024-01-01,S1,A,9,x',
      '2024-01-15,Süd,Ä,4,x',
      '2024-01-16,\u00a0S2\u00a0,B,5,x',
      '2024-01-17,\ufeffS3,B,5,x',
      '2024-01-18,S1,A,6,x\r',
      '2024-01-19,S1,A,7,x\r',
      '2024-1-20,S1,A,7,x',
      '2024-01-21,S1,A,12a,x',
      '2024-01-22,S1,B,1,x',
    ];
    const header = 'date,store,item,sales,note\n';
    const body = `${rows.join('\n')}\n`;
    const general = await readSalesHistory([Buffer.from(header + body)]);
    const fast = await readSalesHistory([Buffer.from(header), Buffer.from(body)]);
    expect(fast.errors).toEqual(general.errors);
    expect(fast.rows).toBe(general.rows);
    expect(fast.series.map((s) => [s.store, s.item, s.startDay, Array.from(s.values)])).toEqual(general.series.map((s) => [s.store, s.item, s.startDay, Array.from(s.values)]));
    expect(general.errors.map((e) => e.line)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 25, 26]);
    expect(general.series.map((s) => s.store)).toEqual(['S1', 'S1', 'S2', 'S3', 'Süd']);
  });
});
