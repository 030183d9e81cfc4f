import { formatIsoDay, type SeriesForecast, type TotalsModel } from '../../engine/index.js';
import type { StoragePorts } from '../ports/index.js';
import type { Accuracy, ForecastRow, StoreState } from './model.js';
import { assertRunId } from './ids.js';
import { emptyStore, updateStore } from './stores.js';

function round3(values: Float64Array): number[] {
  return Array.from(values, (v) => Math.round(v * 1000) / 1000);
}

export function toForecastRows(forecasts: readonly SeriesForecast[], runId: string, modelVersion: string): ForecastRow[] {
  return forecasts.map((f) => ({
    store: f.store,
    item: f.item,
    runId,
    modelVersion,
    firstDay: formatIsoDay(f.firstDay),
    forecast: round3(f.forecast),
    p10: round3(f.p10),
    p90: round3(f.p90),
  }));
}

export interface PublishInput {
  store: string;
  /** The id the rows are written under and the pointer names: the run id, or an attempt's id (`attemptRunId`). */
  runId: string;
  /** The run record's id when `runId` is a retry's attempt id (the store's `lastRun` names the run record). */
  recordRunId?: string;
  modelVersion: string;
  championVersion?: string;
  forecasts: readonly SeriesForecast[];
  /** History version the forecasts were trained on. */
  historyVersion: string;
  accuracy: Accuracy;
  /** The store's totals model from this run's training (kept on the current forecast; absent → none kept). */
  totals?: TotalsModel;
  generatedAt: Date;
}

export interface PublishResult {
  /**
   * False when a run trained on newer history had already been published (it stays current), or when the
   * pointer already named this run id (nothing was written: a run's rows are never rewritten).
   */
  switched: boolean;
  state: StoreState | undefined;
}

/**
 * Makes a run's forecasts current, all at once: the rows are written under the run id first (any number
 * of items, any number of table transactions), then one conditional write of the store's row switches the
 * pointer. Readers resolve the pointer and read one run, so they see the old run or the new one, never a
 * mix; a crash before the switch leaves the old run current and the new rows unreferenced.
 */
export async function publishRun(deps: Pick<StoragePorts, 'forecasts' | 'stores'>, input: PublishInput): Promise<PublishResult> {
  assertRunId(input.runId);
  if (input.forecasts.length === 0) throw new Error(`run ${input.runId} has no forecasts to publish for store ${input.store}`);
  // Rows are written once, before any pointer names them. Writing under the run readers are on (a retry
  // reusing an id) would rewrite the live forecasts in place; under the previous run, the forecasts a
  // reader that resolved the pointer just before the last switch is still reading. Neither ever happens.
  const before = (await deps.stores.get(input.store))?.value;
  if (before?.current?.runId === input.runId) return { switched: false, state: before };
  if (before?.previousRunId === input.runId) throw new Error(`run ${input.runId} was the current forecast of store ${input.store} until the last switch: its rows are never rewritten (publish under a new attempt id)`);
  const rows = toForecastRows(input.forecasts, input.runId, input.modelVersion);
  await deps.forecasts.writeRun(input.store, input.runId, rows);
  const now = input.generatedAt.toISOString();
  let firstDay = Infinity;
  let horizon = 0;
  for (const f of input.forecasts) {
    firstDay = Math.min(firstDay, f.firstDay);
    horizon = Math.max(horizon, f.forecast.length);
  }
  let switched = false;
  const state = await updateStore(deps.stores, input.store, (current) => {
    switched = false;
    const base = current ?? emptyStore(input.store, input.generatedAt);
    if (base.current?.runId === input.runId) return undefined;
    // Two runs of one store can overlap (morning run and a refresh); the one trained on newer history wins,
    // whichever finishes last.
    if (base.current !== undefined && base.current.historyVersion > input.historyVersion) return undefined;
    switched = true;
    const historyMoved = base.history !== undefined && base.history.version !== input.historyVersion;
    const next: StoreState = {
      ...base,
      current: {
        runId: input.runId,
        generatedAt: now,
        modelVersion: input.modelVersion,
        firstDay: formatIsoDay(firstDay),
        horizon,
        items: input.forecasts.length,
        historyVersion: input.historyVersion,
        accuracy: input.accuracy,
        ...(input.totals === undefined ? {} : { totals: input.totals }),
      },
      stale: historyMoved,
      lastRun: { runId: input.recordRunId ?? input.runId, status: 'succeeded', at: now },
      updatedAt: now,
    };
    if (base.current !== undefined) next.previousRunId = base.current.runId;
    else delete next.previousRunId;
    if (input.championVersion !== undefined) next.championVersion = input.championVersion;
    if (historyMoved) {
      next.staleReason = 'new sales arrived while this forecast was being trained';
      next.staleSince = now;
    } else {
      delete next.staleReason;
      delete next.staleSince;
    }
    return next;
  });
  return { switched, state };
}
