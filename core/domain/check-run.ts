import type { CheckRunInstances } from '../ports/refresh-instances.js';

export type CheckRunStart = { kind: 'started' | 'joined'; runId: string } | { kind: 'busy'; reason: string };

/**
 * Starts a check run of one store (the morning run restricted to it, through the morning run's backend),
 * or joins the store's running one, so a retried smoke test does not queue a second Job. Refused while
 * the day's morning run is in progress: the check run sizes the training pool for one store and restores
 * it at its end, which would take nodes from under the morning run's Jobs.
 */
export async function startOrJoinCheckRun(instances: CheckRunInstances, store: string, newRunId: () => string): Promise<CheckRunStart> {
  const running = await instances.running(store);
  if (running !== undefined) return { kind: 'joined', runId: running.runId };
  if (await instances.morningRunActive()) return { kind: 'busy', reason: 'The morning run is in progress; start a check run once it has finished.' };
  const runId = newRunId();
  await instances.start(store, runId);
  return { kind: 'started', runId };
}
