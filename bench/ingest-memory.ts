/**
 * Ingestion memory benchmark (issue 13, hole 2): a generated sales upload of `--mb` MiB, produced on the fly
 * by a generator (never written to disk), ingested by `ingestUpload` into Azurite the way the queue-triggered
 * function does (hash pass, parse pass, per-store merge). Prints one JSON line: rows, seconds, peak RSS and
 * heap. With `--announce [--pause-ms N]`, prints `merged <store>` after each store's history blob is
 * written and pauses N ms (the kill-and-redeliver test kills the process there).
 *
 *   npm run build && node dist/bench/ingest-memory.js --mb 1024 [--stores 50] [--items 100]
 *
 * Without AzureWebJobsStorage in the environment it starts its own Azurite.
 */
import { parseArgs } from 'node:util';
import { openStorage } from '../core/adapters/azure/index.js';
import { loadConfig } from '../core/config.js';
import { ingestUpload } from '../core/domain/ingestion.js';
import type { UploadSource } from '../core/ports/index.js';
import { formatIsoDay, parseIsoDay } from '../engine/index.js';
import { startAzurite } from '../scripts/azurite.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '1024' }, stores: { type: 'string', default: '50' }, items: { type: 'string', default: '100' }, announce: { type: 'boolean', default: false }, 'pause-ms': { type: 'string', default: '0' }, prefix: { type: 'string', default: 'S' }, name: { type: 'string', default: 'generated.csv' } } });
const TARGET = Number(values.mb) * 1024 * 1024;
const STORES = Number(values.stores);
const ITEMS = Number(values.items);
const FIRST = parseIsoDay('2023-01-01')!;

/** `date,store,item,sales,description` rows, about 200 bytes each, day by day; ~1 MiB string chunks. */
async function* generate(): AsyncGenerator<string> {
  let bytes = 0;
  let chunk = 'date,store,item,sales,description\n';
  for (let day = FIRST; bytes < TARGET; day++) {
    const date = formatIsoDay(day);
    for (let s = 1; s <= STORES && bytes < TARGET; s++) {
      const store = `${values.prefix}${String(s).padStart(3, '0')}`;
      for (let i = 1; i <= ITEMS; i++) {
        const item = `I${String(i).padStart(4, '0')}`;
        const line = `${date},${store},${item},${(day * 7 + s * 13 + i) % 50},Item ${item} of store ${store} in the generated upload; a description column as upstream exports carry - ignored by the contract - padded to about two hundred bytes\n`;
        chunk += line;
        bytes += line.length;
      }
      if (chunk.length >= 1024 * 1024) {
        yield chunk;
        chunk = '';
        await Promise.resolve();
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function main(): Promise<void> {
  const azurite = process.env.AzureWebJobsStorage ? undefined : await startAzurite();
  try {
    const config = loadConfig(azurite ? { ...process.env, AzureWebJobsStorage: azurite.connectionString } : process.env);
    const storage = await openStorage(config);
    const ports = values.announce
      ? {
          ...storage,
          history: {
            read: (blob: string) => storage.history.read(blob),
            delete: (blob: string) => storage.history.delete(blob),
            write: async (...args: Parameters<typeof storage.history.write>) => {
              const ref = await storage.history.write(...args);
              process.stdout.write(`merged ${args[0]}\n`);
              // Time for a test to kill the process here, before the store's pointer switch.
              await new Promise((resolve) => setTimeout(resolve, Number(values['pause-ms'])));
              return ref;
            },
          },
        }
      : storage;
    let peakRss = 0;
    let peakHeap = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    const baseline = process.memoryUsage().rss;
    const timer = setInterval(sample, 50);
    const source: UploadSource = { name: String(values.name), open: generate };
    const started = performance.now();
    const result = await ingestUpload(ports, source, { clock: { now: () => new Date() }, concurrency: 4, rules: config.ingest });
    clearInterval(timer);
    sample();
    const mib = (n: number): number => Math.round(n / 1024 / 1024);
    process.stdout.write(`${JSON.stringify({ mib: Number(values.mb), rows: result.rows, accepted: result.accepted, rejected: result.rejectedCount, duplicate: result.duplicate, stores: result.changedStores.length + result.unchangedStores, seconds: Math.round((performance.now() - started) / 100) / 10, baselineRssMiB: mib(baseline), peakRssMiB: mib(peakRss), peakHeapMiB: mib(peakHeap), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
  } finally {
    await azurite?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
