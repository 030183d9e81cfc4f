import type { EpochDay } from '../dates.js';
import type { StoreDrivers } from '../drivers.js';
import { StoreFeatureSource, featureNames, featureSchema, type FeatureSchema, type LearnedStore } from '../learned/features.js';
import { fitLearned, predictLearned, type LearnedModel } from '../learned/learned.js';
import { pooledModelAt, type PooledArtifact } from '../learned/pooled.js';
import type { StoreAttributeValues } from '../store-attributes.js';
import type { StoreData } from './store.js';

export interface LearnedInputs {
  horizon: number;
  drivers?: StoreDrivers | undefined;
  attributes?: StoreAttributeValues | undefined;
  pooled?: PooledArtifact | undefined;
}

/** Which model made a cut's learned forecasts: the pooled step's, or one fitted on the store's own items. */
export type LearnedSource = 'pooled' | 'store';

/**
 * The learned family of one store, per cut: the pooled step's model for the store's group when there is one for the
 * cut (fitted on or before it), else one fitted across the store's own items. The backtest folds share one own fit at
 * the earliest fold's cut (a model may forecast from any later origin), and the final forecast gets its own at the
 * store's last day: two fits per store, not one per fold.
 */
export class StoreLearned {
  private readonly ownFits = new Map<EpochDay, LearnedModel | undefined>();
  private readonly sources = new Map<string, StoreFeatureSource>();
  private readonly store: LearnedStore;
  private readonly pooledSchema: FeatureSchema | undefined;
  readonly used = new Set<LearnedSource>();

  constructor(
    private readonly data: StoreData,
    private readonly inputs: LearnedInputs,
    private readonly earliestCut: EpochDay,
  ) {
    // Closed days are NaN in `masked`: not demand, neither as a target nor in a level.
    this.store = { store: data.store, series: data.series.map((s, k) => ({ store: s.store, item: s.item, startDay: s.startDay, values: data.masked[k]! })), drivers: inputs.drivers, attributes: inputs.attributes };
    const features = inputs.pooled?.features;
    this.pooledSchema = features === undefined ? undefined : { ...features, names: featureNames(features) };
  }

  /** Every series' learned forecast for the `length` days after `cutoff` (undefined where a series has no recent sales to scale by). */
  at(cutoff: EpochDay, length: number): (Float64Array | undefined)[] {
    const pooled = this.inputs.pooled === undefined ? undefined : pooledModelAt(this.inputs.pooled, this.data.store, cutoff, this.inputs.horizon);
    if (pooled !== undefined && this.pooledSchema !== undefined) {
      this.used.add('pooled');
      return predictLearned(pooled, this.source(this.pooledSchema), cutoff, length);
    }
    const fitCut = cutoff >= this.data.lastDay ? cutoff : Math.min(cutoff, this.earliestCut);
    let model = this.ownFits.get(fitCut);
    if (!this.ownFits.has(fitCut)) {
      model = fitLearned([this.source(this.ownSchema())], { cut: fitCut, horizon: this.inputs.horizon });
      this.ownFits.set(fitCut, model);
    }
    if (model === undefined) return this.data.series.map(() => undefined);
    this.used.add('store');
    return predictLearned(model, this.source(model.schema), cutoff, length);
  }

  private ownSchemaValue: FeatureSchema | undefined;

  private ownSchema(): FeatureSchema {
    return (this.ownSchemaValue ??= featureSchema([this.store]));
  }

  private source(schema: FeatureSchema): StoreFeatureSource {
    const key = schema.names.join('\u0000') + JSON.stringify(schema.drivers.map((d) => d.labels)) + JSON.stringify(schema.attributes.map((a) => a.labels));
    let source = this.sources.get(key);
    if (source === undefined) this.sources.set(key, (source = new StoreFeatureSource(this.store, schema)));
    return source;
  }
}
