import { FAMILY_NAMES, mergeAccuracy, emptyAccuracy, summarise, trainStore, type Accuracy, type FamilyName, type AccuracyAccumulator } from '../../engine/index.js';
import { integerFlag, parseArgs, requireFlag } from '../args.js';
import { groupByStore, loadSalesFile } from './load.js';

export interface BacktestSummaryReport {
  horizon: number;
  folds: number;
  series: number;
  families: Record<string, Accuracy>;
  selected: Accuracy;
  choices: Record<string, number>;
  calendarConfigs: Record<string, number>;
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

export async function backtestCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['input', 'horizon', 'folds'], ['json']);
  const input = requireFlag(args, 'input');
  const horizon = integerFlag(args, 'horizon', undefined, 1, 3660);
  const folds = integerFlag(args, 'folds', 3, 1, 10);
  const { series } = await loadSalesFile(input);
  const families = new Map<FamilyName, AccuracyAccumulator>(FAMILY_NAMES.map((f) => [f, emptyAccuracy()]));
  const selected = emptyAccuracy();
  const choices: Record<string, number> = {};
  const calendarConfigs: Record<string, number> = {};
  for (const store of groupByStore(series)) {
    const { report } = trainStore(store, { horizon, folds, evaluate: true });
    if (report === undefined) continue;
    for (const [name, acc] of Object.entries(report.families)) mergeAccuracy(families.get(name as FamilyName)!, acc);
    mergeAccuracy(selected, report.selected);
    for (const [label, count] of Object.entries(report.choices)) choices[label] = (choices[label] ?? 0) + count;
    const c = report.calendarConfig;
    const key = `window ${c.levelWindow}${c.shareOfStore ? ' (store share)' : ''}, growth ×${c.growthDamping}, ${c.pooledFactors ? 'store' : 'item'} shape`;
    calendarConfigs[key] = (calendarConfigs[key] ?? 0) + 1;
  }
  const summary: BacktestSummaryReport = {
    horizon,
    folds,
    series: series.length,
    families: Object.fromEntries([...families].map(([f, acc]) => [f, summarise(acc)])),
    selected: summarise(selected),
    choices,
    calendarConfigs,
  };
  if (args.switches.has('json')) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `Rolling-origin backtest: ${series.length} series, ${folds} fold(s) of ${Math.min(horizon, 182)} days (choice and intervals judged on folds they did not see)`,
    '',
    'model                      SMAPE    RMSSE   p10–p90 coverage',
  ];
  for (const [name, acc] of Object.entries(summary.families)) lines.push(`${name.padEnd(24)} ${fmt(acc.smape, 2).padStart(7)} ${fmt(acc.rmsse, 4).padStart(8)} ${fmt(acc.coverage * 100, 1).padStart(9)} %`);
  lines.push(`${'selected mix'.padEnd(24)} ${fmt(summary.selected.smape, 2).padStart(7)} ${fmt(summary.selected.rmsse, 4).padStart(8)} ${fmt(summary.selected.coverage * 100, 1).padStart(9)} %`);
  lines.push('', 'selected mix (series × folds):');
  for (const [label, count] of Object.entries(choices).sort((a, b) => b[1] - a[1])) lines.push(`  ${label.padEnd(30)} ${count}`);
  lines.push('', 'calendar model settings chosen per store:');
  for (const [label, count] of Object.entries(calendarConfigs).sort((a, b) => b[1] - a[1])) lines.push(`  ${label.padEnd(50)} ${count}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
