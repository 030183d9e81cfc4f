import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LABEL_PATTERN } from '../../core/domain/drivers-ingestion.js';
import { idProblem } from '../../core/domain/ids.js';
import { ATTRIBUTE_LABEL_PATTERN, attributesForStore, describeStoreAttributes, parseIsoDay, readStoreAttributes, type ReadStoreAttributesOptions } from '../../engine/index.js';

async function read(csv: string | Buffer, options: ReadStoreAttributesOptions = {}): Promise<Awaited<ReturnType<typeof readStoreAttributes>>> {
  return readStoreAttributes([typeof csv === 'string' ? Buffer.from(csv) : csv], options);
}

/** Every error as "line: reason", to assert lines and reasons together. */
async function problems(csv: string | Buffer, options: ReadStoreAttributesOptions = {}): Promise<string[]> {
  return (await read(csv, options)).errors.map((e) => `${e.line}: ${e.reason}`);
}

describe('readStoreAttributes', () => {
  it('classifies each column once: numeric, date, else text; empty cells are unknown; plain, CRLF, BOM and gzip alike', async () => {
    const csv = '\uFEFFStore,size,type,opened,region,"competitor since"\r\n1,1200,Hyper,2019-03-01,North,\r\n2,800.5,Super,,South,2021-06-15\r\n"3",,Super,2020-01-31,,2022-02-01\r\n';
    for (const input of [csv, gzipSync(csv)]) {
      const { table, errors, rows } = await read(input);
      expect(errors).toEqual([]);
      expect(rows).toBe(3);
      expect(table.columns).toEqual([
        { name: 'size', kind: 'numeric' },
        { name: 'type', kind: 'text' },
        { name: 'opened', kind: 'date' },
        { name: 'region', kind: 'text' },
        { name: 'competitor since', kind: 'date' },
      ]);
      expect(attributesForStore(table, '1')!.values).toEqual([1200, 'Hyper', parseIsoDay('2019-03-01'), 'North', null]);
      expect(attributesForStore(table, '2')!.values).toEqual([800.5, 'Super', null, 'South', parseIsoDay('2021-06-15')]);
      expect(attributesForStore(table, '3')!.values).toEqual([null, 'Super', parseIsoDay('2020-01-31'), null, parseIsoDay('2022-02-01')]);
      expect(attributesForStore(table, '4')).toBeUndefined();
      expect(describeStoreAttributes(table, ['1', '2', '5'])).toBe('5 columns (size: numeric, type: text, opened: date, region: text, competitor since: date) for 2 of 3 stores');
    }
  });

  it('reads a column mixing numbers and words, or dates and words, as text', async () => {
    const { table, errors } = await read('store,size,opened,flag\n1,12,2020-01-01,1\n2,n/a,unknown,0\n');
    expect(errors).toEqual([]);
    expect(table.columns.map((c) => c.kind)).toEqual(['text', 'text', 'numeric']);
    expect(attributesForStore(table, '2')!.values).toEqual(['n/a', 'unknown', 0]);
  });

  it.each([
    ['no store column', 'shop,size\n1,10\n', ['1: header has no "store" column: expected "store,<attribute>...", got "shop,size"']],
    ['a duplicate column name', 'store,size,Size\n1,10,11\n', ['1: header names column(s) size twice']],
    ['store twice', 'store,size,store\n1,10,1\n', ['1: header names column(s) store twice']],
    ['an empty column name', 'store,,size\n1,10,11\n', ['1: header has an empty column name']],
    ['no attribute column', 'store\n1\n', ['1: header has no attribute column besides store']],
    ['a column name outside the label alphabet', 'store,=size\n1,10\n', [expect.stringMatching(/^1: column name "=size" is invalid/)]],
    ['an empty store id', 'store,size\n1,10\n,20\n', ['3: store is empty']],
    ['a duplicate store row', 'store,size\n1,10\n2,20\n1,30\n', ['4: duplicate row for store 1 (first seen on line 2)']],
    ['a wrong number of fields', 'store,size,type\n1,10,A\n2,20\n3,30,B,x\n', ['3: expected 3 fields, found 2', '4: expected 3 fields, found 4']],
    ['a number that is not finite', 'store,size\n1,10\n2,1e400\n', ['3: size 1e400 is not a finite number']],
    ['a number above the maximum', 'store,size\n1,10\n2,5000000000\n', ['3: size 5000000000 is above the maximum 1000000000 (the cap on one value)']],
    ['a date that is not a real day', 'store,opened\n1,2020-01-01\n2,2021-02-30\n', ['3: opened "2021-02-30" is not a real day (the column holds ISO dates, YYYY-MM-DD)']],
    ['a text value outside the label alphabet', 'store,type\n1,Hyper\n2,=cmd|x\n', [expect.stringMatching(/^3: type "=cmd\|x" is invalid: use up to 100 letters/)]],
    ['unbalanced quotes', 'store,type\n1,"Hyper\n', ['2: unbalanced quotes']],
    ['a NUL', 'store,type\n1,Hy\u0000per\n', ['2: the line has NUL characters (is the file UTF-16? save it as UTF-8)']],
    ['a CR inside a line', 'store,type\n1,Hy\rper\n', ['2: the line has a carriage return inside it (a CR-only line break or a CR inside a field)']],
    ['an empty file', '', ['1: the file is empty: expected a header line "store,<attribute>..."']],
    ['a header without rows', 'store,size\n', ['2: the file has a header but no data rows']],
  ])('refuses %s, naming the line', async (_, csv, expected) => {
    expect(await problems(csv)).toEqual(expected);
  });

  it('refuses bytes that are not UTF-8 and UTF-16 files, naming the line', async () => {
    const latin1 = Buffer.concat([Buffer.from('store,region\n1,North\n2,'), Buffer.from([0xe9, 0x0a])]);
    expect(await problems(latin1)).toEqual(['3: the line has bytes that are not valid UTF-8 (save the file as UTF-8)']);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('store,size\n1,2\n', 'utf16le')]);
    const result = await read(utf16);
    expect(result.stopped?.line).toBe(1);
    expect(result.errors[0]!.reason).toMatch(/the file is UTF-16/);
  });

  it('reports every bad line of a file at once, in line order', async () => {
    expect(await problems('store,size,type\n1,10,A\n1,11,B\n,12,C\n3,1e400,D\n')).toEqual(['3: duplicate row for store 1 (first seen on line 2)', '4: store is empty', '5: size 1e400 is not a finite number']);
  });

  it('accepts any store id the sales reader accepts by default, and the app’s id rule when given', async () => {
    const csv = 'store,size\nStore 12,10\nA-1,20\n';
    expect(await problems(csv)).toEqual([]);
    expect(await problems(csv, { storeIdProblem: (s) => idProblem('store', s) })).toEqual([expect.stringMatching(/^2: store id "Store 12" is invalid/)]);
  });

  it('with checkLabels false (the batch CLI) takes any text value and column name, still refusing the rest', async () => {
    const csv = 'store,PromoInterval,#tills\n1,"Jan,Apr,Jul,Oct",4\n2,=cmd|x,\n2,a,1\n';
    const { table, errors } = await read(csv, { checkLabels: false });
    expect(errors.map((e) => `${e.line}: ${e.reason}`)).toEqual(['4: duplicate row for store 2 (first seen on line 3)']);
    expect(table.columns).toEqual([{ name: 'PromoInterval', kind: 'text' }, { name: '#tills', kind: 'numeric' }]);
    expect(attributesForStore(table, '1')!.values).toEqual(['Jan,Apr,Jul,Oct', 4]);
    expect(await problems(csv)).toEqual([expect.stringMatching(/^1: column name "#tills" is invalid/)]);
  });

  it('stops past the store cap, naming the line', async () => {
    const result = await read('store,size\n1,1\n2,2\n3,3\n', { maxStores: 2 });
    expect(result.stopped?.line).toBe(4);
    expect(result.stopped?.reason).toMatch(/more than 2 stores/);
    expect(result.table.stores.size).toBe(0);
  });

  it('uses the driver label alphabet (the engine keeps its own copy: it may not import the app)', () => {
    expect(ATTRIBUTE_LABEL_PATTERN.source).toBe(LABEL_PATTERN.source);
    expect(ATTRIBUTE_LABEL_PATTERN.flags).toBe(LABEL_PATTERN.flags);
  });
});
