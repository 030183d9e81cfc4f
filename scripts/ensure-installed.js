#!/usr/bin/env node
'use strict';
// Plain JavaScript on purpose: it runs before TypeScript (or anything else) is installed, so that
// `npm start` and `npm test` work on a fresh clone without a separate `npm install`.
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const locked = existsSync(lock);
const stale = !existsSync(marker) || !locked || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  // With a lockfile, exactly the locked tree (`npm ci`): `npm install` may resolve newer versions than the
  // ones reviewed and tested, and rewrites package-lock.json.
  const command = locked ? 'ci' : 'install';
  process.stdout.write(`foreact: installing npm packages with npm ${command} (first run or package-lock.json changed)…\n`);
  const result = spawnSync('npm', [command, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`foreact: npm ${command} failed; see the messages above\n`);
    process.exit(result.status ?? 1);
  }
}
