import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { activeRunOf } from '../../core/domain/active-run.js';
import type { ActiveRunView } from '../../core/domain/api-service.js';
import { isActive, storeOfCheckRunId } from '../../core/domain/api-runs.js';
import type { CheckRunInstances, RefreshInstances } from '../../core/ports/refresh-instances.js';
import { checkInstanceId, hostDay, MORNING_RUN_ORCHESTRATION, morningInstanceId, refreshInstanceId, STORE_REFRESH_ORCHESTRATION, type MorningRunInput } from '../../orchestrations/names.js';
import { instanceStatus, snapshot } from './durable-status.js';

/** The ports over orchestration instances, as adapters over the durable client. */

/** Runtime statuses of an instance that is still going (a refresh to join). */
const ACTIVE_STATUSES = [df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.ContinuedAsNew];

/**
 * The running refreshes of `stores`, found with one instance query by runtime status (the durable
 * client follows its continuation tokens) instead of one status call per store; only instances whose id
 * is a store's refresh instance id count.
 */
export async function activeRefreshes(client: Pick<df.DurableClient, 'getStatusBy'>, stores: readonly string[], instanceIdOf: (store: string) => string): Promise<Map<string, ActiveRunView>> {
  const out = new Map<string, ActiveRunView>();
  if (stores.length === 0) return out;
  const wanted = new Map(stores.map((s) => [instanceIdOf(s), s]));
  for (const status of await client.getStatusBy({ runtimeStatus: ACTIVE_STATUSES })) {
    const store = wanted.get(status.instanceId);
    const run = store === undefined ? undefined : activeRunOf(snapshot(status));
    if (store === undefined || run === undefined) continue;
    out.set(store, { ...run, statusUrl: `/api/runs/${encodeURIComponent(run.runId)}` });
  }
  return out;
}

/** The `RefreshInstances` port over the durable client: one instance per store (`refreshInstanceId`). */
export function refreshInstances(client: df.DurableClient, start: { requestedBy: string; traceparent: string | undefined }, context: InvocationContext): RefreshInstances {
  return {
    async running(store) {
      return activeRunOf(await instanceStatus(client, refreshInstanceId(store)));
    },
    async start(store, runId) {
      try {
        await client.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId: refreshInstanceId(store), input: { store, runId, requestedBy: start.requestedBy, traceparent: start.traceparent } });
        return true;
      } catch (error) {
        // The host answers 409 when another request started it between the look and the start.
        context.log(`refresh ${store}: start raced (${error instanceof Error ? error.message : String(error)}); joining`);
        return false;
      }
    },
  };
}

/** The `CheckRunInstances` port over the durable client; days are `hostDay`'s, as the morning timer's. */
export function checkRunInstances(client: df.DurableClient, traceparent: string | undefined): CheckRunInstances {
  return {
    async running(store) {
      for (const status of await client.getStatusBy({ runtimeStatus: ACTIVE_STATUSES })) {
        if (storeOfCheckRunId(status.instanceId) === store) return { runId: status.instanceId };
      }
      return undefined;
    },
    async morningRunActive() {
      // Yesterday's too: a run that began before midnight may still be training.
      const yesterday = hostDay(new Date(Date.now() - 86_400_000));
      const runs = await Promise.all([hostDay(), yesterday].map((day) => instanceStatus(client, morningInstanceId(day))));
      return runs.some((morning) => morning !== undefined && isActive(morning));
    },
    async start(store, runId) {
      const input: MorningRunInput = { date: hostDay(), runId, stores: [store], ...(traceparent ? { traceparent } : {}) };
      await client.startNew(MORNING_RUN_ORCHESTRATION, { instanceId: checkInstanceId(runId), input });
    },
  };
}
