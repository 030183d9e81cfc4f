import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The release the deploy workflow builds is the release its stages read. This packages the app the way
 * the build job does (`npm run package`, in a copy of the working tree so that its `rm -rf dist` cannot
 * pull dist/ from under the other test files), assembles the release with the same script and arguments
 * as the build job (scripts/ci/assemble-release.sh), "uploads" it the way actions/upload-artifact roots
 * an artifact (the least common ancestor of the search paths; a single directory is its own root),
 * "downloads" it where deploy-stage.yml does, and checks every release/... path a stage reads.
 */

const REPO = path.resolve(__dirname, '../..');
const ENVIRONMENTS = ['dev', 'test', 'prod'];
/** Never part of a checkout: built, installed or local state. */
const NOT_IN_A_CHECKOUT = new Set(['node_modules', 'dist', '.git', 'out', 'coverage', '.azurite', '.venv', 'release']);

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> }
interface Workflow { jobs: Record<string, { steps?: Step[] }> }

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** actions/upload-artifact's search path of one pattern: the literal part before the first glob segment. */
function searchPath(workspace: string, pattern: string): string {
  const segments = pattern.replace(/\/+$/, '').split('/');
  const literal = segments.slice(0, segments.findIndex((s) => /[*?[]/.test(s)) === -1 ? segments.length : segments.findIndex((s) => /[*?[]/.test(s)));
  return path.resolve(workspace, ...literal);
}

/**
 * Which files an upload-artifact `path:` puts where in the artifact (upload-artifact v4's search.ts): with
 * several search paths the root is their least common ancestor; one search path that is a single file is
 * rooted at its directory; otherwise the one search path is the root.
 */
function artifactLayout(workspace: string, pathInput: string): Map<string, string> {
  const patterns = pathInput.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('!'));
  const searchPaths = patterns.map((p) => searchPath(workspace, p));
  const files = searchPaths.flatMap((p) => (!existsSync(p) ? [] : statSync(p).isDirectory() ? filesUnder(p) : [p]));
  let root: string;
  if (searchPaths.length > 1) {
    const split = searchPaths.map((p) => p.split(path.sep));
    const common: string[] = [];
    for (let i = 0; split.every((s) => s[i] !== undefined && s[i] === split[0]![i]); i++) common.push(split[0]![i]!);
    root = common.join(path.sep) || path.sep;
  } else if (files.length === 1 && files[0] === searchPaths[0]) {
    root = path.dirname(files[0]!);
  } else {
    root = searchPaths[0]!;
  }
  return new Map(files.map((f) => [path.relative(root, f).split(path.sep).join('/'), f]));
}

/** Every release/... path a workflow's run scripts and inputs read, with ${ENVIRONMENT} expanded. */
function releasePathsRead(workflow: Workflow): string[] {
  const texts = Object.values(workflow.jobs).flatMap((j) => j.steps ?? []).filter((s) => !s.uses?.startsWith('actions/download-artifact@')).flatMap((s) => [s.run ?? '', ...Object.values(s.with ?? {}), ...Object.values(s.env ?? {})].map((v) => `${v}`));
  const paths = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/(?<![\w/.-])release\/[\w./${}-]+/g)) {
      const raw = m[0].replace(/[.]+$/, '');
      for (const env of ENVIRONMENTS) paths.add(raw.replaceAll('${ENVIRONMENT}', env));
    }
  }
  return [...paths].sort();
}

describe('the release layout (scripts/ci/assemble-release.sh) is what deploy-stage.yml reads', () => {
  const deploy = parse(readFileSync(path.join(REPO, '.github/workflows/deploy.yml'), 'utf8')) as Workflow;
  const stage = parse(readFileSync(path.join(REPO, '.github/workflows/deploy-stage.yml'), 'utf8')) as Workflow;
  const buildSteps = deploy.jobs.build?.steps ?? [];
  let work = '';
  let checkout = '';
  let downloaded = '';
  let uploaded = new Map<string, string>();

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'foreact-release-'));
    checkout = path.join(work, 'checkout');
    // What a checkout holds: git's tracked and new (not ignored) files; without git, the tree minus build output.
    const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' });
    if (listed.status === 0) {
      for (const file of listed.stdout.split('\0').filter((f) => f !== '' && !NOT_IN_A_CHECKOUT.has(f.split('/')[0]!) && existsSync(path.join(REPO, f)))) {
        mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
        cpSync(path.join(REPO, file), path.join(checkout, file));
      }
    } else {
      cpSync(REPO, checkout, { recursive: true, filter: (src) => !NOT_IN_A_CHECKOUT.has(path.basename(src)) && !src.startsWith(path.join(REPO, 'static-web', 'dist')) });
    }
    symlinkSync(path.join(REPO, 'node_modules'), path.join(checkout, 'node_modules'), 'dir');
    run('npm', ['run', 'package', '--silent'], checkout);

    // The build job's training image step makes a `docker save` tarball; its bytes do not matter here.
    const assemble = buildSteps.find((s) => s.run?.includes('scripts/ci/assemble-release.sh'));
    const args = /bash scripts\/ci\/assemble-release\.sh\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(assemble?.run?.trim() ?? '');
    expect(args, 'the build job assembles the release with scripts/ci/assemble-release.sh <out> <tarball> <release>').not.toBeNull();
    const [, outArg, tarballArg, releaseArg] = args!;
    const tarball = path.join(work, 'runner-temp', 'training-image.tar.gz');
    mkdirSync(path.dirname(tarball), { recursive: true });
    writeFileSync(tarball, 'docker save output stands in here');
    writeFileSync(`${tarball}.base`, `node:22-bookworm-slim@sha256:${'0'.repeat(64)}\n`);
    expect(buildSteps.some((s) => s.run?.includes('scripts/ci/build-training-image.sh') && s.run.trim().endsWith(tarballArg!)), `the image step saves to ${tarballArg}`).toBe(true);
    run('bash', ['scripts/ci/assemble-release.sh', outArg!, tarball, releaseArg!], checkout);

    const upload = buildSteps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.name).toBe('release');
    uploaded = artifactLayout(checkout, (upload?.with?.path ?? ''));
    // The build job uploads exactly the assembled directory.
    expect(searchPath(checkout, (upload?.with?.path ?? '').trim())).toBe(path.resolve(checkout, releaseArg!));

    const download = stage.jobs.deploy?.steps?.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with?.name).toBe('release');
    downloaded = path.join(work, 'stage');
    for (const [at, file] of uploaded) {
      const to = path.join(downloaded, (download?.with?.path ?? '.'), at);
      mkdirSync(path.dirname(to), { recursive: true });
      cpSync(file, to);
    }
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the artifact holds the package, the image, the dashboard and the infrastructure code at its root', () => {
    for (const needed of ['functionapp.zip', 'training-image.tar.gz', 'training-image.base', 'manifest.json', 'static-web/index.html', 'static-web/staticwebapp.config.json', 'infra/bicep/main.bicep', 'infra/k8s-training/job.yaml', 'infra/scripts/smoke/smoke.sh', 'infra/scripts/ci/deploy-window.sh']) {
      expect([...uploaded.keys()], needed).toContain(needed);
    }
    expect([...uploaded.keys()].filter((k) => k.startsWith('out/') || k.endsWith('.ts'))).toEqual([]);
  });

  it('every release/... path deploy-stage.yml reads exists in the downloaded artifact', () => {
    const paths = releasePathsRead(stage);
    expect(paths.length).toBeGreaterThanOrEqual(10);
    const missing = paths.filter((p) => /\$\{|\$[A-Z_]/.test(p) || !existsSync(path.join(downloaded, p)));
    expect(missing, `read by deploy-stage.yml, not in the artifact (${[...uploaded.keys()].filter((k) => !k.startsWith('infra/') && !k.startsWith('static-web/')).join(', ')}, infra/…, static-web/…)`).toEqual([]);
  });

  it('the shell scripts a stage runs find the files they source next to them', () => {
    const scripts = [...uploaded.keys()].filter((k) => k.endsWith('.sh'));
    expect(scripts.length).toBeGreaterThan(3);
    for (const script of scripts) {
      const text = readFileSync(path.join(downloaded, 'release', script), 'utf8');
      for (const m of text.matchAll(/^\s*(?:\.|source)\s+"\$\(dirname "\$0"\)\/([^"]+)"/gm)) {
        expect(existsSync(path.join(downloaded, 'release', path.dirname(script), m[1]!)), `${script} sources ${m[1]}`).toBe(true);
      }
    }
  });
});

describe('artifactLayout (upload-artifact rooting)', () => {
  it('roots several paths at their least common ancestor, one directory at itself', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'foreact-lca-'));
    try {
      mkdirSync(path.join(dir, 'out', 'static-web'), { recursive: true });
      writeFileSync(path.join(dir, 'out', 'functionapp.zip'), 'z');
      writeFileSync(path.join(dir, 'out', 'static-web', 'index.html'), 'i');
      // The layout the stages used to read as release/out/...: uploaded from out/, it lands at the root.
      expect([...artifactLayout(dir, 'out/functionapp.zip\nout/static-web\n').keys()].sort()).toEqual(['functionapp.zip', 'static-web/index.html']);
      expect([...artifactLayout(dir, 'out/').keys()].sort()).toEqual(['functionapp.zip', 'static-web/index.html']);
      expect([...artifactLayout(dir, 'out/functionapp.zip').keys()]).toEqual(['functionapp.zip']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
