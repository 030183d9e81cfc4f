import type { InvocationContext } from '@azure/functions';
import type { OrchestrationContext, RetryOptions } from 'durable-functions';

/**
 * What the host reads from durable-functions' replay engine after an episode. The public surface is the
 * orchestrator's result (`isDone`, `actions`, `output`, `customStatus`) and `context.df`. Which task
 * got which id, and where a retry stands, the package keeps to itself; the real extension works them out
 * on its side. The internals read here are listed in docs/local-host.md and were checked against
 * durable-functions 3.5.0.
 */

/** durable-functions' `ActionType` (lib/src/actions/ActionType.js); the package does not export it. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** An action as the orchestrator's result carries it (the JSON the real extension receives). */
export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  retryOptions?: RetryOptions;
  compoundActions?: Action[];
}

export interface EpisodeResult {
  isDone?: boolean;
  actions?: Action[][];
  output?: unknown;
  customStatus?: unknown;
}

/** The leaf actions of a result (WhenAll/WhenAny nodes opened up), in order. */
export function leafActions(result: EpisodeResult | undefined): Action[] {
  const flat: Action[] = [];
  const walk = (a: Action): void => {
    if (a.compoundActions) a.compoundActions.forEach(walk);
    else flat.push(a);
  };
  (result?.actions ?? []).flat().forEach(walk);
  return flat;
}

/** durable-functions JSON-encodes string inputs once more (the extension treats inputs as raw JSON). */
export function actionInput(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

export function customStatusOf(context: InvocationContext, result: EpisodeResult | undefined): unknown {
  return result?.customStatus ?? (context as Partial<OrchestrationContext>).df?.customStatus;
}

// ---- internals (docs/local-host.md lists them) -----------------------------------------------------

/** A task of `TaskOrchestrationExecutor.openTasks`; `parent` is the `RetryableTask` of a `noOp` retry placeholder. */
interface OpenTask {
  id: number | string | false;
  actionObj: unknown;
  parent?: {
    isWaitingOnTimer?: boolean;
    attemptNumber?: number;
    innerTask?: { actionObj: unknown };
  };
}

interface ExecutorView {
  openTasks?: Record<string, OpenTask>;
  exception?: unknown;
}

const executorOf = (context: InvocationContext): ExecutorView | undefined =>
  (context as unknown as { df?: { taskOrchestratorExecutor?: ExecutorView } }).df?.taskOrchestratorExecutor;

/** Why the orchestrator failed: the executor's recorded exception (a failed task's error), else what the handler threw. */
export function failureOf(context: InvocationContext, thrown: unknown): string {
  const cause = executorOf(context)?.exception ?? thrown;
  return cause instanceof Error ? cause.message : String(cause);
}

/** A task the replay engine holds open that history has not scheduled yet, with the id the engine gave it. */
export interface NewTask {
  id: number;
  /** The action to record, or undefined when it is not one the host can run. */
  action: Action | undefined;
}

/**
 * The open tasks whose ids history has not scheduled, in id order. A retry shows up as a `noOp` task
 * under its `RetryableTask`: waiting on its back-off timer (a CreateTimer action is made here, with the
 * delay the extension would compute), or due for its next attempt (the inner task's action again).
 */
export function newTasks(context: InvocationContext, scheduled: ReadonlySet<number>, nowMs: number): NewTask[] {
  const open = Object.values(executorOf(context)?.openTasks ?? {})
    .filter((task): task is OpenTask & { id: number } => typeof task.id === 'number' && !scheduled.has(task.id))
    .sort((a, b) => a.id - b.id);
  return open.map((task) => ({ id: task.id, action: actionOf(task, nowMs) }));
}

function actionOf(task: OpenTask, nowMs: number): Action | undefined {
  const action = task.actionObj as Action | string;
  const retry = task.parent;
  const retryOptions = (retry?.innerTask?.actionObj as Action | undefined)?.retryOptions;
  if (action === 'noOp' && retry && retryOptions) {
    if (retry.isWaitingOnTimer) {
      const failures = Math.max(1, (retry.attemptNumber ?? 2) - 1);
      return { actionType: ActionType.CreateTimer, fireAt: new Date(nowMs + retryDelayMs(retryOptions, failures)) };
    }
    return retry.innerTask?.actionObj as Action;
  }
  return typeof action === 'object' ? action : undefined;
}

/** The Durable extension's back-off: first interval × coefficient^(failures − 1), capped by the max interval. */
export function retryDelayMs(options: Pick<RetryOptions, 'firstRetryIntervalInMilliseconds' | 'backoffCoefficient' | 'maxRetryIntervalInMilliseconds'>, failures: number): number {
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, failures - 1);
  if (options.maxRetryIntervalInMilliseconds && options.maxRetryIntervalInMilliseconds > 0) delay = Math.min(delay, options.maxRetryIntervalInMilliseconds);
  return delay;
}
