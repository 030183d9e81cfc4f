/**
 * Development probe of the learned family alone (issue 19): fits it at a cut, forecasts the horizon after it, and
 * scores it beside the engine's current selection and their mean, on the same points.
 *   node dist/bench/learned-exp.js --input <sales> [--drivers <file>]... --cutoff YYYY-MM-DD --horizon N [--pooled]
 */
import { driversForStore, parseIsoDay, trainStore, type SeriesHistory, type StoreDrivers } from '../engine/index.js';
import { StoreFeatureSource, featureSchema, type LearnedStore } from '../engine/learned/features.js';
import { LEARNED_GBDT, fitLearned, predictLearned } from '../engine/learned/learned.js';
import { naiveScale, smapePoint } from '../engine/metrics.js';
import { groupByStore, loadDriversFiles, loadSalesFile } from '../cli/commands/load.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const many = (name: string): string[] => argv.flatMap((a, i) => (a === name ? [argv[i + 1]!] : []));

async function main(): Promise<void> {
  const cut = parseIsoDay(flag('--cutoff')!)!;
  if (flag('--gbdt') !== undefined) Object.assign(LEARNED_GBDT, JSON.parse(flag('--gbdt')!));
  const horizon = Number(flag('--horizon'));
  const { series } = await loadSalesFile(flag('--input')!);
  const table = await loadDriversFiles(many('--drivers'));
  const stores = groupByStore(series);
  const train = (s: SeriesHistory): SeriesHistory | undefined => {
    const n = Math.min(s.values.length, cut - s.startDay + 1);
    return n <= 0 ? undefined : { ...s, values: s.values.slice(0, n) };
  };
  const inputs = stores.map((group) => {
    const trained = group.map(train).filter((s): s is SeriesHistory => s !== undefined);
    const drivers: StoreDrivers | undefined = table === undefined ? undefined : driversForStore(table, group[0]!.store, trained.map((s) => s.item));
    const masked = trained.map((s) => {
      if (drivers === undefined) return s;
      const c = drivers.columns.findIndex((col) => col.name === 'open');
      if (c < 0) return s;
      const values = Float64Array.from(s.values);
      for (let i = 0; i < values.length; i++) if (drivers.storeValues[c]![s.startDay + i - drivers.firstDay] === 0) values[i] = Number.NaN;
      return { ...s, values };
    });
    return { group, trained, drivers, learned: { store: group[0]!.store, series: masked, drivers } satisfies LearnedStore };
  });
  const schema = featureSchema(inputs.map((i) => i.learned));
  const sources = inputs.map((i) => new StoreFeatureSource(i.learned, schema));
  const t0 = performance.now();
  const pooled = argv.includes('--pooled') ? fitLearned(sources, { cut, horizon, maxRows: Number(flag('--rows') ?? 60000) * Math.min(4, sources.length) }) : undefined;
  const acc = { engine: [0, 0, 0, 0], learned: [0, 0, 0, 0], mean: [0, 0, 0, 0] };
  let fitMs = 0;
  let engineMs = 0;
  inputs.forEach((input, si) => {
    const t1 = performance.now();
    const model = pooled ?? fitLearned([sources[si]!], { cut, horizon, maxRows: Number(flag('--rows') ?? 60000) });
    const learned = model === undefined ? [] : predictLearned(model, sources[si]!, cut, horizon);
    fitMs += performance.now() - t1;
    const t2 = performance.now();
    const engine = argv.includes('--learned-only') ? input.trained.map((s, k) => ({ item: s.item, forecast: learned[k] ?? new Float64Array(horizon) })) : trainStore(input.trained, { horizon, ...(input.drivers ? { drivers: input.drivers } : {}) }).forecasts;
    engineMs += performance.now() - t2;
    input.trained.forEach((s, k) => {
      const full = input.group.find((g) => g.item === s.item)!;
      const e = engine.find((f) => f.item === s.item)!.forecast;
      const l = learned[k] ?? e;
      const m = e.map((v, i) => (v + l[i]!) / 2);
      const scale = naiveScale(s.values);
      for (const [name, f] of [['engine', e], ['learned', l], ['mean', m]] as const) {
        let sse = 0;
        let n = 0;
        for (let step = 1; step <= horizon; step++) {
          const a = full.values[cut + step - full.startDay];
          if (a === undefined || a !== a) continue;
          const v = input.drivers !== undefined && input.drivers.columns.some((c) => c.name === 'open') ? f[step - 1]! : f[step - 1]!;
          sse += (v - a) ** 2;
          n++;
          acc[name][1]! += smapePoint(v, a);
          acc[name][2]! += 1;
          acc[name][3]! += Math.abs(v - a);
        }
        if (n > 0 && scale > 0) acc[name][0]! += Math.sqrt(sse / n / scale);
      }
    });
  });
  let seriesCount = 0;
  for (const i of inputs) seriesCount += i.trained.length;
  let actualSum = 0;
  for (const i of inputs) for (const s of i.group) for (let step = 1; step <= horizon; step++) { const a = s.values[cut + step - s.startDay]; if (a !== undefined && a === a) actualSum += a; }
  for (const [name, a] of Object.entries(acc)) console.log(`${name.padEnd(8)} RMSSE ${(a[0]! / seriesCount).toFixed(4)}  SMAPE ${(a[1]! / a[2]!).toFixed(2)}  WAPE ${((100 * a[3]!) / actualSum).toFixed(2)}`);
  console.log(`learned fit+predict ${((performance.now() - t0 - engineMs) / 1000).toFixed(1)} s (per-store part ${(fitMs / 1000).toFixed(1)} s), engine ${(engineMs / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
