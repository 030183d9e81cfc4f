/**
 * Headless Chromium for pictures and tests of the dashboard (`npm run screenshots`, the e2e test):
 * Debian's /usr/bin/chromium, or CHROMIUM_PATH; and a dashboard bundle no older than its sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Rebuilds static-web/dist when it is missing or older than any dashboard source (today's code).
 * `show` lets the build print as it goes; `capture` keeps it quiet and puts its output in the error.
 */
export function ensureDashboardBuilt(root: string, output: 'show' | 'capture' = 'show'): void {
  const index = join(root, 'static-web/dist/index.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((t, e) => Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  const sources = Math.max(newest(join(root, 'static-web/src')), statSync(join(root, 'static-web/index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const build = spawnSync('npm', ['run', '--silent', 'web:build'], { cwd: root, encoding: 'utf8', stdio: output === 'show' ? 'inherit' : 'pipe' });
  if (build.status !== 0) throw new Error(output === 'show' ? 'npm run web:build failed' : `npm run web:build failed:\n${build.stdout}\n${build.stderr}`);
}
