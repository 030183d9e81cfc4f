import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scratchDir } from './fake-cli.js';

/**
 * What goes into the deployed artifacts is pinned: the trainer's base image by digest, the image tag
 * Bicep deploys never `latest`, the build job's install without dependency scripts, and a local install
 * from the lockfile. The two scripts that decide (build-training-image.sh, ensure-installed.js) run here
 * against a recording stand-in for `docker`/`npm`.
 */

const REPO = path.resolve(__dirname, '../..');
const read = (p: string): string => readFileSync(path.join(REPO, p), 'utf8');
const PINNED = /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;

const workDir = (): string => scratchDir('foreact-supply-');

/** A `name` on PATH that records its arguments, one call per line, and succeeds. */
function recorder(dir: string, name: string): { path: string; calls: () => string[] } {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const log = path.join(dir, `${name}.calls`);
  writeFileSync(log, '');
  writeFileSync(path.join(bin, name), `#!/bin/sh\necho "$*" >> "${log}"\n`);
  chmodSync(path.join(bin, name), 0o755);
  return { path: `${bin}:${process.env.PATH ?? ''}`, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the training image', () => {
  const dockerfile = read('k8s-training/Dockerfile');

  it('every FROM is pinned by digest, directly or through an ARG with no (or a pinned) default', () => {
    const lines = dockerfile.split('\n');
    const firstFrom = lines.findIndex((l) => /^FROM\s/i.test(l));
    const args = new Map(lines.slice(0, firstFrom).map((l) => /^ARG\s+(\w+)(?:=(\S+))?\s*$/i.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]]));
    const froms = lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]!);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const arg = /^\$\{?(\w+)\}?$/.exec(from)?.[1];
      if (arg === undefined) {
        expect(from, `FROM ${from}`).toMatch(PINNED);
        continue;
      }
      expect(args.has(arg), `FROM ${from}: ARG ${arg} is declared before the first FROM`).toBe(true);
      const fallback = args.get(arg);
      if (fallback !== undefined) expect(fallback, `ARG ${arg}'s default`).toMatch(PINNED);
    }
  });

  it('build-training-image.sh refuses a base without a digest and builds on a pinned one', () => {
    const dir = workDir();
    const docker = recorder(dir, 'docker');
    const script = path.join(REPO, 'scripts/ci/build-training-image.sh');
    const unpinned = spawnSync('bash', [script, dir, 'foreact-trainer:t'], { env: { ...process.env, PATH: docker.path, TRAINER_BASE_IMAGE: 'node:22-bookworm-slim' }, encoding: 'utf8' });
    expect(unpinned.status).toBe(1);
    expect(unpinned.stderr).toContain("base image 'node:22-bookworm-slim' is not pinned by digest");
    expect(docker.calls()).toEqual([]);

    const base = `node:22-bookworm-slim@sha256:${'a'.repeat(64)}`;
    const pinned = spawnSync('bash', [script, dir, 'foreact-trainer:t'], { env: { ...process.env, PATH: docker.path, TRAINER_BASE_IMAGE: base }, encoding: 'utf8' });
    expect(pinned.status, pinned.stderr).toBe(0);
    expect(docker.calls()).toEqual([`build ${dir} --build-arg NODE_IMAGE=${base} --label org.opencontainers.image.base.name=${base} -t foreact-trainer:t`]);
  });

  it('the deploy workflow and azd build it only through that script', () => {
    expect(read('.github/workflows/deploy.yml')).not.toMatch(/docker build/);
    expect(read('scripts/ci/azd-release.sh')).not.toMatch(/docker build/);
    expect(read('.github/workflows/deploy.yml')).toMatch(/bash scripts\/ci\/build-training-image\.sh out\/training-image /);
    expect(read('scripts/ci/azd-release.sh')).toMatch(/bash scripts\/ci\/build-training-image\.sh out\/training-image /);
  });
});

describe('the image tag Bicep deploys', () => {
  it('trainingImageTag has no default, and no parameter file falls back to latest', () => {
    expect(read('bicep/main.bicep')).toMatch(/^param trainingImageTag string$/m);
    for (const env of ['dev', 'test', 'prod']) {
      const text = read(`bicep/params/${env}.bicepparam`);
      expect(text, env).toMatch(/^param trainingImageTag = readEnvironmentVariable\('FOREACT_IMAGE_TAG'\)$/m);
    }
    const azd = (JSON.parse(read('bicep/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters.trainingImageTag?.value ?? '';
    expect(azd).toMatch(/^\$\{FOREACT_IMAGE_TAG(=[\w-]+)?\}$/);
    expect(azd).not.toMatch(/latest/);
  });
});

describe('installs', () => {
  it('the build job that produces the deployed artifact runs no install scripts', () => {
    const workflow = parse(read('.github/workflows/deploy.yml')) as { jobs: { build: { steps: { run?: string }[] } } };
    const installs = workflow.jobs.build.steps.map((s) => s.run ?? '').filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) expect(run).toMatch(/^npm ci --ignore-scripts\b/);
    // With scripts off the root `prepare` build does not run: the job builds explicitly before testing.
    expect(workflow.jobs.build.steps.some((s) => /npm run build/.test(s.run ?? ''))).toBe(true);
  });

  it('azd up, which also builds what it deploys, installs the same way', () => {
    const azure = parse(read('azure.yaml')) as { hooks: Record<string, { posix?: { run?: string } }> };
    const runs = Object.values(azure.hooks).map((h) => h.posix?.run ?? '').filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run).toMatch(/^npm ci --ignore-scripts\b.*&& npm run package$/);
  });

  it('ensure-installed.js installs the locked tree (npm ci) when package-lock.json exists, npm install otherwise', () => {
    for (const [lockfile, expected] of [[true, 'ci --no-audit --no-fund'], [false, 'install --no-audit --no-fund']] as const) {
      const dir = workDir();
      cpSync(path.join(REPO, 'scripts/ensure-installed.js'), path.join(dir, 'scripts/ensure-installed.js'));
      writeFileSync(path.join(dir, 'package.json'), '{"name":"x","version":"1.0.0"}');
      if (lockfile) writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
      const npm = recorder(dir, 'npm');
      const result = spawnSync(process.execPath, [path.join(dir, 'scripts/ensure-installed.js')], { env: { ...process.env, PATH: npm.path }, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      expect(npm.calls(), `lockfile: ${lockfile}`).toEqual([expected]);
    }
  });
});
