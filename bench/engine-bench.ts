/**
 * Engine benchmark on the real data sets (../shared/data, never copied into the repo): our CLI per model
 * family and for the selected mix, beside PyPI peers (Prophet, statsforecast AutoETS and SES) on the same
 * split, all scored by the same code. Prints a markdown table; figures, not assertions.
 *
 *   npm run bench                       # everything, peers included (installs them into bench/.venv)
 *   npm run bench -- --no-peers         # ours only
 *   npm run bench -- --peers autoets,ses --data store-item
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { parseIsoDay } from '../engine/index.js';
import { readPanel, score, type Panel, type Score } from './score.js';

const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'bench/out');

interface DataSet {
  name: string;
  file: string;
  cutoff: string;
  horizon: number;
}

const DATA_SETS: DataSet[] = [
  { name: 'store-item', file: 'store-item/train.csv', cutoff: '2017-03-31', horizon: 90 },
  { name: 'm5-tx3-foods3', file: 'm5-tx3-foods3/sales.csv.gz', cutoff: '2016-03-03', horizon: 28 },
];

interface Row {
  data: string;
  model: string;
  score: Score;
  seconds: number;
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

function timed(command: string, args: string[]): { seconds: number; peakMb: number | undefined; stdout: string; stderr: string } {
  const useTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const result = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'PEAK_KB=%M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  const peak = /PEAK_KB=(\d+)/.exec(result.stderr);
  return { seconds, peakMb: peak ? Number(peak[1]) / 1024 : undefined, stdout: result.stdout, stderr: result.stderr };
}

function actualsAfter(full: Panel, cutoffDay: number, horizon: number): Panel {
  const actuals: Panel = new Map();
  for (const [key, series] of full) {
    const window = new Map<number, number>();
    for (const [day, value] of series) if (day > cutoffDay && day <= cutoffDay + horizon) window.set(day, value);
    if (window.size > 0) actuals.set(key, window);
  }
  return actuals;
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dataDir = resolve(ROOT, argv.includes('--data-dir') ? argv[argv.indexOf('--data-dir') + 1]! : process.env.FOREACT_DATA ?? '../shared/data');
  const only = argv.includes('--data') ? argv[argv.indexOf('--data') + 1]!.split(',') : undefined;
  const peers = argv.includes('--no-peers') ? [] : argv.includes('--peers') ? argv[argv.indexOf('--peers') + 1]!.split(',') : ['ses', 'autoets', 'prophet'];
  const families = ['selected mix', 'seasonal_naive', 'calendar', 'holt_winters', 'tsb', 'ses'];
  mkdirSync(OUT, { recursive: true });
  let python: string | undefined;
  if (peers.length > 0) {
    const setup = spawnSync('bash', [join(ROOT, 'bench/peers/setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (setup.status !== 0) throw new Error('bench/peers/setup.sh failed');
    python = setup.stdout.trim().split('\n').pop();
  }
  const rows: Row[] = [];
  const timings: string[] = [];
  for (const data of DATA_SETS) {
    if (only !== undefined && !only.includes(data.name)) continue;
    const source = join(dataDir, data.file);
    if (!existsSync(source)) throw new Error(`${source} not found: pass --data-dir or set FOREACT_DATA`);
    const train = join(OUT, `${data.name}-train.csv`);
    await writeTrainSplit(source, data.cutoff, train);
    const { panel: history } = readPanel(train, 'sales');
    const cutoffDay = parseIsoDay(data.cutoff)!;
    const actuals = actualsAfter(readPanel(source, 'sales').panel, cutoffDay, data.horizon);
    for (const family of families) {
      const output = join(OUT, `${data.name}-foreact-${family.replace(' ', '-')}.csv`);
      const args = [join(ROOT, 'bin/foreact.js'), 'forecast', '--input', train, '--horizon', String(data.horizon), '--output', output];
      if (family !== 'selected mix') args.push('--families', family);
      const run = timed(process.execPath, args);
      const phases = /read ([\d.]+) s, train ([\d.]+) s, write ([\d.]+) s/.exec(run.stderr);
      const [read, fit, write] = phases ? phases.slice(1).map(Number) : [];
      if (family === 'selected mix' && read !== undefined && write !== undefined) {
        timings.push(`${data.name}: whole CLI run ${run.seconds.toFixed(2)} s = parse ${read.toFixed(2)} s + train ${fit!.toFixed(2)} s + write ${write.toFixed(2)} s (+ Node start-up); ${(run.seconds / (read + write)).toFixed(2)}× the time of parsing and writing alone`);
      }
      rows.push({ data: data.name, model: `foreact ${family}`, score: score(history, actuals, output), seconds: run.seconds, fitSeconds: fit, peakMb: run.peakMb, note: '' });
      process.stderr.write(`bench: ${data.name} foreact ${family} done\n`);
    }
    for (const peer of peers) {
      const output = join(OUT, `${data.name}-peer-${peer}.csv`);
      const run = timed(python!, [join(ROOT, 'bench/peers/run_peer.py'), '--model', peer, '--input', source, '--cutoff', data.cutoff, '--horizon', String(data.horizon), '--output', output, '--jobs', '2']);
      const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { fit_forecast_seconds?: number; peak_rss_mb?: number; failures?: number };
      rows.push({
        data: data.name,
        model: `peer ${peer}`,
        score: score(history, actuals, output),
        seconds: run.seconds,
        fitSeconds: report.fit_forecast_seconds,
        peakMb: report.peak_rss_mb ?? run.peakMb,
        note: report.failures ? `${report.failures} series fell back to seasonal naive` : '',
      });
      process.stderr.write(`bench: ${data.name} peer ${peer} done\n`);
    }
  }
  const lines = [
    '| data | model | SMAPE | RMSSE | p10–p90 coverage | wall s | fit s | peak MB | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.data} | ${r.model} | ${fmt(r.score.smape, 2)} | ${fmt(r.score.rmsse, 4)} | ${Number.isFinite(r.score.coverage) ? `${(r.score.coverage * 100).toFixed(1)} %` : '—'} | ${fmt(r.seconds, 2)} | ${fmt(r.fitSeconds, 2)} | ${fmt(r.peakMb, 0)} | ${r.note} |`),
    '',
    ...timings.map((t) => `- ${t}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
