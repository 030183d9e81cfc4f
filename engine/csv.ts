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
/** What sends a chunk down the general path: quotes, NUL, U+FFFD (bytes that were not UTF-8), a CR not before LF. */
// eslint-disable-next-line no-control-regex
const SPECIAL = /["\u0000\uFFFD]|\r(?!\n)/;

function isAsciiSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** A decimal number as a file may write it (sign, digits, point, exponent): what a numeric column accepts. */
export const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Why a number read from a file is refused, or undefined: `1e400` reads as Infinity (which storage would keep
 * as null, erasing a known day), and a value above `max` is a unit or typing mistake, not a day's sales.
 */
export function numberProblem(what: string, text: string, value: number, max: number): string | undefined {
  if (!Number.isFinite(value)) return `${what} ${truncate(text)} is not a finite number`;
  if (value > max) return `${what} ${truncate(text)} is above the maximum ${max} (the cap on one value)`;
  if (value < -max) return `${what} ${truncate(text)} is below the minimum -${max} (the cap on one value)`;
  return undefined;
}

/**
 * Counts the distinct stores and (store, item) series a file names, and stops the read (`InputLimitError`) at
 * the first one past a cap: what a reader allocates grows with them, whatever the file's size.
 */
export class DistinctCounter {
  private readonly stores = new Map<string, Set<string>>();
  private series = 0;
  private lastStore: string | undefined;
  private lastItem: string | undefined;

  constructor(
    private readonly maxSeries: number,
    private readonly maxStores: number,
    private readonly what = 'series',
  ) {}

  add(store: string, item: string, line: number): void {
    if (store === this.lastStore && item === this.lastItem) return;
    this.lastStore = store;
    this.lastItem = item;
    let items = this.stores.get(store);
    if (items === undefined) {
      if (this.stores.size >= this.maxStores) throw new InputLimitError(line, `the file names more than ${this.maxStores} distinct stores (the cap per file): split it, or raise the cap; nothing applied`);
      this.stores.set(store, (items = new Set()));
    }
    if (items.has(item)) return;
    if (this.series >= this.maxSeries) throw new InputLimitError(line, `the file names more than ${this.maxSeries} distinct (store, item) ${this.what} (the cap per file): split it, or raise the cap; nothing applied`);
    items.add(item);
    this.series++;
  }
}

/**
 * Incremental parser for the `date,store,item,sales` contract. Columns may come in any order; extra
 * columns are ignored. Quoted fields (RFC 4180) are accepted because spreadsheet exports quote ids.
 * Sales must be finite and at most `maxValue`; past `maxSeries` distinct series or `maxStores` stores the
 * parser throws `InputLimitError` (the reader stops, nothing of the file applies).
 */
export class SalesCsvParser {
  private pending = '';
  private lineNumber = 0;
  private columnIndex: number[] | undefined;
  private width = 0;
  private readonly maxValue: number;
  private readonly distinct: DistinctCounter;

  constructor(
    private readonly sink: SalesRowSink,
    limits: ReadLimits = {},
  ) {
    this.maxValue = limits.maxValue ?? DEFAULT_MAX_VALUE;
    this.distinct = new DistinctCounter(limits.maxSeries ?? DEFAULT_MAX_SERIES, limits.maxStores ?? DEFAULT_MAX_STORES);
  }

  push(chunk: string): void {
    const text = this.pending + chunk;
    // One scan per chunk: without quotes, CRs, NULs or U+FFFD every line of it can take the plain path.
    const plain = this.columnIndex !== undefined && this.columnIndex.length > 0 && !SPECIAL.test(text);
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      if (!plain || !this.plainLine(text, start, newline)) this.line(text, start, newline);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.pending = text.slice(start);
  }

  private lastStore = '';
  private lastItem = '';
  private readonly bounds = new Int32Array(2);

  /** Where field `column` of the line [start, end) lies, trimmed, in `bounds`; false when the plain path cannot say. */
  private field(text: string, start: number, end: number, column: number): boolean {
    let from = start;
    for (let c = 0; c < column; c++) {
      const comma = text.indexOf(',', from);
      if (comma === -1 || comma >= end) return false;
      from = comma + 1;
    }
    let to = text.indexOf(',', from);
    if (to === -1 || to > end) to = end;
    while (from < to && isAsciiSpace(text.charCodeAt(from))) from++;
    while (to > from && isAsciiSpace(text.charCodeAt(to - 1))) to--;
    // Other whitespace (NBSP, U+2000…) is trimmed by String#trim: the general path handles it.
    if (from < to && (text.charCodeAt(from) >= 0x80 || text.charCodeAt(to - 1) >= 0x80)) return false;
    this.bounds[0] = from;
    this.bounds[1] = to;
    return true;
  }

  /**
   * A well-formed data line read without splitting it: ids equal to the previous row's reuse its strings, and
   * whole-number sales are read digit by digit. Anything unusual (a bad field, a wrong field count, a value
   * past the cap) returns false before any effect, and the general path reads the line and names the problem.
   */
  private plainLine(text: string, start: number, end: number): boolean {
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (end - start < 7) return false;
    let commas = 0;
    for (let at = text.indexOf(',', start); at !== -1 && at < end; at = text.indexOf(',', at + 1)) commas++;
    if (commas + 1 !== this.width) return false;
    const index = this.columnIndex!;
    if (!this.field(text, start, end, index[0]!) || this.bounds[1]! - this.bounds[0]! !== 10) return false;
    const day = parseIsoDay(text.slice(this.bounds[0], this.bounds[1]));
    if (day === undefined || !this.field(text, start, end, index[1]!)) return false;
    const store = this.sameOrSlice(text, this.lastStore);
    if (store.length === 0 || !this.field(text, start, end, index[2]!)) return false;
    const item = this.sameOrSlice(text, this.lastItem);
    if (item.length === 0 || !this.field(text, start, end, index[3]!)) return false;
    const from = this.bounds[0]!;
    const to = this.bounds[1]!;
    if (to === from || to - from > 9) return false;
    let sales = 0;
    for (let i = from; i < to; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return false;
      sales = sales * 10 + digit;
    }
    if (sales > this.maxValue) return false;
    this.lineNumber++;
    this.lastStore = store;
    this.lastItem = item;
    this.distinct.add(store, item, this.lineNumber);
    this.sink.row(day, store, item, sales, this.lineNumber);
    return true;
  }

  private sameOrSlice(text: string, previous: string): string {
    const from = this.bounds[0]!;
    const length = this.bounds[1]! - from;
    return length === previous.length && text.startsWith(previous, from) ? previous : text.slice(from, from + length);
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
    const parsed = csvFields(raw);
    if ('problem' in parsed) {
      this.sink.error({ line: this.lineNumber, reason: parsed.problem });
      // An unreadable header cannot name the columns: every later line is left unread (and the file refused).
      if (parsed.unreadable && this.columnIndex === undefined) this.columnIndex = [];
      return;
    }
    const fields = parsed.fields;
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
    const sales = Number(salesText);
    const problem = sales <= this.maxValue ? undefined : numberProblem('sales', salesText, sales, this.maxValue);
    if (problem !== undefined) {
      this.sink.error({ line, reason: problem });
      return;
    }
    this.distinct.add(store, item, line);
    this.sink.row(day, store, item, sales, line);
  }
}

/**
 * Why a line cannot be read faithfully, if it cannot: bytes that are not UTF-8 (the decoder turns them into
 * U+FFFD, so two distinct ids could collapse into one), NUL characters (UTF-16 without a byte-order mark),
 * or a carriage return inside the line (a CR-only line break, or a CR inside a quoted field).
 */
export function unreadableLine(raw: string): string | undefined {
  if (raw.includes('\uFFFD')) return 'the line has bytes that are not valid UTF-8 (save the file as UTF-8)';
  if (raw.includes('\u0000')) return 'the line has NUL characters (is the file UTF-16? save it as UTF-8)';
  if (raw.includes('\r')) return 'the line has a carriage return inside it (a CR-only line break or a CR inside a field)';
  return undefined;
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

/**
 * The fields of one CSV line, or why the line cannot be read faithfully: not UTF-8, NULs or a CR inside
 * (`unreadableLine`; an id read through U+FFFD could become another store's), or a quote left open.
 */
export function csvFields(raw: string): { fields: string[] } | { problem: string; unreadable: boolean } {
  const unreadable = unreadableLine(raw);
  if (unreadable !== undefined) return { problem: unreadable, unreadable: true };
  const fields = raw.includes('"') ? splitQuoted(raw) : raw.split(',');
  return fields === undefined ? { problem: 'unbalanced quotes', unreadable: false } : { fields };
}

/** Decompresses when the bytes start with the gzip magic number, whatever the file is called. */
export type ByteSource = AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

/** Bounds on what one file may make a reader hold or do. */
export interface ReadLimits {
  /** Bytes after decompression; a gzip bomb stops here. Default 2 GiB. */
  maxBytes?: number;
  /** Characters in one line; a file without line breaks stops here. Default 64 Ki. */
  maxLineChars?: number;
  /** Row errors kept (the rest are only counted). Default: all. */
  maxErrors?: number;
  /** The largest value a sales or numeric driver cell may hold (absolute); above it the row is refused. */
  maxValue?: number;
  /** Distinct (store, item) series (sales) or scopes (drivers) in one file; past it the reader stops. */
  maxSeries?: number;
  /** Distinct stores in one file; past it the reader stops. */
  maxStores?: number;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_LINE_CHARS = 64 * 1024;
/** A billion units of one item in one store on one day is a typing or unit mistake. */
export const DEFAULT_MAX_VALUE = 1e9;
export const DEFAULT_MAX_SERIES = 500_000;
export const DEFAULT_MAX_STORES = 10_000;

/**
 * The file cannot be read on: too large once decompressed, a line over the length cap, UTF-16. The reader
 * stops; `line` is where it stopped. Nothing of such a file should be applied (only a prefix was read).
 */
export class InputLimitError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 && n % 1024 ** 3 === 0 ? `${n / 1024 ** 3} GiB` : n >= 1024 ** 2 && n % 1024 ** 2 === 0 ? `${n / 1024 ** 2} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

/**
 * Decodes a plain or gzip byte stream to UTF-8 text chunks, streaming: nothing holds the whole file.
 * Throws `InputLimitError` for a UTF-16 file (byte-order mark), past `maxBytes` decompressed bytes and
 * on a line longer than `maxLineChars`. Bytes that are not UTF-8 become U+FFFD; line parsers reject lines
 * holding one (`unreadableLine`).
 */
export async function* decodeMaybeGzip(input: ByteSource, limits: ReadLimits = {}): AsyncGenerator<string> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxLine = limits.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
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
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const bytes: AsyncIterable<Buffer> = gzip ? Readable.from(rest()).pipe(createGunzip({ chunkSize: 64 * 1024 })) : rest();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let total = 0;
  let line = 1;
  let lineChars = 0;
  let checkedBom = false;
  const scan = (text: string): void => {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      if (lineChars + newline - start > maxLine) break;
      line++;
      lineChars = 0;
      start = newline + 1;
    }
    lineChars += text.length - start;
    if (lineChars > maxLine) throw new InputLimitError(line, `line ${line} is longer than ${maxLine} characters (the cap): the file has no line breaks where a CSV has them; nothing applied`);
  };
  for await (const chunk of bytes) {
    if (!checkedBom && chunk.length > 0) {
      checkedBom = true;
      if (chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))) {
        throw new InputLimitError(1, `the file is UTF-16 (it starts with the byte-order mark ${chunk[0] === 0xff ? 'FF FE' : 'FE FF'}): save it as UTF-8 (CSV UTF-8); nothing applied`);
      }
    }
    total += chunk.length;
    if (total > maxBytes) throw new InputLimitError(line, `the file is larger than ${formatBytes(maxBytes)}${gzip ? ' once decompressed' : ''} (the cap): nothing applied`);
    const text = decoder.decode(chunk, { stream: true });
    scan(text);
    yield text;
  }
  const tail = decoder.decode();
  if (tail.length > 0) {
    scan(tail);
    yield tail;
  }
}

/**
 * Feeds each line of a plain or gzip file to `onLine` with its number (from 1), streaming: the CR of a CRLF
 * break and a UTF-8 byte-order mark on line 1 are removed. Returns where a reading limit stopped the read
 * (`InputLimitError`, from the decoder or thrown by `onLine`), or undefined when the whole file was read.
 */
export async function readLines(input: ByteSource, limits: ReadLimits, onLine: (raw: string, line: number) => void): Promise<RowError | undefined> {
  let line = 0;
  const emit = (raw: string): void => {
    line++;
    onLine(line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw, line);
  };
  try {
    let pending = '';
    for await (const text of decodeMaybeGzip(input, limits)) {
      const chunk = pending.length > 0 ? pending + text : text;
      let start = 0;
      for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
        emit(chunk.slice(start, newline > start && chunk.charCodeAt(newline - 1) === 13 ? newline - 1 : newline));
        start = newline + 1;
      }
      pending = chunk.slice(start);
    }
    if (pending.length > 0) emit(pending.endsWith('\r') ? pending.slice(0, -1) : pending);
  } catch (error) {
    if (!(error instanceof InputLimitError)) throw error;
    return { line: error.line, reason: error.reason };
  }
  return undefined;
}

export interface ReadSalesResult {
  series: SeriesHistory[];
  /** Row errors in line order, the first `maxErrors` of them. */
  errors: RowError[];
  /** Every row error, listed or not. */
  errorCount: number;
  rows: number;
}

/**
 * Keeps the first `max` row errors and counts the rest, so a file of bad rows cannot grow the list without
 * bound.
 */
export class ErrorList {
  readonly errors: RowError[] = [];
  count = 0;

  constructor(private readonly max = Number.POSITIVE_INFINITY) {}

  push(error: RowError): void {
    this.count++;
    if (this.errors.length < this.max) this.errors.push(error);
  }
}

/**
 * Reads a whole sales file (plain or gzip) into per-series histories, collecting every row error. A file
 * past a reading limit (`InputLimitError`) gives no series at all: only a prefix of it was read.
 */
export async function readSalesHistory(input: ByteSource, limits: ReadLimits = {}): Promise<ReadSalesResult> {
  const builder = new HistoryBuilder();
  const errors = new ErrorList(limits.maxErrors);
  const parser = new SalesCsvParser(
    {
      row: (day, store, item, sales, line) => builder.add(day, store, item, sales, line),
      error: (error) => errors.push(error),
    },
    limits,
  );
  try {
    for await (const text of decodeMaybeGzip(input, limits)) parser.push(text);
    parser.end();
  } catch (error) {
    if (!(error instanceof InputLimitError)) throw error;
    errors.push({ line: error.line, reason: error.reason });
    return { series: [], errors: errors.errors, errorCount: errors.count, rows: 0 };
  }
  const built = builder.build();
  if (parser.headerSeen && builder.rowCount === 0 && errors.count === 0) {
    errors.push({ line: 2, reason: 'the file has a header but no data rows' });
  }
  const all = errors.errors.concat(built.errors).sort((a, b) => a.line - b.line);
  const listed = limits.maxErrors === undefined ? all : all.slice(0, limits.maxErrors);
  return { series: built.series, errors: listed, errorCount: errors.count + built.errors.length, rows: builder.rowCount };
}
