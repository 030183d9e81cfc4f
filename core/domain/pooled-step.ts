import { attributesForStore, learnedFamilyWanted, trainPooled, type PooledStoreInput } from '../../engine/index.js';
import type { PooledVersion, StoragePorts } from '../ports/index.js';
import { stepSpans } from '../ports/tracer.js';
import { assertRunId } from './ids.js';
import { mapLimit } from './map-limit.js';
import type { RunTrigger, StoreState } from './model.js';
import { loadStoreAttributes } from './pooled-inputs.js';
import { describeError } from './runs.js';
import { loadHistory, type TrainerDeps, type TrainerSettings } from './train-and-publish.js';

export interface PooledJobRequest {
  runId: string;
  trigger: RunTrigger;
}

/** What the pooled job did: the version it wrote, and the stores it had to leave out (their reason). */
export interface PooledJobOutcome extends PooledVersion {
  left: { store: string; error: string }[];
  notes: string[];
}

/**
 * The morning run's pooled step, one job before the fan-out: every store's sales history, drivers and
 * attributes (through the same ports and pointer checks as a store's training) → `trainPooled` → the
 * artifact as `pooled/<runId>.json`, then its version record, then the latest pointer, in that order, so a
 * reader following the pointer never meets a half-written artifact. A store whose history cannot be read is
 * left out (named in the outcome); the job fails only when no store could be read or the fit or a write
 * fails. Idempotent per run: a retried job whose run already recorded its version just re-points to it.
 * Memory: every store's history is in this one process (docs/capacity.md).
 */
export async function trainAndPublishPooled(deps: TrainerDeps, settings: TrainerSettings, request: PooledJobRequest): Promise<PooledJobOutcome> {
  assertRunId(request.runId);
  const log = deps.log ?? (() => undefined);
  const started = deps.clock.now().getTime();
  const done = await deps.pooled.get(request.runId);
  if (done !== undefined) {
    await deps.pooled.setLatest(done.version);
    return { ...done, left: [], notes: ['already written by an earlier attempt of this run'] };
  }
  const steps = stepSpans(deps.tracer, { runId: request.runId, trigger: request.trigger });
  try {
    steps.next('load every store');
    const stores = (await deps.stores.list()).filter((s) => s.history !== undefined).map((s) => s.store).sort();
    const { attributes, attributesProblem } = await loadStoreAttributes(deps);
    const notes = attributesProblem === undefined ? [] : [`pooled without store attributes: ${attributesProblem}`];
    const left: PooledJobOutcome['left'] = [];
    const loaded = await mapLimit(stores, 4, async (store): Promise<PooledStoreInput | undefined> => {
      try {
        const { series, drivers } = await loadHistory(deps, store);
        const storeAttributes = attributes === undefined ? undefined : attributesForStore(attributes, store);
        return { store, series, ...(drivers ? { drivers } : {}), ...(storeAttributes ? { attributes: storeAttributes } : {}) };
      } catch (error) {
        left.push({ store, error: describeError(error) });
        return undefined;
      }
    });
    const inputs = loaded.filter((s): s is PooledStoreInput => s !== undefined);
    if (inputs.length === 0) throw new Error(`no store's history could be read${left.length > 0 ? ` (${left.length} failed, first ${left[0]!.store}: ${left[0]!.error})` : ''}`);
    log(`pooled ${request.runId}: ${inputs.length} store(s), ${inputs.reduce((n, s) => n + s.series.length, 0)} series`);

    steps.next('fit pooled');
    // Let the log and span writes leave before the synchronous fit holds the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    const artifact = trainPooled(inputs, { horizon: settings.horizonDays, folds: settings.backtestFolds });

    steps.next('write pooled');
    const blob = await deps.pooled.write(request.runId, artifact);
    const entry: PooledVersion = {
      version: request.runId,
      blob,
      createdAt: deps.clock.now().toISOString(),
      durationMs: deps.clock.now().getTime() - started,
      stores: artifact.trainedOn.stores,
      series: artifact.trainedOn.series,
      rows: artifact.trainedOn.rows,
      groups: artifact.trainedOn.groups,
      lastDay: artifact.lastDay,
    };
    await deps.pooled.record(entry);
    await deps.pooled.setLatest(entry.version);
    steps.end();
    for (const l of left) notes.push(`store ${l.store} left out: ${l.error}`);
    return { ...entry, left, notes };
  } catch (error) {
    steps.fail(error);
    throw error;
  }
}

/**
 * Deletes pooled artifacts recorded more than `retentionDays` ago, except the one the latest pointer names
 * (a refresh may still read it, however old). Returns how many went.
 */
export async function cleanupPooledArtifacts(deps: Pick<StoragePorts, 'pooled'>, now: Date, retentionDays: number): Promise<number> {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  const latest = await deps.pooled.latest();
  let deleted = 0;
  for (const entry of await deps.pooled.list()) {
    if (entry.version === latest || !(Date.parse(entry.createdAt) < cutoff)) continue;
    await deps.pooled.delete(entry.version);
    deleted++;
  }
  return deleted;
}

/**
 * Why a morning run's pooled step would be wasted, or undefined when some store will read its models: only the
 * engine's learned family reads them, and it is a candidate only for a store with drivers (the engine's
 * `learnedFamilyWanted`). A chain without drivers then pays nothing for pooling.
 */
export function pooledStepNotNeeded(stores: readonly Pick<StoreState, 'history' | 'drivers'>[]): string | undefined {
  const readers = stores.filter((s) => s.history !== undefined && learnedFamilyWanted(undefined, s.drivers !== undefined)).length;
  return stores.some((s) => s.history !== undefined) && readers === 0 ? 'no store has drivers: the learned family, the only reader of pooled models, is not a candidate for any store' : undefined;
}
