/**
 * The forecasting engine's public API (pure TypeScript: no app, no Azure).
 *
 * Sales: `readSalesHistory(bytes)` → per-series histories + row errors; `seriesByStore` groups them.
 * Drivers (promotions, prices, events, holidays, closures known in advance):
 *   - `readDrivers(bytes, sourceName)` → `{ table, errors: RowError[], rows }`, one file;
 *     `mergeDriverTables([{ table, source }])` → `{ table, errors: MergeError[] }` joins several files;
 *   - `driversForStore(table, store, items?)` → `StoreDrivers` (history and future, dense per day), the
 *     unit the trainer, `forecastFromArtifact` and storage work with;
 *   - `driverCoverage(storeDrivers, fromDay, toDay)` → `{ store, missingDays }` when drivers stop short;
 *   - `storeDriversToJson` / `storeDriversFromJson` store one store's drivers as JSON;
 *     `overlayStoreDrivers(stored, newer)` applies a newer upload, `sliceStoreDrivers` keeps a range.
 * Training: `trainStore(series, { horizon, drivers? })` → artifacts (JSON, `parseModelArtifact`), forecasts
 * and `notes` (e.g. a driver ignored because it never varies); `forecastFromArtifact(artifact, horizon,
 * drivers?)` forecasts again without refitting (give it the store's drivers, future days included, or the
 * promotions and known closures are not applied).
 */
export * from './artifact.js';
export * from './csv.js';
export * from './dates.js';
export * from './drivers.js';
export { EFFECT_TRIALS, NO_OPTIONAL_EFFECTS, driverNotes, type EffectConfig, type EffectTrial, type ItemEffects } from './effects.js';
export * from './history.js';
export * from './metrics.js';
export * from './store-attributes.js';
export * from './train.js';
export { SERVICE_LEVELS, LEVEL_PROBABILITY, sumQuantiles, estimateCrossRho, parseTotalsModel, MAX_TOTALS_RESIDUALS, type ServiceLevel, type Marginal, type SumQuantiles, type TotalsModel } from './totals.js';
export { FAMILY_NAMES, SERIES_FAMILY_NAMES, type FamilyName, type SeriesFamilyName, type CalendarConfig } from './models/index.js';
export { POOLED_SCHEMA, assemblePooled, fitPooledTask, planPooled, trainPooled, parsePooledArtifact, pooledModelAt, type PooledArtifact, type PooledFitResult, type PooledFitTask, type PooledGroup, type PooledPlan, type PooledStoreInput, type PooledOptions } from './learned/pooled.js';
export { learnedFamilyWanted } from './learned/learned.js';
