import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { appModules, findRepoRoot } from '../local-host/app-files.js';
import { installedFiles, lockClosure, moduleClosure, prunedLock, type Lockfile } from './closure.js';
import { zip, type ZipEntry } from './zip.js';

const USAGE = `Usage: npm run package   (or: node dist/scripts/package/main.js [--out <dir>] [--no-web])
Builds what is deployed, from the compiled dist/:
  <out>/functionapp.zip   the Function App package: package.json (its "main"), host.json, the compiled modules
                          that "main" and the trainer load, k8s-training/job.yaml, production node_modules
  <out>/training-image/   the training image's Docker build context (scripts/ci/build-training-image.sh)
  <out>/static-web/       the built dashboard with staticwebapp.config.json (unless --no-web)
  <out>/manifest.json     what went where, with the zip's sha256`;

interface PackageJson {
  name: string;
  version: string;
  main?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** Only existing lock paths; a missing one is fine when npm marks it optional (another platform's binary). */
function installed(root: string, lock: Lockfile, paths: readonly string[]): string[] {
  return paths.filter((at) => existsSync(path.join(root, at)) || (lock.packages[at]?.optional === true ? false : (() => { throw new Error(`${at} is in package-lock.json but not installed; run npm ci`); })()));
}

function requireDependencies(pkg: PackageJson, packages: readonly string[], what: string): void {
  const missing = packages.filter((p) => pkg.dependencies?.[p] === undefined);
  if (missing.length > 0) throw new Error(`${what} loads ${missing.join(', ')}, which package.json does not list in "dependencies" (a devDependency is not deployed)`);
}

export interface PackageResult {
  zipPath: string;
  zipSha256: string;
  zipEntries: number;
  trainingImage: string;
  trainingImagePackages: string[];
  staticWeb: string | undefined;
}

export function buildPackages(root: string, out: string, options: { web: boolean }): PackageResult {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  const trainer = path.join(root, 'dist', 'k8s-training', 'trainer.js');
  const trainingWorker = path.join(root, 'dist', 'k8s-training', 'worker.js');
  const jobTemplate = path.join(root, 'k8s-training', 'job.yaml');
  for (const needed of [trainer, trainingWorker, jobTemplate, path.join(root, 'host.json')]) if (!existsSync(needed)) throw new Error(`${needed} is missing (run npm run build)`);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // The Function App: what `main` names, plus the worker-thread entry the `local` backend starts by path.
  const entries = appModules(root);
  if (entries.length === 0) throw new Error(`package.json "main" (${String(pkg.main)}) matches no compiled file (run npm run build)`);
  const app = moduleClosure([...entries, trainingWorker]);
  requireDependencies(pkg, app.packages, 'the Function App');
  const appLockPaths = installed(root, lock, lockClosure(lock, Object.keys(pkg.dependencies ?? {})));
  const sourceMaps = app.files.map((f) => `${f}.map`).filter((f) => existsSync(f));
  const appFiles = [path.join(root, 'package.json'), path.join(root, 'package-lock.json'), path.join(root, 'host.json'), jobTemplate, ...app.files, ...sourceMaps, ...installedFiles(root, appLockPaths)];
  const zipEntries: ZipEntry[] = [...new Set(appFiles)].map((f) => ({ name: rel(root, f), data: readFileSync(f) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const archive = zip(zipEntries);
  const zipPath = path.join(out, 'functionapp.zip');
  writeFileSync(zipPath, archive);

  // The training image: the trainer's own closure and only the packages it loads, locked to the same
  // versions the tests ran with; the Dockerfile installs them in a build stage.
  const image = path.join(out, 'training-image');
  const trainerClosure = moduleClosure([trainer]);
  requireDependencies(pkg, trainerClosure.packages, 'the trainer');
  const trainerDependencies = Object.fromEntries(trainerClosure.packages.map((p) => [p, pkg.dependencies![p]!]));
  const imagePackage: PackageJson = { name: pkg.name, version: pkg.version, private: true, license: pkg.license, engines: pkg.engines, dependencies: trainerDependencies };
  const rootEntry = { name: pkg.name, version: pkg.version, license: pkg.license, engines: pkg.engines } as Record<string, unknown>;
  mkdirSync(image, { recursive: true });
  writeFileSync(path.join(image, 'package.json'), JSON.stringify(imagePackage, null, 2) + '\n');
  writeFileSync(path.join(image, 'package-lock.json'), JSON.stringify(prunedLock(lock, rootEntry, trainerDependencies), null, 2) + '\n');
  cpSync(path.join(root, 'k8s-training', 'Dockerfile'), path.join(image, 'Dockerfile'));
  writeFileSync(path.join(image, '.dockerignore'), 'node_modules\n');
  for (const file of trainerClosure.files) cpSync(file, path.join(image, rel(root, file)));

  let staticWeb: string | undefined;
  if (options.web) {
    const built = path.join(root, 'static-web', 'dist');
    if (!existsSync(path.join(built, 'index.html'))) throw new Error(`${built} has no index.html (run npm run web:build)`);
    staticWeb = path.join(out, 'static-web');
    cpSync(built, staticWeb, { recursive: true });
    cpSync(path.join(root, 'static-web', 'staticwebapp.config.json'), path.join(staticWeb, 'staticwebapp.config.json'));
  }

  const zipSha256 = createHash('sha256').update(archive).digest('hex');
  const result: PackageResult = { zipPath, zipSha256, zipEntries: zipEntries.length, trainingImage: image, trainingImagePackages: trainerClosure.packages, staticWeb };
  writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ ...result, zipPath: rel(out, zipPath), trainingImage: rel(out, image), staticWeb: staticWeb ? rel(out, staticWeb) : null, main: pkg.main, modules: app.files.map((f) => rel(root, f)) }, null, 2) + '\n');
  return result;
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-web': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const root = findRepoRoot(__dirname);
  const out = path.resolve(values.out ?? path.join(root, 'out'));
  const result = buildPackages(root, out, { web: !values['no-web'] });
  console.log(`package: ${rel(process.cwd(), result.zipPath)} (${result.zipEntries} files, sha256 ${result.zipSha256.slice(0, 16)}…)`);
  console.log(`package: ${rel(process.cwd(), result.trainingImage)}/ (docker build context; packages: ${result.trainingImagePackages.join(', ')})`);
  if (result.staticWeb) console.log(`package: ${rel(process.cwd(), result.staticWeb)}/ (dashboard)`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(`package: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
