import { attributesForStore, driversForStore, learnedFamilyWanted, trainPooled, type DriverTable, type FamilyName, type PooledArtifact, type SeriesHistory, type StoreAttributeTable, type StoreDrivers } from '../../engine/index.js';

export interface PooledStep {
  artifact: PooledArtifact;
  seconds: number;
}

/**
 * The CLI's pooled step, as the morning run's (issue 19): when the learned family runs and the file holds more than
 * one store, it is fitted once across the stores (in groups of similar stores) before they train, and every store
 * reads that artifact instead of fitting its own. One store alone fits its own model in trainStore.
 */
export function pooledStep(stores: readonly SeriesHistory[][], table: DriverTable | undefined, attributes: StoreAttributeTable | undefined, options: { horizon: number; folds: number; families?: readonly FamilyName[] | undefined }): PooledStep | undefined {
  if (stores.length < 2 || !learnedFamilyWanted(options.families, table !== undefined)) return undefined;
  const started = performance.now();
  const artifact = trainPooled(
    stores.map((series) => {
      const store = series[0]!.store;
      const drivers: StoreDrivers | undefined = table === undefined ? undefined : driversForStore(table, store, series.map((s) => s.item));
      return { store, series, drivers, attributes: attributes === undefined ? undefined : attributesForStore(attributes, store) };
    }),
    { horizon: options.horizon, folds: options.folds },
  );
  return { artifact, seconds: (performance.now() - started) / 1000 };
}

export function describePooledStep(step: PooledStep): string {
  const t = step.artifact.trainedOn;
  return `pooled step: the learned family fitted across ${t.stores} stores (${t.series} series) in ${t.groups} group(s) on ${t.rows} rows, ${step.seconds.toFixed(2)} s`;
}
