/**
 * Whole-process CLI benchmark (issue 18, items 17 and 18): times `foreact forecast` as a planner runs it — a
 * spawned process, Node start-up and module loading included — against a seasonal-naive floor that is a
 * separate process too and reads and writes the same files. In-process stage timings could not show the
 * start-up regression of item 17; this can. Prints one markdown table: wall time, ratio to the floor, the
 * CLI's own read stage (sales + drivers) against the floor's whole process, and peak RSS of each process.
 *
 *   node dist/bench/cli-process.js                              # the generated chain + the shared data sets
 *   node dist/bench/cli-process.js --only chain --rows 1000000  # the chain alone (200 stores × 10 items × 500 days)
 *   node dist/bench/cli-process.js --only chain --items 50 --days 200   # another shape: 100 stores × 50 items
 *   node dist/bench/cli-process.js --bin <before>/bin/foreact.js --bin bin/foreact.js --repeat 3   # before/after,
 *                                                              # each round against the same floor run
 *
 * The chain (many stores, item-level promotions and prices) is generated from `--seed` into bench/out/. The
 * shared data sets come from ../shared/data (or --data-dir / FOREACT_DATA); missing ones are skipped. The floor
 * (`--floor`, run by this script) forecasts each series' last seven days again, week after week: the least any
 * forecaster does with these files. It uses only Node's own modules (its one local import, ./timed.js, does too),
 * so its start-up is a bare `node`'s.
 */
import { once } from 'node:events';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { timed, type Timed } from './timed.js';

const ROOT = resolve(__dirname, '../..');

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function flags(argv: readonly string[], name: string): string[] {
  return argv.flatMap((a, i) => (a === `--${name}` && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
}

// ---------------------------------------------------------------------------------------------------------
// The floor: a separate process that reads the sales and drivers files and writes a seasonal-naive forecast.

async function* lines(path: string): AsyncGenerator<string> {
  const magic = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  const got = readSync(fd, magic, 0, 2, 0);
  closeSync(fd);
  const raw = createReadStream(path);
  const stream = got === 2 && magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  stream.setEncoding('utf8');
  let pending = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = pending + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield text.slice(start, nl);
      start = nl + 1;
    }
    pending = text.slice(start);
  }
  if (pending.length > 0) yield pending;
}

const DAY_MS = 86_400_000;

async function floor(argv: readonly string[]): Promise<void> {
  const input = flag(argv, 'input')!;
  const output = flag(argv, 'output')!;
  const horizon = Number(flag(argv, 'horizon'));
  // Per series: its last day and the sales of its last seven days (by day of week).
  const series = new Map<string, { store: string; item: string; last: number; week: Float64Array }>();
  let columns: number[] | undefined;
  for await (const line of lines(input)) {
    const fields = line.split(',');
    if (columns === undefined) {
      const names = fields.map((f) => f.trim().toLowerCase());
      columns = ['date', 'store', 'item', 'sales'].map((c) => names.indexOf(c));
      continue;
    }
    if (fields.length < 4) continue;
    const day = Date.parse(fields[columns[0]!]!) / DAY_MS;
    const store = fields[columns[1]!]!;
    const item = fields[columns[2]!]!;
    const sales = Number(fields[columns[3]!]);
    const key = `${store}\u0000${item}`;
    let s = series.get(key);
    if (s === undefined) series.set(key, (s = { store, item, last: day, week: new Float64Array(7) }));
    s.week[day % 7] = sales;
    if (day > s.last) s.last = day;
  }
  // The drivers are read and split like the sales (a forecaster must at least parse them); the floor uses none.
  let driverRows = 0;
  for (const path of flags(argv, 'drivers')) for await (const line of lines(path)) driverRows += line.split(',').length > 1 ? 1 : 0;
  const out = createWriteStream(output);
  let buffer = 'date,store,item,forecast,p10,p90\n';
  for (const s of series.values()) {
    for (let h = 1; h <= horizon; h++) {
      const day = s.last + h;
      const v = s.week[day % 7]!;
      buffer += `${new Date(day * DAY_MS).toISOString().slice(0, 10)},${s.store},${s.item},${v},${v},${v}\n`;
    }
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  process.stderr.write(`floor: ${series.size} series, ${driverRows} driver rows\n`);
}

// ---------------------------------------------------------------------------------------------------------
// The chain: many stores, item-level promotions and prices, generated from a seed.

function generateChain(dir: string, rows: number, seed: number, horizon: number, items: number, days: number): { sales: string; drivers: string } {
  const sales = join(dir, 'sales.csv');
  const drivers = join(dir, 'drivers.csv');
  if (existsSync(sales) && existsSync(drivers)) return { sales, drivers };
  mkdirSync(dir, { recursive: true });
  const stores = Math.max(1, Math.round(rows / (items * days)));
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: the same files for the same seed on every machine.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const first = Date.UTC(2023, 0, 1) / DAY_MS;
  const iso = (d: number): string => new Date(d * DAY_MS).toISOString().slice(0, 10);
  const salesOut: string[] = ['date,store,item,sales\n'];
  const driversOut: string[] = ['date,store,item,promo,price\n'];
  for (let s = 1; s <= stores; s++) {
    let a = '';
    let b = '';
    for (let i = 1; i <= items; i++) {
      const base = 4 + (s % 7) + i * 1.5;
      for (let d = 0; d < days + horizon; d++) {
        const day = iso(first + d);
        const promo = random() < 0.15 ? 1 : 0;
        const price = (promo === 1 ? 1.99 : 2.49) + (i % 5) * 0.5;
        if (d < days) a += `${day},S${s},I${i},${Math.round(base * (1 + 0.3 * Math.sin((d * 2 * Math.PI) / 7)) * (promo === 1 ? 2.2 : 1) * (0.6 + 0.8 * random()))}\n`;
        b += `${day},S${s},I${i},${promo},${price.toFixed(2)}\n`;
      }
    }
    salesOut.push(a);
    driversOut.push(b);
  }
  writeFileSync(sales, salesOut.join(''));
  writeFileSync(drivers, driversOut.join(''));
  return { sales, drivers };
}

// ---------------------------------------------------------------------------------------------------------
// The runs.

interface Case {
  name: string;
  sales: string;
  drivers: string[];
  horizon: number;
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--floor')) return floor(argv);
  // Several --bin: each build measured against the same floor run, round after round (before/after).
  const bins = (flags(argv, 'bin').length > 0 ? flags(argv, 'bin') : [join(ROOT, 'bin/foreact.js')]).map((b) => resolve(b));
  const dataDir = resolve(ROOT, flag(argv, 'data-dir') ?? process.env.FOREACT_DATA ?? '../shared/data');
  const only = flag(argv, 'only')?.split(',');
  const rows = Number(flag(argv, 'rows') ?? 1_000_000);
  const seed = Number(flag(argv, 'seed') ?? 18);
  const repeat = Number(flag(argv, 'repeat') ?? 1);
  // The chain's shape: `rows` sales rows as stores × `items` × `days` (drivers run `horizon` days further).
  const items = Number(flag(argv, 'items') ?? 10);
  const days = Number(flag(argv, 'days') ?? 500);
  const out = join(ROOT, 'bench/out/cli-process');
  mkdirSync(out, { recursive: true });
  const cases: Case[] = [];
  const wants = (name: string): boolean => only === undefined || only.some((o) => name.startsWith(o));
  if (wants('chain')) {
    const chain = generateChain(join(out, `chain-${rows}-${seed}-${items}x${days}`), rows, seed, 28, items, days);
    cases.push({ name: 'chain', sales: chain.sales, drivers: [], horizon: 28 }, { name: 'chain+drivers', sales: chain.sales, drivers: [chain.drivers], horizon: 28 });
  }
  const shared: Case[] = [
    { name: 'store-item', sales: 'store-item/train.csv', drivers: [], horizon: 90 },
    { name: 'm5-tx3-foods3', sales: 'm5-tx3-foods3/sales.csv.gz', drivers: [], horizon: 28 },
    { name: 'm5-tx3-foods3+drivers', sales: 'm5-tx3-foods3/sales.csv.gz', drivers: ['m5-tx3-foods3/drivers.csv'], horizon: 28 },
    { name: 'pasta-promo+drivers', sales: 'pasta-promo/sales.csv.gz', drivers: ['pasta-promo/promotions.csv.gz', 'pasta-promo/calendar.csv'], horizon: 92 },
  ];
  for (const c of shared) {
    if (!wants(c.name)) continue;
    if (!existsSync(join(dataDir, c.sales))) {
      process.stderr.write(`cli-process: ${join(dataDir, c.sales)} not found, skipped\n`);
      continue;
    }
    cases.push({ ...c, sales: join(dataDir, c.sales), drivers: c.drivers.map((d) => join(dataDir, d)) });
  }
  const table = [
    `Seasonal-naive floor and ${bins.length === 1 ? 'the CLI' : 'each CLI'} as spawned processes, back to back in each of ${repeat} round(s); the round with the median CLI ÷ floor ratio is shown.`,
    ...bins.map((b, i) => `CLI ${bins.length === 1 ? '' : `${String.fromCharCode(65 + i)} `}= ${b}`),
    '',
    `| data |${bins.length === 1 ? '' : ' CLI |'} floor wall s | CLI wall s | CLI ÷ floor | CLI read s (sales + drivers) | read ÷ floor | CLI peak MB | floor peak MB |`,
    `|---|${bins.length === 1 ? '' : '---|'}---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const c of cases) {
    const driverArgs = c.drivers.flatMap((d) => ['--drivers', d]);
    const rounds = bins.map(() => [] as { floor: Timed; cli: Timed; read: number }[]);
    for (let r = 0; r < repeat; r++) {
      const floorRun = timed(process.execPath, [__filename, '--floor', '--input', c.sales, ...driverArgs, '--horizon', String(c.horizon), '--output', join(out, `${c.name}-floor.csv`)]);
      bins.forEach((bin, i) => {
        const cli = timed(process.execPath, [bin, 'forecast', '--input', c.sales, ...driverArgs, '--horizon', String(c.horizon), '--output', join(out, `${c.name}-foreact-${i}.csv`)]);
        rounds[i]!.push({ floor: floorRun, cli, read: Number(/read ([\d.]+) s/.exec(cli.stderr)?.[1] ?? Number.NaN) });
      });
    }
    const mb = (v: number | undefined): string => (v === undefined ? '—' : v.toFixed(0));
    rounds.forEach((list, i) => {
      const { floor: f, cli, read } = [...list].sort((x, y) => x.cli.seconds / x.floor.seconds - y.cli.seconds / y.floor.seconds)[Math.floor((list.length - 1) / 2)]!;
      table.push(`| ${c.name} |${bins.length === 1 ? '' : ` ${String.fromCharCode(65 + i)} |`} ${f.seconds.toFixed(2)} | ${cli.seconds.toFixed(2)} | ${(cli.seconds / f.seconds).toFixed(2)}× | ${read.toFixed(2)} | ${(read / f.seconds).toFixed(2)}× | ${mb(cli.peakMb)} | ${mb(f.peakMb)} |`);
    });
    process.stderr.write(`cli-process: ${c.name} done\n`);
  }
  process.stdout.write(`${table.join('\n')}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`cli-process: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
