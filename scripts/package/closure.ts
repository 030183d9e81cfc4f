import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/**
 * What a set of compiled entry modules really loads: the files reached through static `require(...)` and
 * literal dynamic `import(...)` in TypeScript's CommonJS output, and the npm packages they name.
 * The package is built from this, so it ships what runs and nothing the local host or a test adds.
 */
export interface ModuleClosure {
  files: string[];
  packages: string[];
}

const REQUIRE = /\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g;
const BUILTINS = new Set(builtinModules);

export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function resolveRelative(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.js`, path.join(base, 'index.js')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  throw new Error(`${from} requires "${specifier}", which is not there (was it compiled?)`);
}

export function moduleClosure(entries: readonly string[]): ModuleClosure {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.js')) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(REQUIRE)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) pending.push(resolveRelative(file, specifier));
      else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) packages.add(packageNameOf(specifier));
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

interface LockPackage {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockPackage>;
}

/** Where Node would find `dependency` when required from the package installed at `from` (a lock path). */
function resolveInLock(lock: Lockfile, from: string, dependency: string): string | undefined {
  for (let base = from; ; ) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${dependency}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('node_modules/');
    base = at <= 0 ? '' : base.slice(0, at - 1);
  }
}

/**
 * The lock paths (`node_modules/…`) installed for `dependencies` and everything they depend on, with the
 * versions the repository's lockfile pins: the same tree `npm ci --omit=dev` installs, restricted to what
 * those dependencies need.
 */
export function lockClosure(lock: Lockfile, dependencies: readonly string[]): string[] {
  const kept = new Set<string>();
  const pending: { from: string; name: string; optional: boolean }[] = dependencies.map((name) => ({ from: '', name, optional: false }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const at = resolveInLock(lock, next.from, next.name);
    if (at === undefined) {
      if (next.optional) continue;
      throw new Error(`package-lock.json has no "${next.name}" reachable from "${next.from || 'the root'}"; run npm install`);
    }
    if (kept.has(at)) continue;
    kept.add(at);
    const entry = lock.packages[at]!;
    for (const name of Object.keys(entry.dependencies ?? {})) pending.push({ from: at, name, optional: false });
    for (const name of Object.keys({ ...entry.optionalDependencies, ...entry.peerDependencies })) pending.push({ from: at, name, optional: true });
  }
  return [...kept].sort();
}

/** A lockfile for a package.json whose dependencies are `dependencies`: the root's entries, pruned. */
export function prunedLock(lock: Lockfile, root: LockPackage, dependencies: Record<string, string>): Lockfile {
  const packages: Record<string, LockPackage> = { '': { ...root, dependencies } };
  for (const at of lockClosure(lock, Object.keys(dependencies))) {
    const { dev: _dev, devOptional: _devOptional, ...entry } = lock.packages[at]!;
    packages[at] = entry;
  }
  return { ...(lock.name ? { name: lock.name } : {}), ...(lock.version ? { version: lock.version } : {}), lockfileVersion: lock.lockfileVersion, requires: true, packages };
}

/** Files of the installed packages at `lockPaths` under `root`, without their nested node_modules (listed on their own). */
export function installedFiles(root: string, lockPaths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, top: boolean): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || (top && entry.name === '.bin')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, false);
      else if (entry.isFile()) out.push(full);
    }
  };
  for (const at of lockPaths) {
    const dir = path.join(root, at);
    if (!existsSync(dir)) throw new Error(`${at} is in package-lock.json but not installed; run npm ci`);
    walk(dir, true);
  }
  return out;
}
