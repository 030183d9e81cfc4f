/**
 * Engine benchmark on the real data sets (../shared/data, never copied into the repo): our CLI with and
 * without drivers, beside PyPI peers on the same splits (Prophet with the drivers as regressors, LightGBM
 * global model with the drivers and lags ≥ horizon, statsforecast AutoETS and MSTL), all scored by the same
 * code. Prints a markdown table; figures, not assertions.
 *
 *   npm run bench                       # everything; peers are run once and cached in bench/out/peers
 *   npm run bench -- --no-peers         # ours only
 *   npm run bench -- --data pasta-promo --peers lightgbm,prophet_x
 *   npm run bench -- --data pasta-promo --cutoff 2018-03-31   # another split (test = the horizon after it)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { parseIsoDay } from '../engine/index.js';
import { timed } from './timed.js';
import { readMarkedDays, readPanel, score, testWindow, type Score } from './score.js';
import { SHARED_DATA_SETS } from './data-sets.js';

// FOREACT_ROOT / FOREACT_BIN let a build kept elsewhere run against this checkout's bench/ folder.
const ROOT = resolve(process.env.FOREACT_ROOT ?? resolve(__dirname, '../..'));
const OUT = join(ROOT, 'bench/out');
const BIN = process.env.FOREACT_BIN ?? join(ROOT, 'bin/foreact.js');

interface DataSet {
  name: string;
  file: string;
  drivers: string[];
  cutoff: string;
  horizon: number;
}

/** Test = the last `horizon` days of each sales file; training = everything before (the default split). */
const DATA_SETS: DataSet[] = SHARED_DATA_SETS.map(({ cutoffs, ...set }) => ({ ...set, cutoff: cutoffs[0] }));

const PEERS = ['lightgbm', 'prophet_x', 'autoets', 'mstl'];

interface Row {
  data: string;
  model: string;
  score: Score;
  seconds: number | undefined;
  fitSeconds: number | undefined;
  peakMb: number | undefined;
  note: string;
}

async function writeTrainSplit(source: string, cutoff: string, target: string): Promise<void> {
  const input = createReadStream(source);
  const lines = createInterface({ input: source.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  const out = createWriteStream(target);
  let header = true;
  let dateColumn = 0;
  for await (const line of lines) {
    if (header) {
      dateColumn = line.split(',').indexOf('date');
      header = false;
    } else if (line.split(',')[dateColumn]! > cutoff) continue;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

interface PeerLog {
  data: string;
  wall_seconds: number;
  run: { model: string; fit_forecast_seconds?: number; peak_rss_mb?: number; failures?: number };
}

/** The latest logged run of each (data, peer) by bench/peers/run_drivers_all.sh. */
function peerLogs(): Map<string, PeerLog> {
  const path = join(OUT, 'peers/drivers-log.jsonl');
  const logs = new Map<string, PeerLog>();
  if (!existsSync(path)) return logs;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const log = JSON.parse(line) as PeerLog;
    logs.set(`${log.data} ${log.run.model}`, log);
  }
  return logs;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dataDir = resolve(ROOT, argv.includes('--data-dir') ? argv[argv.indexOf('--data-dir') + 1]! : process.env.FOREACT_DATA ?? '../shared/data');
  const only = argv.includes('--data') ? argv[argv.indexOf('--data') + 1]!.split(',') : undefined;
  const peers = argv.includes('--no-peers') ? [] : argv.includes('--peers') ? argv[argv.indexOf('--peers') + 1]!.split(',') : PEERS;
  const cutoff = argv.includes('--cutoff') ? argv[argv.indexOf('--cutoff') + 1]! : undefined;
  mkdirSync(OUT, { recursive: true });
  const rows: Row[] = [];
  const timings: string[] = [];
  for (const shared of DATA_SETS) {
    if (only !== undefined && !only.includes(shared.name)) continue;
    // Another split of the same data set: its own outputs and peer cache (name@cutoff).
    const data = cutoff === undefined ? shared : { ...shared, name: `${shared.name}@${cutoff}`, cutoff };
    const source = join(dataDir, data.file);
    if (!existsSync(source)) throw new Error(`${source} not found: pass --data-dir or set FOREACT_DATA`);
    const drivers = data.drivers.map((d) => join(dataDir, d));
    const train = join(OUT, `${data.name}-train.csv`);
    await writeTrainSplit(source, data.cutoff, train);
    const { panel: history } = readPanel(train, 'sales');
    const cutoffDay = parseIsoDay(data.cutoff)!;
    const actuals = testWindow(readPanel(source, 'sales').panel, cutoffDay, data.horizon);
    const marked = drivers.length > 0 ? readMarkedDays(drivers) : undefined;
    for (const withDrivers of drivers.length > 0 ? [false, true] : [false]) {
      const label = withDrivers ? 'foreact with drivers' : 'foreact without drivers';
      const output = join(OUT, `${data.name}-foreact${withDrivers ? '-drivers' : ''}.csv`);
      const args = [BIN, 'forecast', '--input', train, '--horizon', String(data.horizon), '--output', output];
      if (withDrivers) for (const d of drivers) args.push('--drivers', d);
      const run = timed(process.execPath, args);
      const phases = /read ([\d.]+) s, train ([\d.]+) s, write ([\d.]+) s/.exec(run.stderr);
      const [read, fit, write] = phases ? phases.slice(1).map(Number) : [];
      if (read !== undefined && write !== undefined) {
        timings.push(`${data.name}, ${label}: whole CLI run ${run.seconds.toFixed(2)} s = read ${read.toFixed(2)} s + train ${fit!.toFixed(2)} s + write ${write.toFixed(2)} s (+ Node start-up); ${(run.seconds / (read + write)).toFixed(2)}× reading and writing alone`);
      }
      rows.push({ data: data.name, model: `**${label}**`, score: score(history, actuals, output, marked), seconds: run.seconds, fitSeconds: fit, peakMb: run.peakMb, note: '' });
      process.stderr.write(`bench: ${data.name} ${label} done\n`);
    }
    if (peers.length > 0) {
      // Heavy peers run once and are cached: run_drivers_all.sh skips every forecast already in bench/out/peers.
      const missing = peers.filter((peer) => !existsSync(join(OUT, 'peers', `${data.name}_${peer}.csv`)));
      if (missing.length > 0) {
        const run = spawnSync('bash', [join(ROOT, 'bench/peers/run_drivers_all.sh'), ...missing], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DATASETS: shared.name, FOREACT_DATA: dataDir, ...(cutoff === undefined ? {} : { CUTOFF: cutoff }) } });
        if (run.status !== 0) throw new Error('bench/peers/run_drivers_all.sh failed');
      }
      const logs = peerLogs();
      for (const peer of peers) {
        const output = join(OUT, 'peers', `${data.name}_${peer}.csv`);
        const log = logs.get(`${data.name} ${peer}`);
        const usesDrivers = (peer === 'lightgbm' || peer === 'prophet_x') && drivers.length > 0;
        rows.push({
          data: data.name,
          model: `peer ${peer}${usesDrivers ? ' (with drivers)' : ''}`,
          score: score(history, actuals, output, marked),
          seconds: log?.wall_seconds,
          fitSeconds: log?.run.fit_forecast_seconds,
          peakMb: log?.run.peak_rss_mb,
          note: log?.run.failures ? `${log.run.failures} series fell back to seasonal naive` : '',
        });
      }
    }
  }
  const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—');
  const lines = [
    '| data | model | SMAPE | RMSSE | WAPE % | p10–p90 coverage | coverage on promotion/event days | wall s | fit s | peak MB | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.data} | ${r.model} | ${fmt(r.score.smape, 2)} | ${fmt(r.score.rmsse, 4)} | ${fmt(r.score.wape, 2)} | ${pct(r.score.coverage)} | ${pct(r.score.markedCoverage)} | ${fmt(r.seconds, 1)} | ${fmt(r.fitSeconds, 2)} | ${fmt(r.peakMb, 0)} | ${r.note} |`),
    '',
    ...timings.map((t) => `- ${t}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
