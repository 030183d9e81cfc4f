import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { mergeDriverTables, readDrivers, readSalesHistory, readStoreAttributes, seriesByStore, type DriverTable, type RowError, type SeriesHistory, type StoreAttributeTable } from '../../engine/index.js';
import { readItemMaster, type ItemMaster } from '../../core/domain/item-master.js';
import { UsageError } from '../args.js';

const SHOWN_ERRORS = 20;

async function assertReadable(path: string, flag: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${flag} ${path} is not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** A file refused whole: the first SHOWN_ERRORS bad lines named, and how many more there are. */
function refusedWhole(heading: string, path: string, errors: readonly RowError[], count: number): UsageError {
  const shown = errors.slice(0, SHOWN_ERRORS).map((e) => `  ${path}:${e.line}: ${e.reason}`);
  const more = count > SHOWN_ERRORS ? [`  … and ${count - SHOWN_ERRORS} more`] : [];
  return new UsageError([`${heading}: ${count} bad row(s), nothing was written:`, ...shown, ...more].join('\n'));
}

/** Reads a sales file, refusing it as a whole (with every bad line named) if any row is bad. */
export async function loadSalesFile(path: string): Promise<{ series: SeriesHistory[]; rows: number }> {
  await assertReadable(path, '--input');
  const result = await readSalesHistory(createReadStream(path));
  if (result.errors.length > 0) throw refusedWhole(path, path, result.errors, result.errors.length);
  return { series: result.series, rows: result.rows };
}

export function groupByStore(series: readonly SeriesHistory[]): SeriesHistory[][] {
  return [...seriesByStore(series).values()];
}

/**
 * Reads and joins the `--drivers` files, refusing them as a whole (every bad line named, per file) if any
 * row is bad or two files give the same column for the same date/store/item.
 */
export async function loadDriversFiles(paths: readonly string[]): Promise<DriverTable | undefined> {
  if (paths.length === 0) return undefined;
  const tables: { table: DriverTable; source: string }[] = [];
  const problems: string[] = [];
  let count = 0;
  for (const path of paths) {
    await assertReadable(path, '--drivers');
    const result = await readDrivers(createReadStream(path), path);
    count += result.errorCount;
    problems.push(...result.errors.slice(0, SHOWN_ERRORS).map((e) => `  ${path}:${e.line}: ${e.reason}`));
    if (result.errorCount > SHOWN_ERRORS) problems.push(`  … and ${result.errorCount - SHOWN_ERRORS} more in ${path}`);
    tables.push({ table: result.table, source: path });
  }
  if (count === 0) {
    const merged = mergeDriverTables(tables);
    count += merged.errors.length;
    problems.push(...merged.errors.slice(0, SHOWN_ERRORS).map((e) => `  ${e.source}:${e.line}: ${e.reason}`));
    if (merged.errors.length > SHOWN_ERRORS) problems.push(`  … and ${merged.errors.length - SHOWN_ERRORS} more`);
    if (count === 0) return merged.table;
  }
  throw new UsageError([`drivers: ${count} bad row(s), nothing was written:`, ...problems].join('\n'));
}

/**
 * Reads the `--stores` attributes file, refusing it as a whole (every bad line named) if any row is bad, as
 * for drivers. Store ids follow the sales reader's rule, so every store the sales name can have a row; text
 * values are not held to the label alphabet, as drivers' are not here (nothing of them is written out).
 */
export async function loadStoreAttributesFile(path: string | undefined): Promise<StoreAttributeTable | undefined> {
  if (path === undefined) return undefined;
  await assertReadable(path, '--stores');
  const result = await readStoreAttributes(createReadStream(path), { checkLabels: false });
  if (result.errorCount === 0) return result.table;
  throw refusedWhole('store attributes', path, result.errors, result.errorCount);
}

/** Reads an item master (pack sizes), refusing it as a whole (with every bad line named) if any row is bad. */
export async function loadItemMasterFile(path: string | undefined): Promise<ItemMaster | undefined> {
  if (path === undefined) return undefined;
  await assertReadable(path, '--items');
  const result = await readItemMaster(createReadStream(path));
  if (result.errorCount === 0) return result.items;
  throw refusedWhole('item master', path, result.errors, result.errorCount);
}
