import { attributesForStore, driverCoverage, forecastFromArtifact, parseIsoDay, trainStore, type ModelArtifact, type SeriesForecast, type SeriesHistory, type StoreDrivers } from '../../engine/index.js';
import { NotFound, type Clock, type PooledUse, type StoragePorts } from '../ports/index.js';
import { loadSharedTrainingInputs, type SharedTrainingInputs } from './pooled-inputs.js';
import { decideChampion, scoreOnSameFolds, summariseArtifacts } from './champion.js';
import { assertRunId, assertStoreId, newVersion } from './ids.js';
import type { Accuracy, ChampionDecision, RunTrigger, StoreState } from './model.js';
import { publishRun } from './publish.js';
import { describeError, RunTracker } from './runs.js';
import { markStale } from './stores.js';
import { checkedStorePointer } from './store-pointers.js';
import { stepSpans, type Tracer } from '../ports/tracer.js';
import { applyPromotionOverrides, unexpired } from './overrides.js';

export interface TrainerSettings {
  horizonDays: number;
  backtestFolds: number;
  championTolerance: number;
  /** A champion trained longer ago than this is not re-issued (default 28 days). */
  championMaxAgeDays?: number;
}

export interface TrainerDeps extends StoragePorts {
  clock: Clock;
  log?: (message: string) => void;
  /** One span per step (load history, fit and backtest, register, gate, publish); none when absent. */
  tracer?: Tracer;
}

export interface TrainStoreRequest {
  store: string;
  runId: string;
  trigger: RunTrigger;
}

export interface TrainStoreOutcome {
  store: string;
  runId: string;
  /** False when a run on newer history had already been published; this run's rows stay unreferenced. */
  switched: boolean;
  /** The id this attempt published its rows under (the run id, or `<runId>:a<n>` for a retry). */
  forecastRunId: string;
  /** The version trained by this run. */
  candidateVersion: string;
  /** The version whose forecasts were published (the champion's when the candidate was refused). */
  servedVersion: string;
  decision: ChampionDecision;
  items: number;
  durationMs: number;
}

/**
 * Reads the history (and the drivers, when the store has any) its pointers name; retries if ingestion
 * moved a pointer meanwhile.
 */
export async function loadHistory(deps: Pick<TrainerDeps, 'stores' | 'history' | 'drivers'>, store: string): Promise<{ state: StoreState; series: SeriesHistory[]; drivers: StoreDrivers | undefined }> {
  for (let attempt = 0; ; attempt++) {
    const state = (await deps.stores.get(store))?.value;
    if (state?.history === undefined) throw new Error(`store ${store} has no sales history (ingest its sales first)`);
    try {
      // The row is one a trainer may write: only this store's own blobs are read (never another store's sales).
      const historyBlob = checkedStorePointer('history', store, state.history.blob, state.history.version);
      const driversBlob = state.drivers ? checkedStorePointer('drivers', store, state.drivers.blob, state.drivers.version) : undefined;
      const [series, drivers] = await Promise.all([deps.history.read(historyBlob), driversBlob !== undefined ? deps.drivers.read(driversBlob) : undefined]);
      return { state, series, drivers };
    } catch (error) {
      if (!(error instanceof NotFound) || attempt >= 2) throw error;
    }
  }
}

/**
 * The drivers with the planners' promotion overrides in force applied (overrides.ts applyPromotionOverrides):
 * each sets the store's promotion driver on its forecast days, so this run, and every run until it expires or
 * is removed, forecasts with the uplift the model learns from past promotions. An unreadable overrides table
 * does not stop the run: it trains without them and says so in the run's notes.
 */
async function withPromotionOverrides(deps: Pick<TrainerDeps, 'overrides'>, store: string, series: readonly SeriesHistory[], drivers: StoreDrivers | undefined): Promise<{ drivers: StoreDrivers | undefined; applied: string[]; notes: string[] }> {
  if (deps.overrides === undefined || drivers === undefined || series.length === 0) return { drivers, applied: [], notes: [] };
  let overrides;
  try {
    overrides = await deps.overrides.inForce(store);
  } catch (error) {
    return { drivers, applied: [], notes: [`trained without the planners' promotion overrides: ${describeError(error)}`] };
  }
  // Forecasts start the day after the newest history; the history's own days keep what was recorded.
  const firstForecastDay = series.reduce((m, s) => Math.max(m, s.startDay + s.values.length), -Infinity);
  const live = unexpired(overrides, firstForecastDay).filter((o) => o.kind === 'promotion');
  if (live.length === 0) return { drivers, applied: [], notes: [] };
  const result = applyPromotionOverrides(drivers, live, series.map((s) => s.item), firstForecastDay);
  return { drivers: result.drivers, applied: result.applied, notes: result.skipped };
}

/**
 * Re-issues the champion's forecasts from its stored state for the candidate's dates, so a refused
 * candidate still yields a forecast starting the day after the newest history. Items the champion does not
 * know (new since it was trained) keep the candidate's forecast.
 */
function championForecasts(candidate: readonly SeriesForecast[], champion: readonly ModelArtifact[], drivers: StoreDrivers | undefined): SeriesForecast[] {
  const byItem = new Map(champion.map((a) => [a.item, a]));
  return candidate.map((c) => {
    const artifact = byItem.get(c.item);
    if (artifact === undefined) return c;
    // The champion's forecasts start the day after the history it saw.
    const gap = c.firstDay - (parseIsoDay(artifact.origin)! + 1);
    if (gap < 0) return c;
    const full = forecastFromArtifact(artifact, gap + c.forecast.length, drivers);
    return { store: c.store, item: c.item, firstDay: c.firstDay, forecast: full.forecast.slice(gap), p10: full.p10.slice(gap), p90: full.p90.slice(gap) };
  });
}

/**
 * One store's training run, end to end: load history → train and backtest → register the model version →
 * champion gate → publish forecasts under the run id and switch the pointer → close the run record.
 * Callable in-process (worker threads) and from the trainer CLI. On failure the run is marked failed with
 * the reason, the store keeps its current forecasts and is flagged stale, and the error is rethrown.
 */
export async function trainAndPublishStore(deps: TrainerDeps, settings: TrainerSettings, request: TrainStoreRequest, shared?: SharedTrainingInputs): Promise<TrainStoreOutcome> {
  assertStoreId(request.store);
  assertRunId(request.runId);
  // A batch loads these once for all its stores; a lone call reads the latest pooled artifact itself.
  const inputs = shared ?? (await loadSharedTrainingInputs(deps, 'latest'));
  const { store, runId } = request;
  const log = deps.log ?? (() => undefined);
  const tracker = await RunTracker.start(deps.runs, deps.clock, runId, store, request.trigger);
  const steps = stepSpans(deps.tracer, { runId, store, trigger: request.trigger });
  try {
    steps.next('load history');
    const loaded = await loadHistory(deps, store);
    const { state, series } = loaded;
    const historyVersion = state.history!.version;
    log(`store ${store}: ${series.length} series, history ${historyVersion}`);
    const planned = await withPromotionOverrides(deps, store, series, loaded.drivers);
    const drivers = planned.drivers;

    steps.next('fit and backtest');
    await tracker.stage('training', { items: series.length });
    // Let the stage write leave the process before the synchronous training blocks the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    const attributes = inputs.attributes === undefined ? undefined : attributesForStore(inputs.attributes, store);
    const trained = trainStore(series, { horizon: settings.horizonDays, folds: settings.backtestFolds, ...(drivers ? { drivers } : {}), ...(inputs.pooled ? { pooled: inputs.pooled.artifact } : {}), ...(attributes ? { attributes } : {}) });
    // What the planner should know about the drivers: ignored columns, planned days they do not reach.
    const notes = [...trained.notes, ...planned.notes];
    // Only the learned family reads pooled models: for a store it is no candidate for, there is nothing to say.
    if (inputs.pooledProblem !== undefined && trained.learned !== undefined) notes.push(`trained without the pooled artifact: ${inputs.pooledProblem}`);
    if (inputs.attributesProblem !== undefined) notes.push(`trained without store attributes: ${inputs.attributesProblem}`);
    const firstDay = trained.forecasts.reduce((m, f) => Math.min(m, f.firstDay), Infinity);
    if (drivers !== undefined && Number.isFinite(firstDay)) {
      const short = driverCoverage(drivers, firstDay, firstDay + settings.horizonDays - 1);
      if (short !== undefined) notes.push(`drivers do not cover ${short.missingDays.length} forecast day(s) (${short.missingDays[0]} … ${short.missingDays[short.missingDays.length - 1]}): those days get no driver effects`);
    }
    for (const note of notes) log(`store ${store}: ${note}`);

    steps.next('register');
    await tracker.stage('registering');
    const createdAt = deps.clock.now();
    const version = newVersion(createdAt);
    const artifactBlob = await deps.models.saveArtifacts(store, version, trained.artifacts);
    const summary = summariseArtifacts(trained.artifacts);
    // The store-total WAPE is not in the artifacts (it needs the items' forecasts day by day): kept on the
    // registry row, it follows the version when a refused candidate re-serves the champion.
    const trainedAccuracy: Accuracy = { ...summary.accuracy, wape: trained.backtestWape };
    const model = { store, version, runId, createdAt: createdAt.toISOString(), artifactBlob, families: summary.families, accuracy: trainedAccuracy, window: summary.window, items: summary.items, champion: false };
    await deps.models.register(model);

    steps.next('gate');
    await tracker.stage('gating', { modelVersion: version });
    const champion = await deps.models.champion(store);
    const championArtifacts = champion === undefined ? undefined : await deps.models.loadArtifacts(champion.artifactBlob);
    // Both scored on the same folds of this history (the champion's configuration refitted at the same cuts).
    // A mix with the learned family is refitted at the gate's cuts from the same pooled artifact the store trained with.
    const gateLearned = { horizon: settings.horizonDays, pooled: inputs.pooled?.artifact, attributes };
    const scores = championArtifacts === undefined ? undefined : scoreOnSameFolds(series, drivers, trained.artifacts, championArtifacts, settings.backtestFolds, gateLearned);
    const decision = decideChampion({
      candidate: trained.artifacts,
      champion: champion && championArtifacts ? { version: champion.version, createdAt: champion.createdAt, artifacts: championArtifacts } : undefined,
      scores,
      tolerance: settings.championTolerance,
      maxAgeDays: settings.championMaxAgeDays ?? 28,
      now: deps.clock.now(),
    });
    await deps.models.decide(model, decision, champion);
    log(`store ${store}: ${decision.reason}`);

    let forecasts = trained.forecasts;
    let servedVersion = version;
    let accuracy: Accuracy = trainedAccuracy;
    if (!decision.promoted && champion !== undefined && championArtifacts !== undefined) {
      forecasts = championForecasts(trained.forecasts, championArtifacts, drivers);
      servedVersion = champion.version;
      accuracy = champion.accuracy;
    }

    // Every decision, refusals included, is in the run record (and on the candidate's registry row).
    steps.next('publish');
    await tracker.stage('publishing', { champion: { promoted: decision.promoted, reason: decision.reason }, details: { championDecision: decision, ...(decision.promoted ? {} : { refusal: decision.reason }) } });
    // This attempt's own id (the run id for a first attempt, `<runId>:a<n>` for a retry): a retry after a
    // pointer switch never writes into the partition readers are on.
    const forecastRunId = tracker.forecastRunId;
    const published = await publishRun(deps, {
      store,
      runId: forecastRunId,
      recordRunId: runId,
      modelVersion: servedVersion,
      championVersion: decision.promoted ? version : servedVersion,
      forecasts,
      historyVersion,
      accuracy,
      // The dependence between items is the store's, learned on this history's folds: it holds whichever model is served.
      ...(trained.totals === undefined ? {} : { totals: trained.totals }),
      generatedAt: deps.clock.now(),
    });
    steps.end();
    const record = await tracker.succeed({ modelVersion: servedVersion, details: { candidateVersion: version, switched: published.switched, forecastRunId, ...(drivers ? { drivers: state.drivers?.version } : {}), pooled: inputs.pooled?.version ?? null, ...(trained.learned ? { learned: trained.learned } : {}), ...(attributes ? { attributes: attributes.columns.map((c) => c.name) } : {}), ...(planned.applied.length > 0 ? { promotionOverrides: planned.applied } : {}), ...(notes.length > 0 ? { notes } : {}) } });
    return { store, runId, forecastRunId, switched: published.switched, candidateVersion: version, servedVersion, decision, items: forecasts.length, durationMs: record.durationMs ?? 0 };
  } catch (error) {
    const reason = describeError(error);
    steps.fail(error);
    await tracker.fail(reason).catch(() => undefined);
    await markStale(deps.stores, store, `run ${runId} failed: ${reason}`, deps.clock.now(), { runId, status: 'failed', error: reason }).catch(() => undefined);
    throw error;
  }
}

/** "Train these stores": one store (a refresh) or a morning batch, the same request everywhere. */
export interface TrainStoresRequest {
  stores: readonly string[];
  runId: string;
  trigger: RunTrigger;
  /** The pooled artifact the stores train with; absent = the latest one. */
  pooled?: PooledUse;
}

export interface StoreTrainingOutcome {
  store: string;
  status: 'succeeded' | 'failed' | 'skipped';
  /** Trainer time for this store (succeeded). */
  durationMs?: number;
  /** Why it failed. */
  error?: string;
  /** The trainer's outcome for a store it published. */
  outcome?: TrainStoreOutcome;
}

/**
 * The one contract between the dispatch backends and the trainer: the job pod's process, the local
 * backend's worker threads and tests call this. Stores train one after another; a store that fails is
 * recorded failed (previous forecast kept, stale) and the next one goes on. Stores whose run record
 * already says `succeeded` (a retried pod, a re-dispatched lost job) are skipped.
 */
export async function trainAndPublishStores(deps: TrainerDeps, settings: TrainerSettings, request: TrainStoresRequest, onStore?: (store: string) => void): Promise<StoreTrainingOutcome[]> {
  const outcomes: StoreTrainingOutcome[] = [];
  // Read once per job: the pooled artifact may be a few MB, and every store of the batch shares it.
  const shared = await loadSharedTrainingInputs(deps, request.pooled);
  for (const store of request.stores) {
    onStore?.(store);
    const existing = await deps.runs.get(request.runId, store).catch(() => undefined);
    if (existing?.status === 'succeeded') {
      outcomes.push({ store, status: 'skipped' });
      continue;
    }
    try {
      const outcome = await trainAndPublishStore(deps, settings, { store, runId: request.runId, trigger: request.trigger }, shared);
      outcomes.push({ store, status: 'succeeded', durationMs: outcome.durationMs, outcome });
    } catch (error) {
      outcomes.push({ store, status: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}
