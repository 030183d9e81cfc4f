import { attributesForStore, describeStoreAttributes, driversForStore, mergeAccuracy, emptyAccuracy, summarise, trainStore, type Accuracy, type AccuracyAccumulator, type StoreAttributeColumn, type StoreBacktestReport } from '../../engine/index.js';
import { integerFlag, parseArgs, requireFlag } from '../args.js';
import { groupByStore, loadDriversFiles, loadSalesFile, loadStoreAttributesFile } from './load.js';
import { describePooledStep, pooledStep } from './pooled.js';
import { TrainPool } from './train-stores.js';

export interface BacktestSummaryReport {
  horizon: number;
  folds: number;
  series: number;
  /** Every candidate: a family on its own (`calendar`) and, with drivers, on driver-free sales (`calendar+drivers`). */
  families: Record<string, Accuracy>;
  selected: Accuracy;
  /** With --drivers: what the store's choice gives when drivers are not offered at all. */
  selectedWithoutDrivers?: Accuracy;
  choices: Record<string, number>;
  calendarConfigs: Record<string, number>;
  effectConfigs?: Record<string, number>;
  /** With --stores: the attribute columns read, and how many of the sales' stores have a row. */
  storeAttributes?: { columns: StoreAttributeColumn[]; stores: number; storesWithRow: number; summary: string };
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

export async function backtestCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['input', 'horizon', 'folds', 'stores'], ['json'], ['drivers']);
  const input = requireFlag(args, 'input');
  const horizon = integerFlag(args, 'horizon', undefined, 1, 3660);
  const folds = integerFlag(args, 'folds', 3, 1, 10);
  const { series } = await loadSalesFile(input);
  const table = await loadDriversFiles(args.lists.get('drivers') ?? []);
  const attributes = await loadStoreAttributesFile(args.flags.get('stores'));
  const families = new Map<string, AccuracyAccumulator>();
  const selected = emptyAccuracy();
  const selectedPlain = emptyAccuracy();
  const choices: Record<string, number> = {};
  const calendarConfigs: Record<string, number> = {};
  const effectConfigs: Record<string, number> = {};
  const notes = new Set<string>();
  const add = (report: StoreBacktestReport): void => {
    for (const [name, acc] of Object.entries(report.families)) {
      if (acc === undefined) continue;
      if (!families.has(name)) families.set(name, emptyAccuracy());
      mergeAccuracy(families.get(name)!, acc);
    }
  };
  const stores = groupByStore(series);
  const pool = new TrainPool();
  const pooled = await pooledStep(stores, table, attributes, { horizon, folds }, pool).finally(() => pool.close());
  if (pooled !== undefined) process.stderr.write(`foreact: note: ${describePooledStep(pooled)}\n`);
  for (const store of stores) {
    const id = store[0]!.store;
    const drivers = table === undefined ? undefined : driversForStore(table, id, store.map((s) => s.item));
    const own = attributes === undefined ? undefined : attributesForStore(attributes, id);
    const learnedInputs = { ...(pooled === undefined ? {} : { pooled: pooled.artifact }), ...(own === undefined ? {} : { attributes: own }) };
    const { report, notes: storeNotes } = trainStore(store, drivers === undefined ? { horizon, folds, evaluate: true, ...learnedInputs } : { horizon, folds, evaluate: true, drivers, ...learnedInputs });
    if (report === undefined) continue;
    storeNotes.forEach((n) => notes.add(n));
    add(report);
    mergeAccuracy(selected, report.selected);
    if (report.effectConfig !== undefined) {
      const e = report.effectConfig;
      const key = `promotion/price effects from ${e.recentDays === undefined ? 'the last three years' : `the last ${e.recentDays} days`}, post-promotion dip ${e.dip ? 'on' : 'off'}, days around events ${e.neighbours ? 'on' : 'off'}`;
      effectConfigs[key] = (effectConfigs[key] ?? 0) + 1;
    }
    if (table !== undefined) {
      // Without drivers for this store the run above already was the plain one.
      const plain = drivers === undefined ? report : trainStore(store, { horizon, folds, evaluate: true }).report;
      if (plain !== undefined) mergeAccuracy(selectedPlain, plain.selected);
    }
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
  if (table !== undefined) {
    summary.selectedWithoutDrivers = summarise(selectedPlain);
    summary.effectConfigs = effectConfigs;
  }
  if (attributes !== undefined) {
    const salesStores = stores.map((s) => s[0]!.store);
    summary.storeAttributes = { columns: attributes.columns, stores: salesStores.length, storesWithRow: salesStores.filter((s) => attributes.stores.has(s)).length, summary: describeStoreAttributes(attributes, salesStores) };
  }
  for (const note of notes) process.stderr.write(`foreact: note: ${note}\n`);
  if (args.switches.has('json')) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  const row = (name: string, acc: Accuracy): string => `${name.padEnd(28)} ${fmt(acc.smape, 2).padStart(7)} ${fmt(acc.rmsse, 4).padStart(8)} ${fmt(acc.coverage * 100, 1).padStart(9)} %`;
  const lines = [
    ...(summary.storeAttributes === undefined ? [] : [`store attributes: ${summary.storeAttributes.summary}`, '']),
    `Rolling-origin backtest: ${series.length} series, ${folds} fold(s) of ${Math.min(horizon, 182)} days (choice and intervals judged on folds they did not see)`,
    '',
    'model                          SMAPE    RMSSE   p10–p90 coverage',
  ];
  const names = Object.keys(summary.families);
  const plainNames = names.filter((n) => !n.endsWith('+drivers'));
  for (const name of plainNames) {
    lines.push(row(name, summary.families[name]!));
    const withDrivers = summary.families[`${name}+drivers`];
    if (withDrivers !== undefined) lines.push(row(`${name}+drivers`, withDrivers));
  }
  lines.push(row('selected mix', summary.selected));
  if (summary.selectedWithoutDrivers !== undefined) lines.push(row('selected mix, no drivers', summary.selectedWithoutDrivers));
  lines.push('', 'selected mix (series × folds):');
  for (const [label, count] of Object.entries(choices).sort((a, b) => b[1] - a[1])) lines.push(`  ${label.padEnd(40)} ${count}`);
  lines.push('', 'calendar model settings chosen per store:');
  for (const [label, count] of Object.entries(calendarConfigs).sort((a, b) => b[1] - a[1])) lines.push(`  ${label.padEnd(50)} ${count}`);
  if (summary.effectConfigs !== undefined) {
    lines.push('', 'driver effects chosen per store:');
    for (const [label, count] of Object.entries(summary.effectConfigs).sort((a, b) => b[1] - a[1])) lines.push(`  ${label.padEnd(90)} ${count}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
