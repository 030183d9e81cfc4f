import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError, loadConfig } from '../../core/config.js';
import { createRuntime } from '../../core/runtime.js';
import { DRIVERS_UPLOAD_PREFIX, ingestDriversUpload } from '../../core/domain/drivers-ingestion.js';
import { ingestUpload } from '../../core/domain/ingestion.js';
import { ingestItemMasterUpload, ITEM_MASTER_UPLOAD_PREFIX } from '../../core/domain/item-master.js';
import { systemClock } from '../../core/ports/index.js';
import { UsageError, parseArgs, requireFlag } from '../args.js';

/**
 * `foreact ingest --input sales.csv[.gz] | --drivers drivers.csv[.gz] | --items items.csv[.gz] [--name <upload name>]`:
 * what the `ingest-sales` trigger does with an upload of sales (or of drivers: promotions, events, closures; or
 * of the item master: pack sizes),
 * against the configured storage (AzureWebJobsStorage, else the local Azurite on its default ports).
 * Exit 0 when some rows were accepted (rejected rows are listed), 1 when the whole file is unusable.
 */
export async function ingestCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['input', 'name', 'drivers', 'items']);
  const drivers = args.flags.get('drivers');
  const items = args.flags.get('items');
  if ([drivers, items, args.flags.get('input')].filter((f) => f !== undefined).length > 1) throw new UsageError('give one of --input (sales), --drivers (drivers) or --items (item master)');
  const input = drivers ?? items ?? requireFlag(args, 'input');
  try {
    if (!(await stat(input)).isFile()) throw new UsageError(`--input ${input} is not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read --input ${input}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const name = args.flags.get('name') ?? `${drivers !== undefined ? DRIVERS_UPLOAD_PREFIX : items !== undefined ? ITEM_MASTER_UPLOAD_PREFIX : ''}cli/${new Date().toISOString().slice(0, 10)}/${basename(input)}`;
  // The command's one runtime: its telemetry records the ingestion's metrics and spans.
  const runtime = createRuntime(config);
  let storage;
  let metrics;
  try {
    ({ storage, metrics } = await runtime.deps());
  } catch (error) {
    const where = config.storage.kind === 'connectionString' && config.storage.source === 'local-azurite-default' ? 'the local Azurite (127.0.0.1:10000/10002; set AzureWebJobsStorage to use another account)' : 'the configured storage account';
    process.stderr.write(`foreact ingest: cannot reach ${where}: ${(error as Error).message}\n`);
    return 1;
  }
  const source = { name, open: () => createReadStream(input) };
  let result;
  try {
    result =
      drivers !== undefined ? await ingestDriversUpload(storage, source, { clock: systemClock, rules: config.ingest })
      : items !== undefined ? await ingestItemMasterUpload(storage, source, { clock: systemClock, rules: config.ingest })
      : await ingestUpload(storage, source, { clock: systemClock, rules: config.ingest, metrics });
  } finally {
    // A CLI run is over in seconds: the realised-accuracy metrics and spans it recorded must leave before it exits.
    await runtime.telemetry.flush();
  }
  const out = process.stdout;
  if (result.duplicate) {
    out.write(`${input}: already ingested (same content as upload "${result.upload}", key ${result.key.slice(0, 12)}…); nothing changed\n`);
    return result.status === 'rejected' ? 1 : 0;
  }
  if (items !== undefined) {
    out.write(`${input}: ${result.status === 'applied' ? `pack sizes of ${result.accepted} item(s) stored; the item master is replaced` : 'nothing applied'}${result.rejectedCount > 0 ? `, ${result.rejectedCount} bad line(s)` : ''}\n`);
    for (const e of result.rejected) out.write(`  ${input}:${e.line}: ${e.reason}\n`);
    if (result.rejectedBlob) out.write(`rejected rows written to ${result.rejectedBlob}\n`);
    if (result.status === 'rejected') process.stderr.write(`foreact ingest: ${input} is refused whole: ${result.reason ?? 'no usable rows'}\n`);
    return result.status === 'rejected' ? 1 : 0;
  }
  const what = drivers !== undefined ? 'drivers' : 'history';
  out.write(`${input}: ${result.accepted} row(s) accepted, ${result.rejectedCount} rejected; ${what} changed for ${result.changedStores.length} store(s)${result.changedStores.length > 0 ? ` (${result.changedStores.slice(0, 20).join(', ')}${result.changedStores.length > 20 ? ', …' : ''})${drivers !== undefined ? '' : ', now marked stale'}` : ''}\n`);
  for (const e of result.rejected) out.write(`  ${input}:${e.line}: ${e.reason}\n`);
  if (result.rejectedBlob) out.write(`rejected rows written to ${result.rejectedBlob}\n`);
  if (result.status === 'rejected') {
    process.stderr.write(`foreact ingest: ${input} has no usable rows: ${result.reason ?? 'nothing to ingest'}\n`);
    return 1;
  }
  return 0;
}
