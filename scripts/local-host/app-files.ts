import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Expands `{a,b}` alternatives (one level, any segment), as the Functions Node worker's glob does for
 * package.json `main` (e.g. `dist/{functions,orchestrations}/*.js`).
 */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  const close = pattern.indexOf('}', open);
  if (close < 0) throw new Error(`Unbalanced "{" in ${pattern}`);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  return pattern
    .slice(open + 1, close)
    .split(',')
    .flatMap((alternative) => expandBraces(`${head}${alternative}${tail}`));
}

/**
 * Expands a `main`-style pattern: `{a,b}` alternatives anywhere, `*` only in the file name. Source maps
 * and declaration files are never entry points.
 */
export function expandPattern(root: string, pattern: string): string[] {
  const files = new Set<string>();
  for (const single of expandBraces(pattern)) {
    const abs = path.resolve(root, single);
    const dir = path.dirname(abs);
    const base = path.basename(abs);
    if (!base.includes('*')) {
      if (existsSync(abs)) files.add(abs);
      continue;
    }
    if (dir.includes('*')) throw new Error(`Only the file name may contain "*" (got ${pattern})`);
    if (!existsSync(dir)) continue;
    const re = new RegExp('^' + base.replace(/[.+?^$()|[\]\\{}]/g, '\\$&').replace(/\*/g, '.*') + '$');
    for (const f of readdirSync(dir).sort()) if (re.test(f) && !f.endsWith('.map') && !f.endsWith('.d.ts')) files.add(path.join(dir, f));
  }
  return [...files];
}

/**
 * The app's compiled modules: exactly what package.json `main` names, as the Functions host loads them.
 * Nothing is added here, so a registration missing from `main` is missing locally as it would be in Azure.
 */
export function appModules(root: string): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: unknown };
  if (typeof pkg.main !== 'string' || pkg.main.length === 0) throw new Error(`${path.join(root, 'package.json')} has no "main": the Functions host would load nothing`);
  return expandPattern(root, pkg.main);
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
