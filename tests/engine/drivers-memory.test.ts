import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Issue 18, items 10 and 18: the drivers reader streams rows into per-scope day arrays and keeps each distinct
 * cell text once, not every row's strings. A chain's drivers file of 600 000 rows (300 stores × 10 items × 200
 * days; promotion flag, price, event name) is read by the compiled reader in a child with a 48 MiB heap: the
 * reader that kept every row's strings needed several times that (about 330 MB for 1 M rows).
 */
const ROOT = join(__dirname, '../..');

const SCRIPT = `
const { readDrivers, driversForStore } = require(process.argv[1] + '/dist/engine/index.js');
function* rows() {
  yield Buffer.from('date,store,item,promo,price,event\\n');
  const first = Date.UTC(2024, 0, 1) / 86400000;
  for (let s = 1; s <= 300; s++) {
    let chunk = '';
    for (let i = 1; i <= 10; i++) {
      for (let d = 0; d < 200; d++) {
        const day = new Date((first + d) * 86400000).toISOString().slice(0, 10);
        const promo = (s * 7 + i * 3 + d) % 5 === 0 ? 1 : 0;
        chunk += day + ',S' + s + ',I' + i + ',' + promo + ',' + (promo ? '1.99' : '2.49') + ',' + (d % 30 === 0 ? 'Fair' : '') + '\\n';
      }
    }
    yield Buffer.from(chunk);
  }
}
(async () => {
  const result = await readDrivers(rows(), 'chain.csv');
  const drivers = driversForStore(result.table, 'S7', ['I3']);
  process.stdout.write(JSON.stringify({ rows: result.rows, errors: result.errors.length, scopes: result.table.scopes.size, columns: result.table.columns, days: drivers.lastDay - drivers.firstDay + 1, labels: drivers.labels }));
})();
`;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/engine/index.js'))) throw new Error('run `npm run build` first (npm test does)');
});

describe('readDrivers memory', () => {
  it('reads a 600 000-row chain drivers file within a 48 MiB heap', () => {
    const child = spawnSync(process.execPath, ['--max-old-space-size=48', '-e', SCRIPT, ROOT], { encoding: 'utf8', timeout: 120_000 });
    expect(child.status, child.stderr.slice(0, 2000)).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      rows: 600_000,
      errors: 0,
      scopes: 3000,
      columns: [
        { name: 'promo', kind: 'numeric', scale: 'linear' },
        { name: 'price', kind: 'numeric', scale: 'log' },
        { name: 'event', kind: 'categorical', scale: 'linear' },
      ],
      days: 200,
      labels: [[], [], ['Fair']],
    });
  }, 150_000);
});
