import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { parseIsoDay, type EpochDay } from './dates.js';
import { HistoryBuilder, type RowError, type SeriesHistory } from './history.js';

export const SALES_COLUMNS = ['date', 'store', 'item', 'sales'] as const;

export interface SalesRowSink {
  row(day: EpochDay, store: string, item: string, sales: number, line: number): void;
  error(error: RowError): void;
}

const SALES_PATTERN = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Incremental parser for the `date,store,item,sales` contract. Columns may come in any order; extra
 * columns are ignored. Quoted fields (RFC 4180) are accepted because spreadsheet exports quote ids.
 */
export class SalesCsvParser {
  private pending = '';
  private lineNumber = 0;
  private columnIndex: number[] | undefined;
  private width = 0;

  constructor(private readonly sink: SalesRowSink) {}

  push(chunk: string): void {
    const text = this.pending + chunk;
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      this.line(text, start, newline);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.pending = text.slice(start);
  }

  end(): void {
    if (this.pending.length > 0) this.line(this.pending, 0, this.pending.length);
    this.pending = '';
    if (this.columnIndex === undefined) {
      this.sink.error({ line: 1, reason: `the file is empty: expected a header line "${SALES_COLUMNS.join(',')}"` });
    }
  }

  get headerSeen(): boolean {
    return this.columnIndex !== undefined;
  }

  private line(text: string, start: number, end: number): void {
    this.lineNumber++;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    let raw = text.slice(start, end);
    if (this.lineNumber === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (raw.trim().length === 0) return;
    const fields = raw.includes('"') ? splitQuoted(raw) : raw.split(',');
    if (fields === undefined) {
      this.sink.error({ line: this.lineNumber, reason: 'unbalanced quotes' });
      return;
    }
    if (this.columnIndex === undefined) {
      this.header(fields);
      return;
    }
    this.record(fields);
  }

  private header(fields: string[]): void {
    const names = fields.map((f) => f.trim().toLowerCase());
    const missing = SALES_COLUMNS.filter((c) => !names.includes(c));
    if (missing.length > 0) {
      this.sink.error({ line: this.lineNumber, reason: `header is missing column(s) ${missing.join(', ')}: expected "${SALES_COLUMNS.join(',')}", got "${fields.join(',')}"` });
      // Without a usable header every later line would be misread, so the parser stops here.
      this.columnIndex = [];
      return;
    }
    this.columnIndex = SALES_COLUMNS.map((c) => names.indexOf(c));
    this.width = names.length;
  }

  private record(fields: string[]): void {
    const index = this.columnIndex!;
    if (index.length === 0) return;
    const line = this.lineNumber;
    if (fields.length !== this.width) {
      this.sink.error({ line, reason: `expected ${this.width} fields, found ${fields.length}` });
      return;
    }
    const dateText = fields[index[0]!]!.trim();
    const store = fields[index[1]!]!.trim();
    const item = fields[index[2]!]!.trim();
    const salesText = fields[index[3]!]!.trim();
    const day = parseIsoDay(dateText);
    if (day === undefined) {
      this.sink.error({ line, reason: `date "${truncate(dateText)}" is not an ISO date (YYYY-MM-DD)` });
      return;
    }
    if (store.length === 0 || item.length === 0) {
      this.sink.error({ line, reason: store.length === 0 ? 'store is empty' : 'item is empty' });
      return;
    }
    if (!SALES_PATTERN.test(salesText)) {
      const reason = /^-\d/.test(salesText) ? `sales ${salesText} is negative` : `sales "${truncate(salesText)}" is not a number`;
      this.sink.error({ line, reason });
      return;
    }
    this.sink.row(day, store, item, Number(salesText), line);
  }
}

export function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Splits one CSV line with RFC 4180 quoting; undefined when a quote is left open. */
export function splitQuoted(raw: string): string[] | undefined {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quoted) {
      if (ch === '"') {
        if (raw[i + 1] === '"') {
          current += '"';
          i++;
        } else quoted = false;
      } else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(current);
      current = '';
    } else current += ch;
  }
  if (quoted) return undefined;
  fields.push(current);
  return fields;
}

/** Decompresses when the bytes start with the gzip magic number, whatever the file is called. */
export type ByteSource = AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

export async function* decodeMaybeGzip(input: ByteSource): AsyncGenerator<string> {
  const iterator = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : Readable.from(input)[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first = await iterator.next();
  if (first.done === true) return;
  const head = typeof first.value === 'string' ? Buffer.from(first.value) : first.value;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  const bytes: AsyncIterable<Buffer> = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b ? Readable.from(rest()).pipe(createGunzip()) : rest();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for await (const chunk of bytes) yield decoder.decode(chunk, { stream: true });
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

export interface ReadSalesResult {
  series: SeriesHistory[];
  errors: RowError[];
  rows: number;
}

/** Reads a whole sales file (plain or gzip) into per-series histories, collecting every row error. */
export async function readSalesHistory(input: ByteSource): Promise<ReadSalesResult> {
  const builder = new HistoryBuilder();
  const errors: RowError[] = [];
  const parser = new SalesCsvParser({
    row: (day, store, item, sales, line) => builder.add(day, store, item, sales, line),
    error: (error) => errors.push(error),
  });
  for await (const text of decodeMaybeGzip(input)) parser.push(text);
  parser.end();
  const built = builder.build();
  if (parser.headerSeen && builder.rowCount === 0 && errors.length === 0) {
    errors.push({ line: 2, reason: 'the file has a header but no data rows' });
  }
  const all = errors.concat(built.errors).sort((a, b) => a.line - b.line);
  return { series: built.series, errors: all, rows: builder.rowCount };
}
