import { isActive, runIdOfInstance, statusOfInstance, type ApiRunStatus, type InstanceSnapshot } from './api-runs.js';

/**
 * The run an orchestration instance is still carrying out, or undefined when it has finished or names no
 * run (an instance without a run id cannot be joined or linked to, so it does not count as a run going on).
 */
export function activeRunOf(s: InstanceSnapshot | undefined): { runId: string; status: ApiRunStatus } | undefined {
  if (s === undefined || !isActive(s)) return undefined;
  const runId = runIdOfInstance(s);
  return runId === undefined ? undefined : { runId, status: statusOfInstance(s) };
}
