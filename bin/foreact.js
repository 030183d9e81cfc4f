#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript and compiled by `npm run build` (run by `npm install` via `prepare`).
require('../dist/cli/foreact.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`foreact: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
