/**
 * Orchestrator replay without a host, the way durable-functions' own tests exercise orchestrators: write
 * the history the Durable extension would send (episode by episode), hand it to the orchestrator handler
 * durable-functions builds for a generator, and look at what comes back (`isDone`, `actions`, `output`,
 * `customStatus`). Activities never run here: their results are whatever the history says.
 *
 * The handler is the package's real one: the generator is registered with `df.app.orchestration` while
 * the local host's `@azure/functions-core` stand-in is installed (scripts/local-host/registry.ts), and the
 * handler `@azure/functions` passes to `registerFunction` is captured. Import this module before any module
 * that registers functions (orchestrations/*.ts): `@azure/functions` decides once per process whether a
 * core API exists, and without one it drops registrations silently ("test mode").
 */
import { randomUUID } from 'node:crypto';
import * as df from 'durable-functions';
import type { OrchestrationHandler } from 'durable-functions';
import { getRegistry, installCoreApiHook, type Handler } from '../../scripts/local-host/registry.js';

installCoreApiHook();

export { EventType as HistoryEventType } from '../../scripts/local-host/history-events.js';
import { EventType as HistoryEventType } from '../../scripts/local-host/history-events.js';

/** One history event in the extension's wire shape (PascalCase; payloads JSON-encoded). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
}

/** IsPlayed as the extension sets it: true for the events of every episode before the last one. */
function markPlayed(events: readonly HistoryEvent[]): HistoryEvent[] {
  const lastStart = events.map((e) => e.EventType).lastIndexOf(HistoryEventType.OrchestratorStarted);
  return events.map((e, i) => ({ ...e, IsPlayed: i < lastStart }));
}

const iso = (at: Date | string): string => (typeof at === 'string' ? new Date(at).toISOString() : at.toISOString());

/**
 * Builds a history the way the extension appends to it. Each episode starts with OrchestratorStarted (its
 * timestamp is what `context.df.currentUtcDateTime` reads) and holds the completions delivered to it,
 * followed by the work the orchestrator scheduled in it. Scheduling events get the sequence ids the replay
 * engine gives its tasks, in order (a retry's timer and its re-attempt take ids too, as in the engine).
 */
export class HistoryBuilder {
  private readonly list: HistoryEvent[] = [];
  private nextId = 0;
  private time: string;
  private readonly timers = new Map<number, string>();
  readonly input: unknown;

  constructor(options: { startedAt: Date; input: unknown; name?: string }) {
    this.time = iso(options.startedAt);
    this.input = options.input;
    this.push({ EventType: HistoryEventType.OrchestratorStarted, EventId: -1 });
    this.push({ EventType: HistoryEventType.ExecutionStarted, EventId: -1, Name: options.name ?? '', Input: JSON.stringify(options.input) });
  }

  /** The current episode's time (what the orchestrator sees as `currentUtcDateTime` once it has replayed to here). */
  get now(): Date {
    return new Date(this.time);
  }

  /** Ends the episode (OrchestratorCompleted) and starts the next one at `at`. */
  episode(at: Date): this {
    if (at.getTime() < new Date(this.time).getTime()) throw new Error(`episode at ${iso(at)} is before ${this.time}`);
    this.push({ EventType: HistoryEventType.OrchestratorCompleted, EventId: -1 });
    this.time = iso(at);
    this.push({ EventType: HistoryEventType.OrchestratorStarted, EventId: -1 });
    return this;
  }

  /** TaskScheduled (an activity, or a retry's next attempt); returns its task id. */
  activityScheduled(name: string, input: unknown): number {
    const id = this.nextId++;
    this.push({ EventType: HistoryEventType.TaskScheduled, EventId: id, Name: name, Input: JSON.stringify(input ?? null) });
    return id;
  }

  activityCompleted(taskId: number, result: unknown): this {
    this.push({ EventType: HistoryEventType.TaskCompleted, EventId: -1, TaskScheduledId: taskId, Result: JSON.stringify(result ?? null) });
    return this;
  }

  /** TaskFailed as the extension reports an activity that threw (no FailureDetails: Reason + Details). */
  activityFailed(taskId: number, reason: string, details = ''): this {
    this.push({ EventType: HistoryEventType.TaskFailed, EventId: -1, TaskScheduledId: taskId, Reason: reason, Details: details });
    return this;
  }

  /** TimerCreated (a durable timer, or the wait before a retry); returns its task id. */
  timerCreated(fireAt: Date): number {
    const id = this.nextId++;
    this.timers.set(id, iso(fireAt));
    this.push({ EventType: HistoryEventType.TimerCreated, EventId: id, FireAt: iso(fireAt) });
    return id;
  }

  timerFired(timerId: number): this {
    const fireAt = this.timers.get(timerId);
    if (fireAt === undefined) throw new Error(`no timer ${timerId} in this history`);
    this.push({ EventType: HistoryEventType.TimerFired, EventId: -1, TimerId: timerId, FireAt: fireAt });
    return this;
  }

  subOrchestrationCreated(name: string, instanceId: string, input: unknown): number {
    const id = this.nextId++;
    this.push({ EventType: HistoryEventType.SubOrchestrationInstanceCreated, EventId: id, Name: name, InstanceId: instanceId, Input: JSON.stringify(input ?? null) });
    return id;
  }

  subOrchestrationCompleted(taskId: number, result: unknown): this {
    this.push({ EventType: HistoryEventType.SubOrchestrationInstanceCompleted, EventId: -1, TaskScheduledId: taskId, Result: JSON.stringify(result ?? null) });
    return this;
  }

  subOrchestrationFailed(taskId: number, reason: string, details = ''): this {
    this.push({ EventType: HistoryEventType.SubOrchestrationInstanceFailed, EventId: -1, TaskScheduledId: taskId, Reason: reason, Details: details });
    return this;
  }

  eventRaised(name: string, data: unknown): this {
    this.push({ EventType: HistoryEventType.EventRaised, EventId: -1, Name: name, Input: JSON.stringify(data ?? null) });
    return this;
  }

  /** The instance ids of sub-orchestrations created and not yet completed or failed. */
  outstandingSubOrchestrations(): string[] {
    const created = new Map<number, string>();
    for (const e of this.list) {
      if (e.EventType === HistoryEventType.SubOrchestrationInstanceCreated) created.set(e.EventId, e.InstanceId ?? '');
      if (e.EventType === HistoryEventType.SubOrchestrationInstanceCompleted || e.EventType === HistoryEventType.SubOrchestrationInstanceFailed) created.delete(e.TaskScheduledId ?? -1);
    }
    return [...created.values()];
  }

  /** A copy of the events, with IsPlayed set as the extension sets it: true for every earlier episode's events. */
  events(): HistoryEvent[] {
    return markPlayed(this.list);
  }

  private push(event: Omit<HistoryEvent, 'IsPlayed' | 'Timestamp'>): void {
    this.list.push({ ...event, IsPlayed: false, Timestamp: this.time });
  }
}

// ---- readable actions ------------------------------------------------------------------------------

export interface RetryPolicy {
  firstRetryIntervalMs: number;
  maxAttempts: number;
  backoffCoefficient: number | undefined;
  maxRetryIntervalMs: number | undefined;
}

export type ReplayAction =
  | { type: 'activity'; name: string; input: unknown; retry?: RetryPolicy }
  | { type: 'timer'; fireAt: string }
  | { type: 'subOrchestration'; name: string; instanceId: string | undefined; input: unknown; retry?: RetryPolicy }
  | { type: 'whenAny' | 'whenAll'; tasks: ReplayAction[] }
  | { type: 'continueAsNew'; input: unknown }
  | { type: 'other'; actionType: number };

interface RawAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date | string;
  retryOptions?: { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number; backoffCoefficient?: number; maxRetryIntervalInMilliseconds?: number };
  compoundActions?: RawAction[];
}

// What the extension persists is JSON: compare what it would see, not live objects the orchestrator may
// still mutate (the refresh keeps mutating its status object).
const json = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

function retryPolicy(raw: RawAction['retryOptions']): RetryPolicy | undefined {
  if (!raw) return undefined;
  return { firstRetryIntervalMs: raw.firstRetryIntervalInMilliseconds, maxAttempts: raw.maxNumberOfAttempts, backoffCoefficient: raw.backoffCoefficient, maxRetryIntervalMs: raw.maxRetryIntervalInMilliseconds };
}

function readable(a: RawAction): ReplayAction {
  switch (a.actionType) {
    case 0:
    case 1: {
      // durable-functions JSON-encodes string activity inputs once more; undo that.
      const input: unknown = typeof a.input === 'string' ? JSON.parse(a.input) : a.input;
      const retry = retryPolicy(a.retryOptions);
      return { type: 'activity', name: a.functionName ?? '', input: json(input), ...(retry ? { retry } : {}) };
    }
    case 2:
    case 3: {
      const retry = retryPolicy(a.retryOptions);
      return { type: 'subOrchestration', name: a.functionName ?? '', instanceId: a.instanceId, input: json(a.input), ...(retry ? { retry } : {}) };
    }
    case 4:
      return { type: 'continueAsNew', input: json(a.input) };
    case 5:
      return { type: 'timer', fireAt: iso(a.fireAt ?? '') };
    case 11:
      return { type: 'whenAny', tasks: (a.compoundActions ?? []).map(readable) };
    case 12:
      return { type: 'whenAll', tasks: (a.compoundActions ?? []).map(readable) };
    default:
      return { type: 'other', actionType: a.actionType };
  }
}

/** The leaves of an action tree, in order (what the extension is asked to schedule). */
export function leafActions(actions: readonly ReplayAction[]): ReplayAction[] {
  return actions.flatMap((a) => (a.type === 'whenAny' || a.type === 'whenAll' ? leafActions(a.tasks) : [a]));
}

// Small constructors so tests read like the history they check.
export const activity = (name: string, input: unknown, retry?: RetryPolicy): ReplayAction => ({ type: 'activity', name, input, ...(retry ? { retry } : {}) });
export const timer = (fireAt: Date): ReplayAction => ({ type: 'timer', fireAt: fireAt.toISOString() });
export const subOrchestration = (name: string, instanceId: string, input: unknown): ReplayAction => ({ type: 'subOrchestration', name, instanceId, input });
export const whenAny = (...tasks: ReplayAction[]): ReplayAction => ({ type: 'whenAny', tasks });

// ---- the driver --------------------------------------------------------------------------------------

export interface ReplayResult {
  isDone: boolean;
  /** The orchestrator threw: its message (durable-functions marks the instance failed with it). */
  error: string | undefined;
  output: unknown;
  customStatus: unknown;
  /** Every action the orchestrator issued since it started, as durable-functions returns them (replayed ones included). */
  actions: ReplayAction[];
  /** The actions issued in the history's last episode: what this step asks the extension to do. */
  newActions: ReplayAction[];
}

export interface ReplayOptions {
  instanceId?: string;
  parentInstanceId?: string;
  /** A handler built for this replay alone, instead of the one cached for the generator. */
  freshHandler?: boolean;
  /** Run this handler instead (e.g. `registeredOrchestratorHandler(name)`, what a module registered). */
  handler?: Handler;
}

const handlers = new WeakMap<OrchestrationHandler, Handler>();

/** The handler durable-functions registers for `generator` (what the Functions worker would invoke). */
export function orchestratorHandler(generator: OrchestrationHandler, options: { fresh?: boolean } = {}): Handler {
  const cached = options.fresh ? undefined : handlers.get(generator);
  if (cached) return cached;
  const name = `replay-${randomUUID()}`;
  df.app.orchestration(name, generator);
  const registry = getRegistry();
  const registration = registry.functions.get(name);
  if (!registration) {
    throw new Error('df.app.orchestration registered nothing: @azure/functions entered test mode before tests/support/replay.ts installed its core API. Import tests/support/replay.ts before the orchestrations.');
  }
  registry.functions.delete(name);
  if (registration.trigger.type !== 'orchestrationTrigger') throw new Error(`expected an orchestrationTrigger, got ${registration.trigger.type}`);
  if (!options.fresh) handlers.set(generator, registration.handler);
  return registration.handler;
}

/** The handler that an orchestration module registered under `name` (checks what the name is bound to). */
export function registeredOrchestratorHandler(name: string): Handler {
  const registration = getRegistry().functions.get(name);
  if (!registration || registration.trigger.type !== 'orchestrationTrigger') throw new Error(`no orchestration registered as "${name}"`);
  return registration.handler;
}

interface RawState {
  isDone?: boolean;
  actions?: RawAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

const OUT_OF_PROC = '$OutOfProcData$:';

async function invoke(handler: Handler, events: HistoryEvent[], input: unknown, options: ReplayOptions): Promise<RawState> {
  const trigger = {
    // The handler converts Timestamps to Dates in place: give it its own copy.
    history: structuredClone(events),
    input: json(input),
    instanceId: options.instanceId ?? 'replay-instance',
    parentInstanceId: options.parentInstanceId,
    isReplaying: events.some((e) => e.IsPlayed),
    upperSchemaVersion: 3, // ReplaySchema.V4, as the extension and the local host send it
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '6.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
  };
  const context = new df.DummyOrchestrationContext('replay', randomUUID(), () => {});
  try {
    return (await handler(trigger, context)) as RawState;
  } catch (err) {
    // OrchestrationFailureError: the state rides in the message after a marker, as the extension reads it.
    const message = err instanceof Error ? err.message : String(err);
    const at = message.indexOf(OUT_OF_PROC);
    if (at < 0) throw err;
    const state = JSON.parse(message.slice(at + OUT_OF_PROC.length)) as RawState;
    return { ...state, error: state.error ?? message.slice(0, at).trim() };
  }
}

const flat = (state: RawState): ReplayAction[] => (state.actions ?? []).flat().map(readable);

/**
 * Replays `history` through the orchestrator as the extension would invoke it. `newActions` comes from a
 * second replay of the history without its last episode: the actions beyond those are this step's.
 */
export async function replay(generator: OrchestrationHandler, history: HistoryBuilder, options: ReplayOptions = {}): Promise<ReplayResult> {
  const handler = options.handler ?? orchestratorHandler(generator, { fresh: options.freshHandler ?? false });
  const events = history.events();
  const state = await invoke(handler, events, history.input, options);
  const actions = flat(state);
  const lastStart = events.map((e) => e.EventType).lastIndexOf(HistoryEventType.OrchestratorStarted);
  const earlier = markPlayed(events.slice(0, lastStart));
  const before = earlier.some((e) => e.EventType === HistoryEventType.OrchestratorStarted) ? flat(await invoke(handler, earlier, history.input, options)) : [];
  return {
    isDone: state.isDone === true,
    error: state.error,
    output: json(state.output),
    customStatus: json(state.customStatus),
    actions,
    newActions: actions.slice(before.length),
  };
}
