import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { FAMILY_NAMES, attributesForStore, describeStoreAttributes, driverCoverage, driverNotes, driversForStore, formatIsoDay, lastDay, parseIsoDay, type DriverTable, type FamilyName, type SeriesForecast, type SeriesHistory, type TrainOptions } from '../../engine/index.js';
import { csvField } from '../../engine/csv-write.js';
import { TrainPool, trainStoreJobs, trainStores, type StoreJob } from './train-stores.js';
import { UsageError, integerFlag, parseArgs, requireFlag, type ParsedArgs } from '../args.js';
import { groupByStore, loadDriversFiles, loadItemMasterFile, loadSalesFile, loadStoreAttributesFile } from './load.js';
import { unitFactor, type ItemMaster } from '../../core/domain/item-master.js';
import { describePooledStep, pooledStep } from './pooled.js';

export const FORECAST_HEADER = 'date,store,item,forecast,p10,p90';

export function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** The forecast in cases and pallets, as two more columns (both empty for an item without pack sizes). */
function packColumns(master: ItemMaster, item: string): ((value: number) => string) {
  const sizes = master.get(item);
  const cases = unitFactor(sizes, 'cases');
  const pallets = unitFactor(sizes, 'pallets');
  return cases === undefined || pallets === undefined ? () => ',,' : (value) => `,${formatNumber(value * cases)},${formatNumber(value * pallets)}`;
}

/**
 * Writes to a temporary file beside the target and renames it, so a failure never leaves half a file. With an
 * item master the forecast is also given in cases and pallets (`cases,pallets` after `p90`); without one the
 * output is as it always was.
 */
export async function writeForecastCsv(path: string, forecasts: readonly SeriesForecast[], master?: ItemMaster): Promise<number> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const out = createWriteStream(temporary);
  let rows = 0;
  try {
    let buffer = `${FORECAST_HEADER}${master === undefined ? '' : ',cases,pallets'}\n`;
    for (const f of forecasts) {
      const prefix = `,${csvField(f.store)},${csvField(f.item)},`;
      const packs = master === undefined ? () => '' : packColumns(master, f.item);
      for (let s = 0; s < f.forecast.length; s++) {
        buffer += `${formatIsoDay(f.firstDay + s)}${prefix}${formatNumber(f.forecast[s]!)},${formatNumber(f.p10[s]!)},${formatNumber(f.p90[s]!)}${packs(f.forecast[s]!)}\n`;
        rows++;
      }
      if (buffer.length > 1 << 16) {
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    }
    out.end(buffer);
    await once(out, 'finish');
    await rename(temporary, path);
    return rows;
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

/** `--families calendar,tsb` restricts the candidates (for comparisons); default all. */
export function familiesFlag(args: ParsedArgs): FamilyName[] | undefined {
  const text = args.flags.get('families');
  if (text === undefined) return undefined;
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(FAMILY_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) throw new UsageError(`--families: unknown family "${unknown.join(', ')}" (known: ${FAMILY_NAMES.join(', ')})`);
  return names as FamilyName[];
}

/** "2018-12-29 … 2018-12-31, 2019-01-05": consecutive days shown as one range. */
export function describeDays(days: readonly string[]): string {
  const parts: string[] = [];
  let runStart = 0;
  for (let i = 1; i <= days.length; i++) {
    const previous = parseIsoDay(days[i - 1]!)!;
    if (i < days.length && parseIsoDay(days[i]!) === previous + 1) continue;
    parts.push(i - 1 === runStart ? days[runStart]! : `${days[runStart]!} … ${days[i - 1]!}`);
    runStart = i;
  }
  return parts.join(', ');
}

export interface DriverRunMessages {
  warnings: string[];
  notes: string[];
}

/**
 * Each store with its own drivers: checks (and warns) that the drivers reach the store's horizon, then
 * trains the stores on worker threads, one per core, like the run without drivers (in-process under a
 * TypeScript loader or for a single store). Results come back in input order.
 */
export async function trainStoresWithDrivers(stores: readonly SeriesHistory[][], table: DriverTable, optionsOf: TrainOptions | ((store: string) => TrainOptions), threads = availableParallelism(), pool?: TrainPool): Promise<{ forecasts: SeriesForecast[] } & DriverRunMessages> {
  const warnings: string[] = [];
  const notes = new Set<string>();
  const jobs: StoreJob[] = stores.map((store) => {
    const id = store[0]!.store;
    const options = typeof optionsOf === 'function' ? optionsOf(id) : optionsOf;
    const drivers = driversForStore(table, id, store.map((s) => s.item));
    const last = Math.max(...store.map((s) => lastDay(s)));
    if (drivers === undefined) {
      warnings.push(`no drivers apply to store ${id}: forecast without them`);
      return { series: store, options };
    }
    const gap = driverCoverage(drivers, last + 1, last + options.horizon);
    if (gap !== undefined) warnings.push(`drivers for store ${id} do not cover ${gap.missingDays.length} day(s) of the horizon (${describeDays(gap.missingDays)}): those days are forecast without driver effects`);
    for (const note of driverNotes(drivers, store.map((s) => ({ item: s.item, values: s.values, startDay: s.startDay })), last)) notes.add(note);
    return { series: store, options: { ...options, drivers } };
  });
  const forecasts = await trainStoreJobs(jobs, threads, pool);
  return { forecasts, warnings, notes: [...notes] };
}

export async function forecastCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['input', 'horizon', 'output', 'folds', 'families', 'stores', 'items'], [], ['drivers']);
  const input = requireFlag(args, 'input');
  const output = requireFlag(args, 'output');
  const horizon = integerFlag(args, 'horizon', undefined, 1, 3660);
  const folds = integerFlag(args, 'folds', 3, 0, 10);
  const families = familiesFlag(args);
  const started = performance.now();
  // Read before the workers start and before training: a bad item master is a usage error, not an hour lost.
  const master = await loadItemMasterFile(args.flags.get('items'));
  const pool = new TrainPool();
  let forecasts: SeriesForecast[];
  let loaded: number;
  let rows: number;
  let seriesCount: number;
  try {
    const sales = await loadSalesFile(input);
    const table = await loadDriversFiles(args.lists.get('drivers') ?? []);
    const attributes = await loadStoreAttributesFile(args.flags.get('stores'));
    loaded = performance.now();
    rows = sales.rows;
    seriesCount = sales.series.length;
    const stores = groupByStore(sales.series);
    if (attributes !== undefined) process.stderr.write(`foreact: note: store attributes: ${describeStoreAttributes(attributes, stores.map((s) => s[0]!.store))}\n`);
    const pooled = await pooledStep(stores, table, attributes, { horizon, folds, families }, pool);
    if (pooled !== undefined) process.stderr.write(`foreact: note: ${describePooledStep(pooled)}\n`);
    const base: TrainOptions = { horizon, folds, ...(families === undefined ? {} : { families }), ...(pooled === undefined ? {} : { pooled: pooled.artifact }) };
    const options = (store: string): TrainOptions => {
      const own = attributes === undefined ? undefined : attributesForStore(attributes, store);
      return own === undefined ? base : { ...base, attributes: own };
    };
    if (table === undefined) {
      forecasts = await trainStores(stores, options, undefined, pool);
    } else {
      const messages = await trainStoresWithDrivers(stores, table, options, undefined, pool);
      forecasts = messages.forecasts;
      for (const warning of messages.warnings) process.stderr.write(`foreact: warning: ${warning}\n`);
      for (const note of messages.notes) process.stderr.write(`foreact: note: ${note}\n`);
    }
  } finally {
    await pool.close();
  }
  const trained = performance.now();
  const written = await writeForecastCsv(output, forecasts, master);
  process.stderr.write(
    `foreact: ${rows} rows, ${seriesCount} series → ${written} forecast rows in ${output} ` +
      `(read ${((loaded - started) / 1000).toFixed(2)} s, train ${((trained - loaded) / 1000).toFixed(2)} s, write ${((performance.now() - trained) / 1000).toFixed(2)} s)\n`,
  );
  return 0;
}
