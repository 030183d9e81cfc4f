import { assemblePooled, attributesForStore, driversForStore, learnedFamilyWanted, planPooled, type DriverTable, type FamilyName, type PooledArtifact, type SeriesHistory, type StoreAttributeTable, type StoreDrivers } from '../../engine/index.js';
import { runPooledTasks, type TrainPool } from './train-stores.js';

export interface PooledStep {
  artifact: PooledArtifact;
  seconds: number;
}

/**
 * The CLI's pooled step, as the morning run's (issue 19): when the learned family runs, it is fitted once across the
 * file's stores (in groups of similar stores) before they train, and every store reads that artifact instead of
 * fitting its own. A file of one store gets the same fits as the store would make itself, but at its two cuts on
 * two threads at once.
 */
export async function pooledStep(stores: readonly SeriesHistory[][], table: DriverTable | undefined, attributes: StoreAttributeTable | undefined, options: { horizon: number; folds: number; families?: readonly FamilyName[] | undefined }, pool?: TrainPool): Promise<PooledStep | undefined> {
  if (!learnedFamilyWanted(options.families, table !== undefined)) return undefined;
  const started = performance.now();
  const plan = planPooled(
    stores.map((series) => {
      const store = series[0]!.store;
      const drivers: StoreDrivers | undefined = table === undefined ? undefined : driversForStore(table, store, series.map((s) => s.item));
      return { store, series, drivers, attributes: attributes === undefined ? undefined : attributesForStore(attributes, store) };
    }),
    { horizon: options.horizon, folds: options.folds },
  );
  const artifact = assemblePooled(plan, await runPooledTasks(plan.tasks, undefined, pool));
  return { artifact, seconds: (performance.now() - started) / 1000 };
}

export function describePooledStep(step: PooledStep): string {
  const t = step.artifact.trainedOn;
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  return `pooled step: the learned family fitted across ${plural(t.stores, 'store', 'stores')} (${plural(t.series, 'series', 'series')}) in ${plural(t.groups, 'group', 'groups')} on ${t.rows} rows, ${step.seconds.toFixed(2)} s`;
}
