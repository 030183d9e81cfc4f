import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { once } from 'node:events';
import { FAMILY_NAMES, formatIsoDay, type FamilyName, type SeriesForecast } from '../../engine/index.js';
import { trainStores } from './train-stores.js';
import { UsageError, integerFlag, parseArgs, requireFlag, type ParsedArgs } from '../args.js';
import { groupByStore, loadSalesFile } from './load.js';

export const FORECAST_HEADER = 'date,store,item,forecast,p10,p90';

export function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes to a temporary file beside the target and renames it, so a failure never leaves half a file. */
export async function writeForecastCsv(path: string, forecasts: readonly SeriesForecast[]): Promise<number> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const out = createWriteStream(temporary);
  let rows = 0;
  try {
    let buffer = `${FORECAST_HEADER}\n`;
    for (const f of forecasts) {
      const prefix = `,${csvField(f.store)},${csvField(f.item)},`;
      for (let s = 0; s < f.forecast.length; s++) {
        buffer += `${formatIsoDay(f.firstDay + s)}${prefix}${formatNumber(f.forecast[s]!)},${formatNumber(f.p10[s]!)},${formatNumber(f.p90[s]!)}\n`;
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

export async function forecastCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['input', 'horizon', 'output', 'folds', 'families']);
  const input = requireFlag(args, 'input');
  const output = requireFlag(args, 'output');
  const horizon = integerFlag(args, 'horizon', undefined, 1, 3660);
  const folds = integerFlag(args, 'folds', 3, 0, 10);
  const families = familiesFlag(args);
  const started = performance.now();
  const { series, rows } = await loadSalesFile(input);
  const loaded = performance.now();
  const forecasts = await trainStores(groupByStore(series), families === undefined ? { horizon, folds } : { horizon, folds, families });
  const trained = performance.now();
  const written = await writeForecastCsv(output, forecasts);
  process.stderr.write(
    `foreact: ${rows} rows, ${series.length} series → ${written} forecast rows in ${output} ` +
      `(read ${((loaded - started) / 1000).toFixed(2)} s, train ${((trained - loaded) / 1000).toFixed(2)} s, write ${((performance.now() - trained) / 1000).toFixed(2)} s)\n`,
  );
  return 0;
}
