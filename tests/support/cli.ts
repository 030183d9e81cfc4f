import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The `foreact` command as installed: bin/foreact.js, which runs the compiled dist/cli. */
export const FOREACT_BIN = join(__dirname, '../../bin/foreact.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `foreact <args>` to its end in `cwd`, with this process's environment. */
export function runCli(cwd: string, args: readonly string[]): CliResult {
  const result = spawnSync(process.execPath, [FOREACT_BIN, ...args], { encoding: 'utf8', cwd });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI runs from dist/: fail early and say why when it has not been compiled. */
export function requireBuiltCli(): void {
  if (!existsSync(join(__dirname, '../../dist/cli/foreact.js'))) throw new Error('run `npm run build` first (npm test does)');
}
