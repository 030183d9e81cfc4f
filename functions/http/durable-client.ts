import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { ActiveRunView } from '../../core/domain/api-service.js';
import { isActive, runIdOfInstance, statusOfInstance, storeOfCheckRunId, type InstanceSnapshot } from '../../core/domain/api-runs.js';
import type { CheckRunInstances, RefreshInstances } from '../../core/ports/refresh-instances.js';
import { checkInstanceId, hostDay, MORNING_RUN_ORCHESTRATION, morningInstanceId, refreshInstanceId, STORE_REFRESH_ORCHESTRATION, type MorningRunInput } from '../../orchestrations/names.js';

/** The durable client as the HTTP functions use it: instance status and the ports over instances. */

export const durableClientInput = df.input.durableClient();

export function durableClient(context: InvocationContext): df.DurableClient {
  return df.getClient(context);
}

export function snapshot(status: df.DurableOrchestrationStatus): InstanceSnapshot {
  const d = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : new Date(0).toISOString());
  return { runtimeStatus: String(status.runtimeStatus), createdTime: d(status.createdTime), lastUpdatedTime: d(status.lastUpdatedTime), input: status.input, customStatus: status.customStatus, output: status.output };
}

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
    if (store === undefined) continue;
    const s = snapshot(status);
    const runId = runIdOfInstance(s);
    if (runId === undefined || !isActive(s)) continue;
    out.set(store, { runId, status: statusOfInstance(s), statusUrl: `/api/runs/${encodeURIComponent(runId)}` });
  }
  return out;
}

/** The one status call `instanceStatus` makes, as the durable client sends it (same URL, headers, tracing). */
type StatusRequest = (options: { instanceId: string; showInput: boolean }) => Promise<{ status: number }>;

/**
 * Status of an instance, or undefined when there is none. The extension (and scripts/local-host) answers
 * 404 for an unknown id, but `getStatus` turns that into a plain Error whose text is its only mark, and a
 * 500 whose body says "not found" reads the same. So the HTTP status is read where the client receives it:
 * its status request is observed for this one call, and only a 404 counts as "no instance".
 */
export async function instanceStatus(client: df.DurableClient, instanceId: string): Promise<InstanceSnapshot | undefined> {
  const request = (client as unknown as { getStatusInternal?: StatusRequest }).getStatusInternal;
  // durable-functions 3.x; a release without it must fail here (and in the local-host tests), not guess.
  if (typeof request !== 'function') throw new Error('durable-functions: DurableClient.getStatusInternal is missing; instanceStatus cannot tell a 404 from a failure.');
  let answered: number | undefined;
  const observed = Object.create(client) as df.DurableClient & { getStatusInternal: StatusRequest };
  observed.getStatusInternal = async (options) => {
    const response = await request.call(client, options);
    answered = response.status;
    return response;
  };
  try {
    const s = await observed.getStatus(instanceId, { showInput: true });
    if (s === undefined || s === null || !s.runtimeStatus) return undefined;
    return snapshot(s);
  } catch (error) {
    if (answered === 404) return undefined;
    throw error;
  }
}

/** The `RefreshInstances` port over the durable client: one instance per store (`refreshInstanceId`). */
export function refreshInstances(client: df.DurableClient, start: { requestedBy: string; traceparent: string | undefined }, context: InvocationContext): RefreshInstances {
  return {
    async running(store) {
      const existing = await instanceStatus(client, refreshInstanceId(store));
      const runId = existing === undefined ? undefined : runIdOfInstance(existing);
      return existing !== undefined && isActive(existing) && runId !== undefined ? { runId, status: statusOfInstance(existing) } : undefined;
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
