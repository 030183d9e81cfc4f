import type { ForecastRepository } from './forecast-repository.js';
import type { IngestionLedger, RejectedRowsSink } from './ingestion.js';
import type { ModelRegistry } from './model-registry.js';
import type { RunRepository } from './run-repository.js';
import type { SalesHistoryRepository } from './sales-history.js';
import type { StoreCatalog } from './store-catalog.js';
import type { StoreDriversRepository } from './store-drivers.js';
import type { RealisedAccuracyLedger } from './realised-accuracy.js';
import type { StorePointerRepository } from './store-pointers.js';
import type { StoreAttributesRepository } from './store-attributes.js';
import type { PooledArtifactRepository } from './pooled-artifacts.js';
import type { ItemMasterRepository } from './item-master.js';
import type { OverrideRepository } from './overrides.js';

export type { ForecastRepository } from './forecast-repository.js';
export type { IngestionLedger, RejectedRowsSink, UploadSource } from './ingestion.js';
export type { ModelRegistry } from './model-registry.js';
export type { RunRepository } from './run-repository.js';
export type { SalesHistoryRepository } from './sales-history.js';
export type { StoreCatalog, Versioned } from './store-catalog.js';
export type { StoreDriversRepository } from './store-drivers.js';
export type { RealisedAccuracyLedger, RealisedDay } from './realised-accuracy.js';
export type { IngestedPointers, StorePointerRepository } from './store-pointers.js';
export type { StoreAttributesRepository } from './store-attributes.js';
export type { ItemMasterRepository } from './item-master.js';
export type { PooledArtifactRepository, PooledUse, PooledVersion } from './pooled-artifacts.js';
export type { OverrideAuditEntry, OverrideRepository } from './overrides.js';
export type { MetricAttributes, Metrics } from './metrics.js';
export { ConcurrencyConflict, NotFound } from './errors.js';

/** Everything domain code needs from storage; one bundle so call sites pass a single `deps`. */
export interface StoragePorts {
  stores: StoreCatalog;
  /** Ingestion's pointers (history, drivers), out of trainers' reach; `stores` rows carry a mirror. */
  pointers: StorePointerRepository;
  history: SalesHistoryRepository;
  drivers: StoreDriversRepository;
  /** The chain's store attributes (one table, replaced whole by an upload under `uploads/stores/`). */
  attributes: StoreAttributesRepository;
  models: ModelRegistry;
  /** The morning run's pooled artifacts (`models/pooled/<runId>.json`) and the pointer to the latest. */
  pooled: PooledArtifactRepository;
  forecasts: ForecastRepository;
  runs: RunRepository;
  ingestions: IngestionLedger;
  rejected: RejectedRowsSink;
  realised: RealisedAccuracyLedger;
  /** The chain's item master (pack sizes, `items/master.json`); absent → items uploads are refused, transport has no pack sizes. */
  items?: ItemMasterRepository;
  /** Planners' overrides and their audit log; absent → no overrides (realised days record no `adjusted`). */
  overrides?: OverrideRepository;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
