import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Expands a `dir/*.js`-style pattern (the only form package.json `main` takes for the v4 model).
 * Only the last path segment may hold `*`.
 */
export function expandPattern(root: string, pattern: string): string[] {
  const abs = path.resolve(root, pattern);
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  if (!base.includes('*')) return existsSync(abs) ? [abs] : [];
  if (dir.includes('*')) throw new Error(`Only the file name may contain "*" (got ${pattern})`);
  if (!existsSync(dir)) return [];
  const re = new RegExp('^' + base.replace(/[.+?^$()|[\]\\{}]/g, '\\$&').replace(/\*/g, '.*') + '$');
  return readdirSync(dir)
    .filter((f) => re.test(f) && !f.endsWith('.map') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The app's compiled modules: package.json `main` (the Functions entry glob) plus `dist/orchestrations/*.js`. */
export function appModules(root: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string };
  const patterns = [pkg.main ?? 'dist/functions/*.js', 'dist/orchestrations/*.js'];
  const files = new Set<string>();
  for (const p of patterns) for (const f of expandPattern(root, p)) files.add(f);
  return [...files];
}

/** Nearest folder at or above `from` holding a package.json. */
export function findRepoRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`No package.json at or above ${from}`);
    dir = up;
  }
}
