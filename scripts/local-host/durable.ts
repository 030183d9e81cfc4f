import type { Registration } from './registry.js';
import type { DecorateContext, Logger } from './invocation.js';
import { EventType } from './history-events.js';
import { ActivityRunner } from './durable/activities.js';
import { EpisodeRunner } from './durable/episode.js';
import { HistoryStore, TERMINAL, json, now, parseJson, readBig, type HistoryEvent, type InstanceRow, type RuntimeStatus } from './durable/history-store.js';
import { InstanceLifecycle, NotFoundError } from './durable/lifecycle.js';
import { EpisodeScheduler } from './durable/scheduler.js';

/**
 * A small Durable Task backend in the spirit of the Azure Storage provider. The orchestrator code itself
 * is durable-functions' own replay engine; this plays the role of the extension. Its parts:
 * - durable/history-store.ts: instance rows, history and inbox in Azure Tables;
 * - durable/scheduler.ts: when each instance's next episode runs (kicks, wake-ups, back-off);
 * - durable/episode.ts: one episode (replay, record, start the new work);
 * - durable/replay-engine.ts: what is read back from durable-functions (action types, open tasks);
 * - durable/activities.ts: runs activities; durable/lifecycle.ts: create, finish, parent/child, recovery.
 * This class wires them and answers the client operations (the Durable HTTP API calls these).
 */

export { NotFoundError };
export type { RuntimeStatus };

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  history?: unknown[];
}

export interface InstanceFilter {
  runtimeStatus?: string[];
  createdTimeFrom?: string;
  createdTimeTo?: string;
}

export interface DurableEngineOptions {
  connectionString: string;
  taskHub: string;
  registrations: Registration[];
  maxConcurrentActivities: number;
  log: Logger;
  /** Builds the extra input bindings (the durable client) for an invocation. */
  decorateContext: DecorateContext;
}

export class DurableEngine {
  private readonly store: HistoryStore;
  private readonly scheduler: EpisodeScheduler;
  private readonly activities: ActivityRunner;
  private readonly lifecycle: InstanceLifecycle;
  private readonly episodes: EpisodeRunner;

  constructor(opts: DurableEngineOptions) {
    this.store = new HistoryStore(opts.connectionString, opts.taskHub);
    this.scheduler = new EpisodeScheduler(
      (id) => this.episodes.run(id),
      (id) => this.episodes.episodeFailed(id),
      opts.log,
    );
    this.activities = new ActivityRunner({
      registrations: opts.registrations,
      maxConcurrentActivities: opts.maxConcurrentActivities,
      log: opts.log,
      decorate: opts.decorateContext,
      report: (instanceId, event) => this.lifecycle.enqueue(instanceId, event),
    });
    this.lifecycle = new InstanceLifecycle(this.store, opts.registrations, this.activities, (id) => this.scheduler.kick(id), opts.log);
    this.episodes = new EpisodeRunner({
      store: this.store,
      lifecycle: this.lifecycle,
      activities: this.activities,
      wakeAt: (id, at) => this.scheduler.wakeAt(id, at),
      isStopped: () => this.scheduler.isStopped,
      log: opts.log,
      decorate: opts.decorateContext,
    });
  }

  /** Creates the tables and resumes every instance that was in flight when the last host stopped. */
  async start(): Promise<void> {
    await this.store.createTables();
    for await (const { instanceId, row } of this.store.openInstances()) {
      await this.lifecycle.recover(instanceId, row);
      this.scheduler.kick(instanceId);
    }
  }

  async stop(): Promise<void> {
    this.activities.stop();
    await this.scheduler.stop();
  }

  hasOrchestrator(name: string): boolean {
    return this.lifecycle.orchestrator(name) !== undefined;
  }

  // ---- client operations (the Durable HTTP API calls these) -------------------------------------

  /**
   * Starts an instance. Returns `created: false` when an instance with this id is already pending or
   * running: it is left untouched (ids given by callers are how "one refresh per store" works).
   */
  startNew(name: string, instanceId: string | undefined, input: unknown): Promise<{ id: string; created: boolean }> {
    return this.lifecycle.create(name, instanceId, input);
  }

  async getStatus(instanceId: string, opts: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {}): Promise<InstanceStatus | undefined> {
    const row = await this.store.readInstance(instanceId);
    if (!row) return undefined;
    const status = statusOf(instanceId, row, opts.showInput !== false);
    if (opts.showHistory) {
      const events = await this.store.loadHistory(instanceId, row.executionId);
      status.history = events
        .filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted)
        .map((e) => describeEvent(e, opts.showHistoryOutput === true));
    }
    return status;
  }

  async listInstances(filter: InstanceFilter = {}): Promise<InstanceStatus[]> {
    const out: InstanceStatus[] = [];
    for await (const { instanceId, row } of this.store.allInstances()) {
      if (filter.runtimeStatus?.length && !filter.runtimeStatus.includes(row.runtimeStatus)) continue;
      if (filter.createdTimeFrom && row.createdTime < new Date(filter.createdTimeFrom).toISOString()) continue;
      if (filter.createdTimeTo && row.createdTime > new Date(filter.createdTimeTo).toISOString()) continue;
      out.push(statusOf(instanceId, row, true));
    }
    return out;
  }

  /** 'ok', 'notFound' or 'gone' (the instance already finished), matching the HTTP API's 202/404/410. */
  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<'ok' | 'notFound' | 'gone'> {
    return this.sendIfRunning(instanceId, { EventType: EventType.EventRaised, EventId: -1, IsPlayed: false, Timestamp: now(), Name: eventName, Input: json(data) });
  }

  async terminate(instanceId: string, reason: string): Promise<'ok' | 'notFound' | 'gone'> {
    return this.sendIfRunning(instanceId, { EventType: EventType.ExecutionTerminated, EventId: -1, IsPlayed: false, Timestamp: now(), Input: json(reason) });
  }

  async purge(instanceId: string): Promise<number> {
    const row = await this.store.readInstance(instanceId);
    if (!row) return 0;
    await this.store.deleteInstanceData(instanceId);
    await this.store.deleteInstanceRow(instanceId);
    return 1;
  }

  async purgeBy(filter: InstanceFilter): Promise<number> {
    let n = 0;
    for (const s of await this.listInstances(filter)) n += await this.purge(s.instanceId);
    return n;
  }

  /** Resolves with the final status once the instance completes, fails or is terminated. */
  async waitForInstance(instanceId: string, timeoutMs = 30_000): Promise<InstanceStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.getStatus(instanceId);
      if (s && TERMINAL.has(s.runtimeStatus)) return s;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Instance ${instanceId} did not finish within ${timeoutMs} ms (status ${s?.runtimeStatus ?? 'missing'})`);
      await this.lifecycle.nextFinish(instanceId, Math.min(left, 100));
    }
  }

  private async sendIfRunning(instanceId: string, event: HistoryEvent): Promise<'ok' | 'notFound' | 'gone'> {
    const row = await this.store.readInstance(instanceId);
    if (!row) return 'notFound';
    if (TERMINAL.has(row.runtimeStatus)) return 'gone';
    await this.lifecycle.enqueue(instanceId, event);
    return 'ok';
  }
}

function statusOf(instanceId: string, row: InstanceRow, withInput: boolean): InstanceStatus {
  return {
    name: row.name,
    instanceId,
    runtimeStatus: row.runtimeStatus,
    createdTime: row.createdTime,
    lastUpdatedTime: row.lastUpdatedTime,
    input: withInput ? parseJson(readBig(row, 'input')) : null,
    output: parseJson(readBig(row, 'output')),
    customStatus: parseJson(readBig(row, 'customStatus')),
  };
}

/** A history event as the extension's `showHistory` JSON shows it. */
function describeEvent(e: HistoryEvent, withOutput: boolean): Record<string, unknown> {
  const names = Object.entries(EventType);
  const type = names.find(([, v]) => v === e.EventType)?.[0] ?? String(e.EventType);
  const out: Record<string, unknown> = { EventType: type, Timestamp: e.Timestamp };
  if (e.EventId >= 0) out.EventId = e.EventId;
  const named = e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated || e.EventType === EventType.ExecutionStarted;
  for (const k of ['Name', 'TaskScheduledId', 'TimerId', 'FireAt', 'InstanceId', 'Reason']) {
    // The extension's history JSON calls the function "FunctionName" but keeps "Name" for events.
    if (e[k] !== undefined) out[k === 'Name' && named ? 'FunctionName' : k] = e[k];
  }
  if (withOutput && typeof e.Result === 'string') out.Result = parseJson(e.Result);
  return out;
}
