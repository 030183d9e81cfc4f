import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ingestDriversUpload } from '../../../core/domain/drivers-ingestion.js';
import { DEFAULT_INGEST_RULES, ingestUpload, parseSalesUpload, rejectedReport, type IngestRules } from '../../../core/domain/ingestion.js';
import type { UploadSource } from '../../../core/ports/index.js';
import { formatIsoDay } from '../../../engine/index.js';
import { startTestStorage, type TestStorage } from '../../support/storage.js';

/**
 * Issue 13, holes 1, 2 and 8: what an upload may hold (ids in the API's alphabet, dates in a plausible
 * window), the reading caps (line length, decompressed size, errors listed), and files that are not the
 * UTF-8 CSV the contract names — each gets a clear report, and nothing of a file read only in part is applied.
 */

const NOW = new Date('2026-03-10T12:00:00Z');
const clock = { now: () => NOW };
const TODAY = Math.floor(NOW.getTime() / 86_400_000);
const rules = (over: Partial<IngestRules> = {}): IngestRules => ({ ...DEFAULT_INGEST_RULES, ...over });
const source = (name: string, ...chunks: (string | Buffer)[]): UploadSource => ({ name, open: () => chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)) });
const parse = (text: string | Buffer, over: Partial<IngestRules> = {}) => parseSalesUpload(source('u.csv', text), rules(over), NOW);

describe('ids and dates (hole 1)', () => {
  test('store and item ids outside the API alphabet are rejected rows, with line and reason', async () => {
    const csv = ['date,store,item,sales', '2025-01-01,..,1,1', '2025-01-01,-x,1,1', `2025-01-01,${'s'.repeat(65)},1,1`, '2025-01-01,a/b,1,1', '2025-01-01,Süd,1,1', '2025-01-01,S1,"it em",1', '2025-01-01,S1,.hidden,1', '2025-01-01,S1,ok-1.2_3,4', `2025-01-01,${'s'.repeat(64)},1,5`].join('\n');
    const r = await parse(csv);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(r.errors[0]!.reason).toMatch(/^store id "\.\." is invalid: use 1–64 letters, digits/);
    expect(r.errors[5]!.reason).toMatch(/^item id "it em" is invalid/);
    expect(r.series.map((s) => `${s.store}|${s.item}`)).toEqual(['S1|ok-1.2_3', `${'s'.repeat(64)}|1`]);
  });

  test('dates after tomorrow or before the first year are rejected, each line named; the window is configurable', async () => {
    const tomorrow = formatIsoDay(TODAY + 1);
    const csv = ['date,store,item,sales', '2204-01-01,S1,1,1', `${tomorrow},S1,1,2`, `${formatIsoDay(TODAY + 2)},S1,1,3`, '1999-12-31,S1,1,4', '2000-01-01,S1,1,5', '0000-01-01,S1,1,6'].join('\n');
    const r = await parse(csv);
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, `date 2204-01-01 is after ${tomorrow} (tomorrow: sales cannot be in the future)`],
      [4, `date ${formatIsoDay(TODAY + 2)} is after ${tomorrow} (tomorrow: sales cannot be in the future)`],
      [5, 'date 1999-12-31 is before 2000-01-01 (FOREACT_INGEST_FIRST_YEAR)'],
      [7, expect.stringMatching(/^date "0000-01-01" is not an ISO date|^date 0000-01-01 is before 2000-01-01/) as unknown as string],
    ]);
    expect(r.rows).toBe(2);
    const later = await parse(csv, { firstYear: 2010 });
    expect(later.errors.map((e) => e.line)).toEqual([2, 4, 5, 6, 7]);
  });
});

describe('reading caps and adversarial files (holes 2 and 8)', () => {
  test('a file without line breaks stops at the line cap with a clear report, nothing applied', async () => {
    const r = await parse(`date,store,item,sales\n${'2025-01-01,S1,1,1;'.repeat(10_000)}`);
    expect(r.series).toEqual([]);
    expect(r.stopped).toEqual({ line: 2, reason: 'line 2 is longer than 65536 characters (the cap): the file has no line breaks where a CSV has them; nothing applied' });
  });

  test('a gzip bomb stops at the decompressed-size cap; the upload is rejected whole and nothing changes', async () => {
    // 64 MiB of well-formed rows compress to well under 1 MiB; the cap here is 1 MiB.
    const row = '2025-01-01,B1,1,1\n';
    const body = Buffer.from(`date,store,item,sales\n${row.repeat(Math.ceil((64 * 1024 * 1024) / row.length))}`);
    const bomb = gzipSync(body);
    expect(bomb.length).toBeLessThan(body.length / 100);
    const r = await parse(bomb, { maxBytes: 1024 * 1024 });
    expect(r.series).toEqual([]);
    expect(r.stopped?.reason).toBe('the file is larger than 1 MiB once decompressed (the cap): nothing applied');
  });

  test('invalid UTF-8 rejects the row naming its line, so distinct ids never collapse into U+FFFD', async () => {
    const csv = Buffer.concat([Buffer.from('date,store,item,sales\n2025-01-01,S'), Buffer.from([0xff]), Buffer.from('1,1,1\n2025-01-01,S'), Buffer.from([0xfe]), Buffer.from('1,1,2\n2025-01-01,S1,1,3\n')]);
    const r = await parse(csv);
    expect(r.errors).toEqual([
      { line: 2, reason: 'the line has bytes that are not valid UTF-8 (save the file as UTF-8)' },
      { line: 3, reason: 'the line has bytes that are not valid UTF-8 (save the file as UTF-8)' },
    ]);
    expect(r.series.map((s) => s.store)).toEqual(['S1']);
  });

  test('UTF-16 with a byte-order mark is refused whole; without one, its NULs are named', async () => {
    const text = 'date,store,item,sales\r\n2025-01-01,S1,1,1\r\n';
    const le = await parse(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(le.stopped?.reason).toBe('the file is UTF-16 (it starts with the byte-order mark FF FE): save it as UTF-8 (CSV UTF-8); nothing applied');
    const gz = await parse(gzipSync(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])));
    expect(gz.stopped?.reason).toMatch(/UTF-16 \(it starts with the byte-order mark FE FF\)/);
    const bare = await parse(Buffer.from(text, 'utf16le'));
    expect(bare.errors[0]).toEqual({ line: 1, reason: 'the line has NUL characters (is the file UTF-16? save it as UTF-8)' });
    expect(bare.series).toEqual([]);
  });

  test('a CR inside a field, or CR-only line breaks, are named rather than read as ids', async () => {
    const inside = await parse('date,store,item,sales\n2025-01-01,"S\r1",1,1\n2025-01-01,S1,1,2\n');
    expect(inside.errors).toEqual([{ line: 2, reason: 'the line has a carriage return inside it (a CR-only line break or a CR inside a field)' }]);
    expect(inside.rows).toBe(1);
    const mac = await parse('date,store,item,sales\r2025-01-01,S1,1,1\r');
    expect(mac.errors[0]?.line).toBe(1);
    expect(mac.errors[0]?.reason).toMatch(/carriage return/);
  });

  test('errors listed are capped with a count of the rest, and the report echoes at most 200 printable characters per row', async () => {
    const lines = ['date,store,item,sales'];
    for (let i = 0; i < 5000; i++) lines.push(`2025-01-01,S1,${i},lots`);
    lines.push(`2025-01-01,S1,x,=HYPERLINK("evil")\u0007${'y'.repeat(500)}`);
    const csv = lines.join('\n');
    const r = await parse(csv);
    expect(r.errors).toHaveLength(1000);
    expect(r.errorCount).toBe(5001);
    const report = await rejectedReport(source('u.csv', csv), r.errors, r.errorCount, rules());
    const out = report.trimEnd().split('\n');
    expect(out).toHaveLength(1 + 1000 + 1);
    expect(out.at(-1)).toBe(',4001 more rejected line(s) not listed (the report lists the first 1000),');

    const bad = await parse(csv, { maxErrors: 5001 });
    const last = (await rejectedReport(source('u.csv', csv), bad.errors.slice(-1), 1, rules())).trimEnd().split('\n')[1]!;
    expect(last.startsWith('5002,"sales ""=HYPERLINK(evil)?yyy')).toBe(true);
    // eslint-disable-next-line no-control-regex
    expect(last).not.toMatch(/[\u0000-\u001f]/);
    const echoed = /,"(2025-01-01,S1,x,.*)"$/.exec(last)![1]!.replace(/""/g, '"');
    // The formula after a comma is neutralised too (issue 18, item 11): Excel splitting on ';' would start a cell there.
    expect(echoed).toBe(`2025-01-01,S1,x,'=HYPERLINK("evil")?${'y'.repeat(200 - 35)}…`);
  });

  test('a report cell that starts like a formula is written as text', async () => {
    const csv = 'date,store,item,sales\n=1+1,S1,1,1\n';
    const r = await parse(csv);
    const report = await rejectedReport(source('u.csv', csv), r.errors, r.errorCount, rules());
    expect(report.split('\n')[1]).toBe(`2,"date ""=1+1"" is not an ISO date (YYYY-MM-DD)","'=1+1,S1,1,1"`);
  });
});

describe('against Azurite', () => {
  let t: TestStorage;
  beforeAll(async () => {
    t = await startTestStorage();
  });
  afterAll(async () => {
    await t?.stop();
  });

  test('a gzip bomb upload is rejected whole with its report; no store is created', async () => {
    const row = '2025-01-01,BOMB,1,1\n';
    const bomb = gzipSync(Buffer.from(`date,store,item,sales\n${row.repeat(200_000)}`));
    const result = await ingestUpload(t.storage, source('bomb.csv.gz', bomb), { clock, rules: { maxBytes: 1024 * 1024 } });
    expect(result).toMatchObject({ status: 'rejected', accepted: 0, changedStores: [], rejectedBlob: 'rejected/bomb.csv.gz.rejected.csv' });
    expect(result.reason).toMatch(/^line \d+: the file is larger than 1 MiB once decompressed \(the cap\): nothing applied$/);
    // The parse stopped part-way: the idempotency key is still the hash of every byte of the upload.
    expect(result.key).toBe(createHash('sha256').update(bomb).digest('hex'));
    expect(await t.storage.stores.get('BOMB')).toBeUndefined();
  });

  test('drivers: a bad store id or a day past the planned window rejects the file, each line named; 400 days ahead is fine', async () => {
    const ahead = formatIsoDay(TODAY + 400);
    const tooFar = formatIsoDay(TODAY + 401);
    const bad = `date,store,promo\n2025-01-01,DR1,1\n2025-01-02,../x,1\n${tooFar},DR1,1\n1990-05-01,DR1,0\n`;
    const rejected = await ingestDriversUpload(t.storage, source('drivers/bad.csv', bad), { clock });
    expect(rejected.status).toBe('rejected');
    expect(rejected.rejected.map((e) => [e.line, e.reason])).toEqual([
      [3, 'store id "../x" is invalid: use 1–64 letters, digits, "_", "." or "-", starting with a letter or digit'],
      [4, `date ${tooFar} is after ${ahead} (400 days ahead, FOREACT_INGEST_DRIVERS_AHEAD_DAYS)`],
      [5, 'date 1990-05-01 is before 2000-01-01 (FOREACT_INGEST_FIRST_YEAR)'],
    ]);
    expect(await t.storage.stores.get('DR1')).toBeUndefined();
    const good = await ingestDriversUpload(t.storage, source('drivers/good.csv', `date,store,promo\n2025-01-01,DR1,1\n${ahead},DR1,1\n`), { clock });
    expect(good).toMatchObject({ status: 'applied', changedStores: ['DR1'] });
  });
});
