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
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  process.stdout.write('foreact: installing npm packages (first run or package-lock.json changed)…\n');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('foreact: npm install failed; see the messages above\n');
    process.exit(result.status ?? 1);
  }
}
