import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Timed {
  seconds: number;
  /** Peak RSS from GNU time; undefined where /usr/bin/time is missing. */
  peakMb: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs a process to the end and times it, wall clock and (through GNU time) peak memory; throws if it fails. */
export function timed(command: string, args: readonly string[]): Timed {
  const useTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const result = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'PEAK_KB=%M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  const peak = /PEAK_KB=(\d+)/.exec(result.stderr);
  return { seconds, peakMb: peak ? Number(peak[1]) / 1024 : undefined, stdout: result.stdout, stderr: result.stderr };
}
