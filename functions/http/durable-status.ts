import type * as df from 'durable-functions';
import type { InstanceSnapshot } from '../../core/domain/api-runs.js';

/** One orchestration instance's status, read through the durable client. */

export function snapshot(status: df.DurableOrchestrationStatus): InstanceSnapshot {
  const d = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : new Date(0).toISOString());
  return { runtimeStatus: String(status.runtimeStatus), createdTime: d(status.createdTime), lastUpdatedTime: d(status.lastUpdatedTime), input: status.input, customStatus: status.customStatus, output: status.output };
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
