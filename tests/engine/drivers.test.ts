import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { driverCoverage, driversForStore, driverValue, mergeDriverTables, parseIsoDay, overlayStoreDrivers, readDrivers, sliceStoreDrivers, storeDriversFromJson, storeDriversToJson, type DriverTable } from '../../engine/index.js';

async function read(csv: string | Buffer, source = 'd.csv'): Promise<Awaited<ReturnType<typeof readDrivers>>> {
  return readDrivers([typeof csv === 'string' ? Buffer.from(csv) : csv], source);
}

const day = (iso: string): number => parseIsoDay(iso)!;

describe('readDrivers', () => {
  it('reads numeric and text columns, store/item scopes, CRLF and gzip alike', async () => {
    const csv = 'date,store,item,promo,event\r\n2024-01-01,1,a,1,\r\n2024-01-02,,,0,New Year after\r\n2024-01-03,1,,0.5,\r\n';
    for (const input of [csv, gzipSync(csv)]) {
      const { table, errors, rows } = await read(input);
      expect(errors).toEqual([]);
      expect(rows).toBe(3);
      expect(table.columns).toEqual([{ name: 'promo', kind: 'numeric', scale: 'linear' }, { name: 'event', kind: 'categorical', scale: 'linear' }]);
      const drivers = driversForStore(table, '1', ['a', 'b'])!;
      expect(driverValue(drivers, 0, 'a', day('2024-01-01'))).toBe(1);
      expect(driverValue(drivers, 0, 'b', day('2024-01-01'))).toBeNaN();
      expect(driverValue(drivers, 0, 'b', day('2024-01-03'))).toBe(0.5);
      expect(drivers.labels[1]![driverValue(drivers, 1, 'b', day('2024-01-02'))]).toBe('New Year after');
    }
  });

  it('reads yes/no and true/false columns as 0/1 flags', async () => {
    const { table, errors } = await read('date,promo,flyer\n2024-01-01,yes,TRUE\n2024-01-02,No,false\n2024-01-03,,1\n');
    expect(errors).toEqual([]);
    expect(table.columns).toEqual([{ name: 'promo', kind: 'numeric', scale: 'linear' }, { name: 'flyer', kind: 'numeric', scale: 'linear' }]);
    const drivers = driversForStore(table, '1')!;
    expect([0, 1, 2].map((i) => driverValue(drivers, 0, undefined, day('2024-01-01') + i))).toEqual([1, 0, Number.NaN]);
    expect([0, 1, 2].map((i) => driverValue(drivers, 1, undefined, day('2024-01-01') + i))).toEqual([1, 0, 1]);
  });

  it('rejects lines it cannot read faithfully: bytes that are not UTF-8, NULs, a CR inside a line; the other lines still count', async () => {
    const latin1 = Buffer.concat([Buffer.from('date,store,promo\n2024-01-01,1,1\n2024-01-02,Caf'), Buffer.from([0xe9]), Buffer.from(',1\n2024-01-03,1,0\n')]);
    const first = await read(latin1);
    expect(first.errors).toEqual([{ line: 3, reason: 'the line has bytes that are not valid UTF-8 (save the file as UTF-8)' }]);
    expect(first.rows).toBe(2);
    const nul = await read('date,store,promo\n2024-01-01,1\u0000,1\n2024-01-02,1,1\rx\n');
    expect(nul.errors.map((e) => [e.line, e.reason.slice(0, 27)])).toEqual([
      [2, 'the line has NUL characters'],
      [3, 'the line has a carriage ret'],
    ]);
    const header = await read(Buffer.concat([Buffer.from('date,st'), Buffer.from([0xff]), Buffer.from('re,promo\n2024-01-01,1,1\n')]));
    expect(header.errors[0]).toEqual({ line: 1, reason: 'the line has bytes that are not valid UTF-8 (save the file as UTF-8)' });
    expect(header.rows).toBe(0);
  });

  const bad: [string, string, RegExp][] = [
    ['no date column', 'day,promo\n2024-01-01,1\n', /^1: header has no "date" column/],
    ['no driver column', 'date,store\n2024-01-01,1\n', /^1: header has no driver column/],
    ['an empty file', '', /^1: the file is empty/],
    ['a header only', 'date,promo\n', /^2: the file has a header but no data rows/],
    ['an unparsable date', 'date,promo\n2024-01-01,1\n2024-02-30,1\n', /^3: date "2024-02-30" is not an ISO date/],
    ['an unparsable number', 'date,promo\n2024-01-01,1\n2024-01-02,0\n2024-01-03,0\n2024-01-04,0\n2024-01-05,0\n2024-01-06,0\n2024-01-07,0\n2024-01-08,0\n2024-01-09,0\n2024-01-10,0\n2024-01-11,many\n', /^12: promo "many" is not a number/],
    ['open other than 0 or 1', 'date,open\n2024-01-01,1\n2024-01-02,2\n', /^3: open must be 0 or 1, got "2"/],
    ['open as text', 'date,open\n2024-01-01,closed\n', /^2: open "closed" is not a number/],
    ['a duplicate key', 'date,store,item,promo\n2024-01-01,1,a,1\n2024-01-01,1,a,0\n', /^3: duplicate row for 2024-01-01, store 1, item a \(first seen on line 2\)/],
    ['a wrong field count', 'date,promo\n2024-01-01,1,2\n', /^2: expected 2 fields, found 3/],
    ['unbalanced quotes', 'date,event\n2024-01-01,"Easter\n', /^2: unbalanced quotes/],
  ];
  it.each(bad)('rejects %s, naming the line', async (_, csv, message) => {
    const { errors } = await read(csv);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => `${e.line}: ${e.reason}`).join('\n')).toMatch(message);
  });

  it('refuses a numeric driver that is not finite or above the maximum, naming the line and the column', async () => {
    const { errors } = await read('date,store,promo,price\n2024-01-01,1,1,2.5\n2024-01-02,1,1e400,2.5\n2024-01-03,1,0,-5e9\n2024-01-04,1,0,3\n');
    expect(errors).toEqual([
      { line: 3, reason: 'promo 1e400 is not a finite number' },
      { line: 4, reason: 'price -5e9 is below the minimum -1000000000 (the cap on one value)' },
    ]);
    const capped = await readDrivers([Buffer.from('date,price\n2024-01-01,2.5\n2024-01-02,12\n')], 'd.csv', { maxValue: 10 });
    expect(capped.errors).toEqual([{ line: 3, reason: 'price 12 is above the maximum 10 (the cap on one value)' }]);
  });

  it('stops at the cap on distinct scopes or stores, naming the line: the table is empty', async () => {
    const csv = 'date,store,item,promo\n2024-01-01,1,a,1\n2024-01-02,1,a,0\n2024-01-01,1,b,1\n2024-01-01,2,a,1\n';
    const scopes = await readDrivers([Buffer.from(csv)], 'd.csv', { maxSeries: 2 });
    expect(scopes.stopped).toEqual({ line: 5, reason: 'the file names more than 2 distinct (store, item) scopes (the cap per file): split it, or raise the cap; nothing applied' });
    expect(scopes.errors).toEqual([scopes.stopped]);
    expect(scopes.table.scopes.size).toBe(0);
    const stores = await readDrivers([Buffer.from(csv)], 'd.csv', { maxStores: 1 });
    expect(stores.stopped?.line).toBe(5);
    expect((await readDrivers([Buffer.from(csv)], 'd.csv', { maxSeries: 3, maxStores: 2 })).errors).toEqual([]);
  });

  it('keeps one copy of each distinct label, not one per row, and reads rows in any order', async () => {
    const csv = 'date,store,event\n2024-01-03,1,Fair\n2024-01-01,1,Fair\n2024-01-02,1,\n2024-01-05,1,Market\n';
    const { table, errors } = await read(csv);
    expect(errors).toEqual([]);
    expect(table.labels.get('event')).toEqual(['Fair', 'Market']);
    const drivers = driversForStore(table, '1')!;
    expect([1, 2, 3, 4, 5].map((d) => driverValue(drivers, 0, undefined, day(`2024-01-0${d}`)))).toEqual([0, -1, 0, Number.NaN, 1]);
    expect(drivers.labels[0]).toEqual(['Fair', 'Market']);
  });

  it('keeps the first maxErrors errors and counts the rest, so a file of bad rows cannot grow the list', async () => {
    const csv = `date,promo\n${Array.from({ length: 5 }, (_, i) => `2024-13-0${i + 1},1`).join('\n')}\n2024-01-01,1\n`;
    const capped = await readDrivers([Buffer.from(csv)], 'd.csv', { maxErrors: 2 });
    expect(capped.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(capped.errorCount).toBe(5);
    expect((await read(csv)).errorCount).toBe(5);
  });

  it('reports every bad line, not just the first', async () => {
    const { errors } = await read('date,open\n2024-01-01,3\n2024-01-02,1\n2024-13-01,1\n2024-01-04,5\n');
    expect(errors.map((e) => e.line)).toEqual([2, 4, 5]);
  });
});

describe('joining several drivers files', () => {
  async function tables(...files: [string, string][]): Promise<{ table: DriverTable; source: string }[]> {
    return Promise.all(files.map(async ([source, csv]) => ({ table: (await read(csv, source)).table, source })));
  }

  it('joins different columns on date/store/item', async () => {
    const { table, errors } = mergeDriverTables(await tables(['promo.csv', 'date,store,item,promo\n2024-01-01,1,a,1\n'], ['calendar.csv', 'date,open,holiday\n2024-01-01,0,New Year\n']));
    expect(errors).toEqual([]);
    const drivers = driversForStore(table, '1', ['a'])!;
    expect(drivers.columns.map((c) => c.name)).toEqual(['promo', 'open', 'holiday']);
    expect(driverValue(drivers, 1, 'a', day('2024-01-01'))).toBe(0);
  });

  it('joins a text column given in two files for different keys and days: each label keeps its name', async () => {
    const { table, errors } = mergeDriverTables(
      await tables(['a.csv', 'date,store,event\n2024-01-01,1,Fair\n2024-01-02,1,\n'], ['b.csv', 'date,store,event\n2023-12-30,1,Market\n2024-01-03,1,Fair\n2024-01-01,2,Market\n']),
    );
    expect(errors).toEqual([]);
    const one = driversForStore(table, '1')!;
    const label = (d: ReturnType<typeof driversForStore>, iso: string): string | undefined => d!.labels[0]![driverValue(d!, 0, undefined, day(iso))];
    expect(['2023-12-30', '2024-01-01', '2024-01-03'].map((iso) => label(one, iso))).toEqual(['Market', 'Fair', 'Fair']);
    expect(driverValue(one, 0, undefined, day('2024-01-02'))).toBe(-1);
    expect(driverValue(one, 0, undefined, day('2023-12-31'))).toBeNaN();
    expect(label(driversForStore(table, '2'), '2024-01-01')).toBe('Market');
  });

  it('refuses the same column for the same key in two files, naming both', async () => {
    const { errors } = mergeDriverTables(await tables(['a.csv', 'date,store,promo\n2024-01-01,1,1\n'], ['b.csv', 'date,store,promo\n2024-01-02,1,0\n2024-01-01,1,0\n']));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ source: 'b.csv', line: 3 });
    expect(errors[0]!.reason).toMatch(/column promo for 2024-01-01, store 1, every item is also given by a\.csv \(line 2\)/);
  });

  it('does not mind stores or items the sales do not have', async () => {
    const { table } = mergeDriverTables(await tables(['p.csv', 'date,store,item,promo\n2024-01-01,9,new,1\n2024-01-01,1,a,1\n']));
    expect(driversForStore(table, '1', ['a'])!.items.has('new')).toBe(false);
    expect(driversForStore(table, '2', ['a'])).toBeUndefined();
  });
});

describe('coverage', () => {
  const csv = [
    'date,store,item,promo,open,holiday',
    '2024-01-01,1,,0,0,New Year',
    '2024-01-02,1,a,1,1,',
    '2024-01-02,1,b,1,1,',
    '2024-01-03,1,a,0,1,',
    '2024-01-03,1,b,0,1,',
    '2024-01-04,1,a,0,1,Epiphany',
  ].join('\n');

  it('names the days past the end of the drivers', async () => {
    const drivers = driversForStore((await read(csv)).table, '1', ['a', 'b'])!;
    expect(driverCoverage(drivers, day('2024-01-02'), day('2024-01-04'))).toBeUndefined();
    expect(driverCoverage(drivers, day('2024-01-03'), day('2024-01-06'))).toEqual({ store: '1', missingDays: ['2024-01-05', '2024-01-06'] });
  });

  it('does not count the gaps of a file that lists only special days', async () => {
    const sparse = driversForStore((await read('date,open\n2024-01-01,0\n2024-03-01,0\n2024-12-25,0\n')).table, '1', ['a'])!;
    expect(driverCoverage(sparse, day('2024-03-02'), day('2024-03-31'))).toBeUndefined();
    expect(driverCoverage(sparse, day('2024-12-24'), day('2024-12-27'))).toEqual({ store: '1', missingDays: ['2024-12-26', '2024-12-27'] });
  });
});

describe('store drivers as JSON (for storage)', () => {
  it('round-trips', async () => {
    const { table } = await read('date,store,item,promo,holiday\n2024-01-01,1,,0,Epiphany\n2024-01-02,1,a,1,\n2024-01-03,1,,,\n');
    const drivers = driversForStore(table, '1', ['a'])!;
    const restored = storeDriversFromJson(JSON.parse(JSON.stringify(storeDriversToJson(drivers))));
    expect(restored).toEqual(drivers);
    expect(() => storeDriversFromJson({ schema: 'x' })).toThrow(/invalid store drivers/);
  });

  it('classifies a price once, when read, and still loads JSON written before columns had a scale', async () => {
    const { table } = await read('date,store,promo,unit_price,event\n2024-01-01,1,0,2.5,\n2024-01-02,1,1,2.0,Fair\n');
    expect(table.columns.map((c) => `${c.name}:${c.scale}`)).toEqual(['promo:linear', 'unit_price:log', 'event:linear']);
    const json = storeDriversToJson(driversForStore(table, '1')!);
    const old = { ...json, columns: json.columns.map(({ name, kind }) => ({ name, kind })) };
    expect(storeDriversFromJson(JSON.parse(JSON.stringify(old))).columns).toEqual(table.columns);
  });
});

describe('keeping a store’s drivers up to date', () => {
  it('overlays a newer upload on the stored drivers and slices a range', async () => {
    const stored = driversForStore((await read('date,store,item,promo,event\n2024-01-01,1,a,0,\n2024-01-02,1,a,1,Fair\n2024-01-03,1,a,0,\n')).table, '1', ['a'])!;
    const update = driversForStore((await read('date,store,item,promo,event\n2024-01-03,1,a,1,Sale\n2024-01-04,1,a,1,Fair\n')).table, '1', ['a'])!;
    const merged = overlayStoreDrivers(stored, update);
    expect([merged.firstDay, merged.lastDay]).toEqual([day('2024-01-01'), day('2024-01-04')]);
    expect(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].map((d) => driverValue(merged, 0, 'a', day(d)))).toEqual([0, 1, 1, 1]);
    expect(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].map((d) => merged.labels[1]![driverValue(merged, 1, 'a', day(d))] ?? '')).toEqual(['', 'Fair', 'Sale', 'Fair']);
    // The same upload again changes nothing, down to the JSON (the app compares it to see a changed plan).
    expect(JSON.stringify(storeDriversToJson(overlayStoreDrivers(merged, update)))).toBe(JSON.stringify(storeDriversToJson(merged)));
    expect(JSON.stringify(storeDriversToJson(overlayStoreDrivers(stored, stored)))).toBe(JSON.stringify(storeDriversToJson(stored)));
    const recent = sliceStoreDrivers(merged, day('2024-01-03'), day('2024-01-05'));
    expect([0, 1, 2].map((i) => driverValue(recent, 0, 'a', day('2024-01-03') + i))).toEqual([1, 1, Number.NaN]);
  });
});
