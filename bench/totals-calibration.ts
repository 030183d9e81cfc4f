/**
 * Calibration of store-day totals (issue 21) on the shared data sets (../shared/data, never copied into the
 * repo): each store is trained on its sales up to a cut (with the set's drivers, as production trains it),
 * forecasts the set's horizon, and each store-day total's p50/p80/p90/p95 is computed three ways in the same
 * run — ours (sumQuantiles with the store's trained rho), the sum of the items' own quantiles, and the
 * independent sum (rho = 0) — then compared with the actual totals after the cut. Figures, not assertions.
 *
 *   node dist/bench/totals-calibration.js                      # every set, three splits each
 *   node dist/bench/totals-calibration.js --data pasta-promo --cutoff 2018-06-30
 *
 * Each split's per-store-day figures are cached in bench/out/totals/ (delete them after an engine change).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LEVEL_PROBABILITY, SERVICE_LEVELS, driversForStore, estimateCrossRho, mergeDriverTables, parseIsoDay, readDrivers, readSalesHistory, seriesByStore, sumQuantiles, trainStore, type Marginal, type SeriesHistory, type ServiceLevel } from '../engine/index.js';
import { SHARED_DATA_SETS, type SharedDataSet } from './data-sets.js';

const ROOT = resolve(process.env.FOREACT_ROOT ?? resolve(__dirname, '../..'));
const OUT = join(ROOT, 'bench/out/totals');

const METHODS = ['ours', 'sum of item quantiles', 'independent sum'] as const;
type Method = (typeof METHODS)[number];

/** One store-day after the cut: its actual total and each method's quantiles of it. */
interface StoreDay {
  store: string;
  step: number;
  actual: number;
  /** Σ of the items' point forecasts: how often the actual falls below it shows the forecasts' own bias. */
  mean: number;
  /** Our store-day total as a part of the region's (mean, p10, p90). */
  ours: Marginal;
  quantiles: Record<Method, Record<ServiceLevel, number>>;
}

interface SplitResult {
  rho: Record<string, number>;
  /** Each store's held-out standardised total residuals from training: the cross-store dependence. */
  residuals: Record<string, { date: string; z: number }[]>;
  days: StoreDay[];
  seconds: number;
}

/** The file as the readers take it (they unzip a gzip file themselves). */
function bytesOf(path: string): Buffer[] {
  return [readFileSync(path)];
}

/** Each series cut at `cutoff` (what training sees) and the days after it (what the totals are judged on). */
function split(series: readonly SeriesHistory[], cutoff: number): { train: SeriesHistory[]; after: Map<string, SeriesHistory> } {
  const train: SeriesHistory[] = [];
  const after = new Map<string, SeriesHistory>();
  for (const s of series) {
    const keep = Math.max(0, Math.min(s.values.length, cutoff - s.startDay + 1));
    if (keep >= 1) train.push({ ...s, values: s.values.subarray(0, keep) });
    if (keep < s.values.length) after.set(`${s.store}\u0000${s.item}`, { ...s, startDay: s.startDay + keep, values: s.values.subarray(keep) });
  }
  return { train, after };
}

async function runSplit(data: SharedDataSet, dataDir: string, cutoffText: string): Promise<SplitResult> {
  const started = performance.now();
  const sales = await readSalesHistory(bytesOf(join(dataDir, data.file)));
  if (sales.errorCount > 0) throw new Error(`${data.file}: ${sales.errorCount} bad rows`);
  const tables = [];
  for (const file of data.drivers) {
    const read = await readDrivers(bytesOf(join(dataDir, file)), file);
    if (read.errorCount > 0) throw new Error(`${file}: ${read.errorCount} bad rows`);
    tables.push({ table: read.table, source: file });
  }
  const table = tables.length === 0 ? undefined : mergeDriverTables(tables).table;
  const cutoff = parseIsoDay(cutoffText)!;
  const { train, after } = split(sales.series, cutoff);
  const rho: Record<string, number> = {};
  const residuals: Record<string, { date: string; z: number }[]> = {};
  const days: StoreDay[] = [];
  for (const [store, series] of seriesByStore(train)) {
    const drivers = table === undefined ? undefined : driversForStore(table, store, series.map((s) => s.item));
    const result = trainStore(series, { horizon: data.horizon, ...(drivers === undefined ? {} : { drivers }) });
    const storeRho = result.totals?.rho ?? 0;
    rho[store] = storeRho;
    residuals[store] = result.totals?.residuals ?? [];
    for (let step = 0; step < data.horizon; step++) {
      const day = cutoff + 1 + step;
      const parts: Marginal[] = [];
      let actual = 0;
      for (const f of result.forecasts) {
        // The store-day is judged on the items that sold or reported that day (a closed day has no rows).
        const later = after.get(`${f.store}\u0000${f.item}`);
        const value = later?.values[day - later.startDay];
        if (value === undefined || value !== value) continue;
        const offset = day - f.firstDay;
        if (offset < 0 || offset >= f.forecast.length) continue;
        parts.push({ mean: f.forecast[offset]!, p10: f.p10[offset]!, p90: f.p90[offset]! });
        actual += value;
      }
      if (parts.length === 0) continue;
      const own = parts.map((p) => sumQuantiles([p], 0).quantiles);
      const sumOfQuantiles = Object.fromEntries(SERVICE_LEVELS.map((level) => [level, own.reduce((sum, q) => sum + q[level], 0)])) as Record<ServiceLevel, number>;
      const ours = sumQuantiles(parts, storeRho);
      days.push({
        store,
        step,
        actual,
        mean: parts.reduce((sum, p) => sum + p.mean, 0),
        ours: { mean: ours.mean, p10: ours.p10, p90: ours.p90 },
        quantiles: { ours: ours.quantiles, 'sum of item quantiles': sumOfQuantiles, 'independent sum': sumQuantiles(parts, 0).quantiles },
      });
    }
    process.stderr.write(`bench: ${data.name}@${cutoffText} store ${store}: rho ${storeRho.toFixed(3)}, calibration ${JSON.stringify(result.totals?.calibration ?? null)}\n`);
  }
  return { rho, residuals, days, seconds: (performance.now() - started) / 1000 };
}

function belowMean(days: readonly StoreDay[]): string {
  return ((days.filter((d) => d.actual <= d.mean).length / Math.max(1, days.length)) * 100).toFixed(1);
}

/** The lead times a transport booking looks at. */
const NEAR_TERM_DAYS = 14;

function shares(days: readonly StoreDay[], method: Method): Record<ServiceLevel, number> {
  const out = { p50: 0, p80: 0, p90: 0, p95: 0 };
  for (const d of days) for (const level of SERVICE_LEVELS) if (d.actual <= d.quantiles[method][level]) out[level]++;
  for (const level of SERVICE_LEVELS) out[level] /= Math.max(1, days.length);
  return out;
}

/**
 * Region totals where a split has several stores: each day's stores' totals (ours, as parts) summed with the
 * stores' dependence from their training residuals (estimateCrossRho), beside the same parts summed
 * independently and the sum of the stores' quantiles.
 */
function regionLines(name: string, cutoff: string, result: SplitResult): string[] {
  const stores = Object.keys(result.residuals);
  if (stores.length < 2) return [];
  const cross = estimateCrossRho(stores.map((s) => result.residuals[s]!));
  const bySteps = new Map<number, StoreDay[]>();
  for (const d of result.days) bySteps.set(d.step, [...(bySteps.get(d.step) ?? []), d]);
  const below = { ours: { p50: 0, p80: 0, p90: 0, p95: 0 }, independent: { p50: 0, p80: 0, p90: 0, p95: 0 }, sum: { p50: 0, p80: 0, p90: 0, p95: 0 } };
  let count = 0;
  for (const days of bySteps.values()) {
    if (days.length !== stores.length) continue;
    const actual = days.reduce((sum, d) => sum + d.actual, 0);
    const ours = sumQuantiles(days.map((d) => d.ours), cross.rho).quantiles;
    const independent = sumQuantiles(days.map((d) => d.ours), 0).quantiles;
    count++;
    for (const level of SERVICE_LEVELS) {
      if (actual <= ours[level]) below.ours[level]++;
      if (actual <= independent[level]) below.independent[level]++;
      if (actual <= days.reduce((sum, d) => sum + d.quantiles.ours[level], 0)) below.sum[level]++;
    }
  }
  const row = (label: string, b: Record<ServiceLevel, number>): string => `| ${name} | ${cutoff} | ${count} | ${cross.rho.toFixed(3)} | ${label} | ${SERVICE_LEVELS.map((level) => ((b[level] / Math.max(1, count)) * 100).toFixed(1)).join(' | ')} |`;
  return [row('**ours** (stores with cross rho)', below.ours), row('stores independent', below.independent), row("sum of stores' quantiles", below.sum)];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dataDir = resolve(ROOT, argv.includes('--data-dir') ? argv[argv.indexOf('--data-dir') + 1]! : process.env.FOREACT_DATA ?? '../shared/data');
  const only = argv.includes('--data') ? argv[argv.indexOf('--data') + 1]!.split(',') : undefined;
  const cutoffOnly = argv.includes('--cutoff') ? argv[argv.indexOf('--cutoff') + 1]! : undefined;
  mkdirSync(OUT, { recursive: true });
  const lines = ['| data | split | store-days | rho (median of stores) | actual ≤ Σ forecast % | method | p50 | p80 | p90 | p95 | largest miss (points) |', '|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|'];
  const all: Record<Method, StoreDay[]> = { ours: [], 'sum of item quantiles': [], 'independent sum': [] };
  const region = ['| data | split | region-days | cross-store rho | method | p50 | p80 | p90 | p95 |', '|---|---|---:|---:|---|---:|---:|---:|---:|'];
  for (const data of SHARED_DATA_SETS) {
    if (only !== undefined && !only.includes(data.name)) continue;
    for (const cutoff of data.cutoffs) {
      if (cutoffOnly !== undefined && cutoff !== cutoffOnly) continue;
      const cache = join(OUT, `${data.name}@${cutoff}.json`);
      let result: SplitResult;
      if (existsSync(cache)) result = JSON.parse(readFileSync(cache, 'utf8')) as SplitResult;
      else {
        result = await runSplit(data, dataDir, cutoff);
        writeFileSync(cache, JSON.stringify(result));
      }
      region.push(...regionLines(data.name, cutoff, result));
      const rhos = Object.values(result.rho).sort((a, b) => a - b);
      const medianRho = rhos[Math.floor((rhos.length - 1) / 2)] ?? 0;
      for (const method of METHODS) {
        const s = shares(result.days, method);
        all[method].push(...result.days);
        const miss = Math.max(...SERVICE_LEVELS.map((level) => Math.abs(s[level] - LEVEL_PROBABILITY[level]) * 100));
        lines.push(`| ${data.name} | ${cutoff} | ${result.days.length} | ${medianRho.toFixed(3)} | ${belowMean(result.days)} | ${method === 'ours' ? '**ours**' : method} | ${SERVICE_LEVELS.map((level) => (s[level] * 100).toFixed(1)).join(' | ')} | ${miss.toFixed(1)} |`);
      }
      process.stderr.write(`bench: ${data.name}@${cutoff} done (${result.seconds.toFixed(1)} s when computed)\n`);
    }
  }
  for (const [label, nearTerm] of [['all splits', false], [`all splits, days 1–${NEAR_TERM_DAYS}`, true]] as const) {
    for (const method of METHODS) {
      const days = nearTerm ? all[method].filter((d) => d.step < NEAR_TERM_DAYS) : all[method];
      const s = shares(days, method);
      const miss = Math.max(...SERVICE_LEVELS.map((level) => Math.abs(s[level] - LEVEL_PROBABILITY[level]) * 100));
      lines.push(`| ${label} | — | ${days.length} | — | ${belowMean(days)} | ${method === 'ours' ? '**ours**' : method} | ${SERVICE_LEVELS.map((level) => (s[level] * 100).toFixed(1)).join(' | ')} | ${miss.toFixed(1)} |`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\nRegion totals (splits with more than one store):\n\n${region.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
