import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readSalesHistory, seriesByStore, type SeriesHistory } from '../../engine/index.js';
import { UsageError } from '../args.js';

const SHOWN_ERRORS = 20;

/** Reads a sales file, refusing it as a whole (with every bad line named) if any row is bad. */
export async function loadSalesFile(path: string): Promise<{ series: SeriesHistory[]; rows: number }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`--input ${path} is not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --input ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const result = await readSalesHistory(createReadStream(path));
  if (result.errors.length > 0) {
    const shown = result.errors.slice(0, SHOWN_ERRORS).map((e) => `  ${path}:${e.line}: ${e.reason}`);
    const more = result.errors.length > SHOWN_ERRORS ? [`  … and ${result.errors.length - SHOWN_ERRORS} more`] : [];
    throw new UsageError([`${path}: ${result.errors.length} bad row(s), nothing was written:`, ...shown, ...more].join('\n'));
  }
  return { series: result.series, rows: result.rows };
}

export function groupByStore(series: readonly SeriesHistory[]): SeriesHistory[][] {
  return [...seriesByStore(series).values()];
}
