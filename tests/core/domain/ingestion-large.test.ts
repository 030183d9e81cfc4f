import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStorage, type TestStorage } from '../../support/storage.js';

/**
 * Issue 13, hole 2, in a child process that ingests a generated upload streamed from a generator (never on
 * disk) into Azurite (`bench/ingest-memory.ts`; the 1 GiB figure is in docs/reliability.md):
 * - memory stays bounded: the child runs with a 160 MiB heap cap (the upload is 128 MiB, so holding it
 *   whole as text would not fit) and its peak heap stays under 100 MiB;
 * - an upload killed (SIGKILL) after some stores were merged is finished by re-delivery: every store ends
 *   with the whole upload, the ledger records it once.
 */
const SCRIPT = path.resolve(__dirname, '../../../dist/bench/ingest-memory.js');
let t: TestStorage;
beforeAll(async () => {
  if (!existsSync(SCRIPT)) throw new Error('run "npm run build" first (npm test does)');
  t = await startTestStorage();
});
afterAll(async () => {
  await t?.stop();
});

interface Figures {
  rows: number;
  accepted: number;
  rejected: number;
  duplicate: boolean;
  stores: number;
  peakHeapMiB: number;
  peakRssMiB: number;
}

function ingest(args: string[], opts: { heapMiB?: number; killAfterMerged?: number } = {}): Promise<{ code: number | null; signal: string | null; figures?: Figures; merged: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(opts.heapMiB ? [`--max-old-space-size=${opts.heapMiB}`] : []), SCRIPT, ...args], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    const merged: string[] = [];
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('merged ')) {
          merged.push(line.slice(7));
          if (opts.killAfterMerged !== undefined && merged.length === opts.killAfterMerged) child.kill('SIGKILL');
        } else if (line.startsWith('{')) out = `${line}\n${out}`;
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code, signal) => {
      const json = out.split('\n').find((l) => l.startsWith('{'));
      resolve({ code, signal, merged, stderr, ...(json ? { figures: JSON.parse(json) as Figures } : {}) });
    });
  });
}

describe('large uploads', () => {
  test('a 128 MiB upload is ingested with a bounded heap (cap 160 MiB, peak under 100 MiB)', async () => {
    const run = await ingest(['--mb', '128', '--stores', '20', '--items', '50', '--name', 'big.csv'], { heapMiB: 160 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.figures).toMatchObject({ rejected: 0, duplicate: false, stores: 20 });
    expect(run.figures!.accepted).toBeGreaterThan(700_000);
    expect(run.figures!.peakHeapMiB).toBeLessThan(100);
  }, 120_000);

  test('killed mid-ingestion, the re-delivered upload finishes the job: each store whole, recorded once', async () => {
    const args = ['--mb', '8', '--stores', '10', '--items', '20', '--announce', '--name', 'killed.csv', '--prefix', 'K'];
    const killed = await ingest([...args, '--pause-ms', '300'], { killAfterMerged: 3 });
    expect(killed.signal, `code ${killed.code} merged ${killed.merged.join(',')} ${killed.stderr}`).toBe('SIGKILL');
    expect(killed.figures).toBeUndefined();
    const before = await t.storage.stores.list();
    expect(before.filter((s) => s.store.startsWith('K0')).length).toBeLessThan(10);

    const redelivered = await ingest(args);
    expect(redelivered.code).toBe(0);
    expect(redelivered.figures).toMatchObject({ duplicate: false, rejected: 0, stores: 10 });
    const after = (await t.storage.stores.list()).filter((s) => s.store.startsWith('K0'));
    expect(after).toHaveLength(10);
    const observations = after.map((s) => s.history!.observations);
    // Every row of the upload is in its store's history, once: the stores' observations sum to the rows.
    expect(observations.reduce((a, b) => a + b, 0)).toBe(redelivered.figures!.rows);
    expect(Math.min(...observations)).toBeGreaterThan(0);

    const again = await ingest(args);
    expect(again.figures).toMatchObject({ duplicate: true });
  }, 120_000);
});
