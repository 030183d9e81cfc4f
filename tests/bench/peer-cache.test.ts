import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prerequisite } from '../support/prerequisite.js';

const PEERS = resolve(__dirname, '../../bench/peers');
const HAVE_TOOLS = prerequisite(spawnSync('python3', ['--version']).status === 0 && existsSync('/usr/bin/time'), 'python3 and /usr/bin/time are needed by the peer-cache test, which must run in CI.', 'peer cache: skipped — needs python3 and /usr/bin/time.');

// Stands in for bench/.venv's python: score.py runs for real (standard library); a peer script writes a
// one-row forecast naming itself and the split it was asked for, and logs the call.
const STAND_IN = `#!/usr/bin/env bash
set -euo pipefail
script=$1; shift
if [[ $script == */score.py ]]; then exec python3 "$script" "$@"; fi
model= cutoff= horizon= output=
while [[ $# -gt 0 ]]; do
  case $1 in --model) model=$2; shift 2 ;; --cutoff) cutoff=$2; shift 2 ;; --horizon) horizon=$2; shift 2 ;; --output) output=$2; shift 2 ;; *) shift ;; esac
done
echo "$(basename "$script") $model $cutoff $horizon" >> "$CALLS"
# The second row names who made it for which split, as a series the actuals do not have (scored as absent).
printf 'date,store,item,forecast,p10,p90\\n2017-04-01,1,1,1,0,2\\n2017-04-01,%s,%s_%s,0,0,0\\n' "$(basename "$script")" "$cutoff" "$horizon" > "$output"
echo "{\\"model\\": \\"$model\\"}"
`;

describe.skipIf(!HAVE_TOOLS)('peer forecasts are cached by data set, cut-off, horizon and model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foreact-peers-'));
  const data = join(dir, 'data');
  const out = join(dir, 'out');
  const calls = join(dir, 'calls.log');
  const python = join(dir, 'python');
  mkdirSync(join(data, 'store-item'), { recursive: true });
  writeFileSync(join(data, 'store-item/train.csv'), 'date,store,item,sales\n2017-03-30,1,1,3\n2017-03-31,1,1,4\n2017-04-01,1,1,5\n');
  writeFileSync(python, STAND_IN);
  chmodSync(python, 0o755);
  writeFileSync(calls, '');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (script: string, env: Record<string, string> = {}): void => {
    const r = spawnSync('bash', [join(PEERS, script), 'autoets'], { encoding: 'utf8', env: { ...process.env, DATASETS: 'store-item', FOREACT_DATA: data, PEERS_OUT: out, PEERS_VENV_PYTHON: python, CALLS: calls, ...env } });
    expect(r.status, r.stderr).toBe(0);
  };
  const calledTimes = (): string[] => readFileSync(calls, 'utf8').split('\n').filter((l) => l !== '');

  it("keeps run_all.sh's plain forecast apart from run_drivers_all.sh's cache of the same model", () => {
    run('run_all.sh');
    expect(calledTimes()).toEqual(['run_peer.py autoets 2017-03-31 90']);
    // Before, run_all.sh wrote store-item_autoets.csv, which run_drivers_all.sh then took for its own cache.
    run('run_drivers_all.sh');
    expect(calledTimes()).toEqual(['run_peer.py autoets 2017-03-31 90', 'run_drivers_peer.py autoets 2017-03-31 90']);
    expect(readFileSync(join(out, 'store-item_autoets.csv'), 'utf8')).toContain('run_drivers_peer.py,2017-03-31_90');
    expect(readdirSync(join(out, 'cache')).filter((f) => f.endsWith('.csv'))).toEqual(['store-item_c2017-03-31_h90_autoets.csv']);
  });

  it('reuses a forecast only for the same split, and engine-bench reads the one asked for last', () => {
    run('run_drivers_all.sh');
    expect(calledTimes()).toHaveLength(2);
    run('run_drivers_all.sh', { CUTOFF: '2017-02-28' });
    expect(calledTimes().at(-1)).toBe('run_drivers_peer.py autoets 2017-02-28 90');
    expect(readFileSync(join(out, 'store-item@2017-02-28_autoets.csv'), 'utf8')).toContain('run_drivers_peer.py,2017-02-28_90');
    // The default split again: cached (no call), and its file is the default split's forecast.
    run('run_drivers_all.sh');
    expect(calledTimes()).toHaveLength(3);
    expect(readFileSync(join(out, 'store-item_autoets.csv'), 'utf8')).toContain('run_drivers_peer.py,2017-03-31_90');
  });
});
