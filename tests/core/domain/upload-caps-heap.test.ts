import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

/**
 * Issue 18, item 10: a file of unique (store, item) pairs must not grow the readers' memory without bound. The
 * compiled readers run in a child with a 32 MiB heap on 2 million generated rows, each naming a new pair (the
 * rows are produced as read, never held): with the cap, the read stops at the cap with a clear error; without
 * it (a cap above the file), the same child runs out of memory, which shows the heap limit is real.
 */
const ROOT = join(__dirname, '../../..');

const SCRIPT = `
const { parseSalesUpload, DEFAULT_INGEST_RULES } = require(${JSON.stringify(join(ROOT, 'dist/core/domain/ingestion.js'))});
const { readDrivers } = require(${JSON.stringify(join(ROOT, 'dist/engine/index.js'))});
const [kind, maxSeries] = process.argv.slice(1);
function* rows(header) {
  yield Buffer.from(header);
  for (let i = 0; i < 2_000_000; i += 1000) {
    let chunk = '';
    for (let j = i; j < i + 1000; j++) chunk += '2025-01-01,S' + (j % 5000) + ',I' + j + ',1\\n';
    yield Buffer.from(chunk);
  }
}
(async () => {
  const rules = { ...DEFAULT_INGEST_RULES, maxSeries: Number(maxSeries), maxStores: 1_000_000 };
  const result = kind === 'sales'
    ? await parseSalesUpload({ name: 'unique.csv', open: () => rows('date,store,item,sales\\n') }, rules, new Date('2026-01-01T00:00:00Z'))
    : await readDrivers(rows('date,store,item,promo\\n'), 'unique.csv', rules);
  process.stdout.write(JSON.stringify({ stopped: result.stopped, heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) }));
})();
`;

function run(kind: 'sales' | 'drivers', maxSeries: number): { code: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['--max-old-space-size=32', '-e', SCRIPT, kind, String(maxSeries)], { encoding: 'utf8', timeout: 120_000 });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/core/domain/ingestion.js'))) throw new Error('run `npm run build` first (npm test does)');
});

describe('unique (store, item) pairs under a 32 MiB heap', () => {
  test.each(['sales', 'drivers'] as const)('%s: the read stops at the cap with a clear error naming the line', (kind) => {
    const capped = run(kind, 10_000);
    expect(capped.code, capped.stderr).toBe(0);
    const result = JSON.parse(capped.stdout) as { stopped?: { line: number; reason: string } };
    expect(result.stopped).toEqual({ line: 10_002, reason: `the file names more than 10000 distinct (store, item) ${kind === 'sales' ? 'series' : 'scopes'} (the cap per file): split it, or raise the cap; nothing applied` });
  });

  test.each(['sales', 'drivers'] as const)('%s: without a cap that bites, the same file exhausts the heap', (kind) => {
    const uncapped = run(kind, 50_000_000);
    expect(uncapped.code).not.toBe(0);
    expect(uncapped.stderr).toMatch(/heap out of memory|Allocation failed/i);
  }, 150_000);
});
