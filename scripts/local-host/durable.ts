import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { TableClient, TableTransaction, type TableEntity } from '@azure/data-tables';
import type { Registration } from './registry.js';
import { EventType } from './history-events.js';

/**
 * A small Durable Task backend in the spirit of the Azure Storage provider: instance rows, history
 * rows and an inbox of pending messages, all in Azure Tables (Azurite locally). The orchestrator code
 * itself is durable-functions' own replay engine; this file plays the role of the extension: it feeds
 * the history in, reads back which tasks are open, records them as TaskScheduled/TimerCreated/
 * SubOrchestrationInstanceCreated with the very ids the replay engine gave them, runs them, and
 * appends the completion events for the next replay.
 */

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated' | 'Canceled' | 'Suspended';
const TERMINAL: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);


export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [key: string]: unknown;
}

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

interface InstanceRow {
  name: string;
  runtimeStatus: RuntimeStatus;
  executionId: string;
  input: string;
  output: string;
  customStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  parentInstanceId: string;
  parentTaskId: number;
  /** false from the moment a child is terminal until its parent has the completion in its inbox. */
  parentNotified?: boolean;
}

interface InboxRow {
  dueAt: number;
}

export interface DurableEngineOptions {
  connectionString: string;
  taskHub: string;
  registrations: Registration[];
  maxConcurrentActivities: number;
  log: (level: 'info' | 'warn' | 'error', message: string, err?: unknown) => void;
  /** Builds the extra input bindings (the durable client) for an invocation. */
  decorateContext: (reg: Registration, ctx: InvocationContext) => void;
}

// Fields of durable-functions' task objects this engine reads (the replay engine's own view of which
// tasks are open and which id each got). Typed loosely on purpose: they are the package's internals.
interface OpenTask {
  id: number | string | false;
  actionObj: unknown;
  parent?: {
    retryOptions?: { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number; backoffCoefficient?: number; maxRetryIntervalInMilliseconds?: number };
    isWaitingOnTimer?: boolean;
    attemptNumber?: number;
    innerTask?: { actionObj: unknown };
  };
}

interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  compoundActions?: Action[];
}

const enc = (s: string): string => encodeURIComponent(s);
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const now = (): string => new Date().toISOString();
const json = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v));
const parseJson = (s: string | undefined): unknown => (s === undefined || s === '' ? null : JSON.parse(s));

// Table string properties hold at most 32K UTF-16 characters (64 KiB); longer JSON (orchestration
// inputs, outputs, history payloads) is split across `name`, `name_1`, … with the count in `name_n`.
const CHUNK = 30_000;
function big(name: string, value: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const n = Math.max(1, Math.ceil(value.length / CHUNK));
  for (let i = 0; i < n; i++) out[i === 0 ? name : `${name}_${i}`] = value.slice(i * CHUNK, (i + 1) * CHUNK);
  out[`${name}_n`] = n;
  return out;
}
function readBig(entity: object, name: string): string {
  const e = entity as Record<string, unknown>;
  const n = typeof e[`${name}_n`] === 'number' ? (e[`${name}_n`] as number) : 1;
  let s = typeof e[name] === 'string' ? (e[name]) : '';
  for (let i = 1; i < n; i++) s += typeof e[`${name}_${i}`] === 'string' ? (e[`${name}_${i}`] as string) : '';
  return s;
}

/** durable-functions JSON-encodes string inputs once more (the extension treats inputs as raw JSON). */
function actionInput(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Ids of the tasks (activities, sub-orchestrations, timers) these events answer. */
function answeredTasks(events: readonly HistoryEvent[]): Set<number> {
  const ids = new Set<number>();
  for (const e of events) {
    if (typeof e.TaskScheduledId === 'number') ids.add(e.TaskScheduledId);
    if (typeof e.TimerId === 'number') ids.add(e.TimerId);
  }
  return ids;
}

export class DurableEngine {
  private readonly instances: TableClient;
  private readonly history: TableClient;
  private readonly inbox: TableClient;
  private readonly orchestrators = new Map<string, Registration>();
  private readonly activities = new Map<string, Registration>();
  private readonly activitySlots: Semaphore;
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly wakeups = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Set<string>();
  private readonly inFlightPromises = new Set<Promise<void>>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private stopped = false;
  private inboxSeq = 0;
  /**
   * The history of each instance this host is running, as it wrote it. Replay reads it from here, as the
   * extension's extended sessions keep an orchestration's history in memory between episodes: querying the
   * history table on every episode costs O(rows in the table) on Azurite (it scans the whole collection
   * for any query), which made a 10,000-store morning run quadratic. The table stays the record: a new
   * host, or an episode whose write failed, reads it from there again.
   */
  private readonly historyCache = new Map<string, { executionId: string; events: HistoryEvent[] }>();

  constructor(private readonly opts: DurableEngineOptions) {
    const tableOpts = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(opts.connectionString, `${opts.taskHub}Instances`, tableOpts);
    this.history = TableClient.fromConnectionString(opts.connectionString, `${opts.taskHub}History`, tableOpts);
    this.inbox = TableClient.fromConnectionString(opts.connectionString, `${opts.taskHub}Inbox`, tableOpts);
    this.activitySlots = new Semaphore(Math.max(1, opts.maxConcurrentActivities));
    for (const r of opts.registrations) {
      if (r.trigger.type === 'orchestrationTrigger') this.orchestrators.set(r.name.toLowerCase(), r);
      if (r.trigger.type === 'activityTrigger') this.activities.set(r.name.toLowerCase(), r);
    }
  }

  /** Creates the tables and resumes every instance that was in flight when the last host stopped. */
  async start(): Promise<void> {
    await Promise.all([this.instances.createTable(), this.history.createTable(), this.inbox.createTable()]);
    const open = this.instances.listEntities<InstanceRow>({ queryOptions: { filter: "runtimeStatus eq 'Running' or runtimeStatus eq 'Pending'" } });
    for await (const row of open) {
      const id = decodeURIComponent(row.partitionKey ?? '');
      await this.recover(id, row);
      this.kick(id);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wakeups.values()) clearTimeout(w.timer);
    this.wakeups.clear();
    await Promise.allSettled([...this.running.values()]);
    // Activities still running belong to a host that is going away; like a crash, their results are
    // dropped and the next host runs them again (at-least-once, as on the real Durable Task backends).
  }

  hasOrchestrator(name: string): boolean {
    return this.orchestrators.has(name.toLowerCase());
  }

  // ---- client operations (the Durable HTTP API calls these) -------------------------------------

  /**
   * Starts an instance. Returns `created: false` when an instance with this id is already pending or
   * running: it is left untouched (ids given by callers are how "one refresh per store" works).
   */
  async startNew(name: string, instanceId: string | undefined, input: unknown, parent?: { instanceId: string; taskId: number }): Promise<{ id: string; created: boolean }> {
    const reg = this.orchestrators.get(name.toLowerCase());
    if (!reg) throw new NotFoundError(`No orchestrator function named "${name}" is registered`);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    const existing = await this.readInstance(id);
    if (existing && !TERMINAL.has(existing.runtimeStatus)) return { id, created: false };
    if (existing) await this.deleteInstanceData(id);
    const ts = now();
    const executionId = randomUUID().replace(/-/g, '');
    const row: InstanceRow = {
      name: reg.name,
      runtimeStatus: 'Pending',
      executionId,
      input: json(input),
      output: '',
      customStatus: '',
      createdTime: ts,
      lastUpdatedTime: ts,
      parentInstanceId: parent?.instanceId ?? '',
      parentTaskId: parent?.taskId ?? -1,
    };
    const entity = { partitionKey: enc(id), rowKey: '', ...row, ...big('input', row.input) };
    try {
      if (existing) await this.instances.updateEntity(entity, 'Replace', { etag: existing.etag });
      else await this.instances.createEntity(entity);
    } catch (err) {
      // Two concurrent starts with one id: the loser joins the winner's instance.
      const code = (err as { statusCode?: number }).statusCode;
      if (code === 409 || code === 412) return { id, created: false };
      throw err;
    }
    await this.enqueue(id, { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: ts, Name: reg.name, Input: json(input), Version: '' });
    return { id, created: true };
  }

  async getStatus(instanceId: string, opts: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {}): Promise<InstanceStatus | undefined> {
    const row = await this.readInstance(instanceId);
    if (!row) return undefined;
    const status: InstanceStatus = {
      name: row.name,
      instanceId,
      runtimeStatus: row.runtimeStatus,
      createdTime: row.createdTime,
      lastUpdatedTime: row.lastUpdatedTime,
      input: opts.showInput === false ? null : parseJson(readBig(row, 'input')),
      output: parseJson(readBig(row, 'output')),
      customStatus: parseJson(readBig(row, 'customStatus')),
    };
    if (opts.showHistory) {
      const events = await this.loadHistory(instanceId, row.executionId);
      status.history = events
        .filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted)
        .map((e) => this.describeEvent(e, opts.showHistoryOutput === true));
    }
    return status;
  }

  async listInstances(filter: { runtimeStatus?: string[]; createdTimeFrom?: string; createdTimeTo?: string } = {}): Promise<InstanceStatus[]> {
    const out: InstanceStatus[] = [];
    for await (const row of this.instances.listEntities<InstanceRow>()) {
      if (filter.runtimeStatus?.length && !filter.runtimeStatus.includes(row.runtimeStatus)) continue;
      if (filter.createdTimeFrom && row.createdTime < new Date(filter.createdTimeFrom).toISOString()) continue;
      if (filter.createdTimeTo && row.createdTime > new Date(filter.createdTimeTo).toISOString()) continue;
      out.push({
        name: row.name,
        instanceId: decodeURIComponent(row.partitionKey ?? ''),
        runtimeStatus: row.runtimeStatus,
        createdTime: row.createdTime,
        lastUpdatedTime: row.lastUpdatedTime,
        input: parseJson(readBig(row, 'input')),
        output: parseJson(readBig(row, 'output')),
        customStatus: parseJson(readBig(row, 'customStatus')),
      });
    }
    return out;
  }

  /** 'ok', 'notFound' or 'gone' (the instance already finished), matching the HTTP API's 202/404/410. */
  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<'ok' | 'notFound' | 'gone'> {
    const row = await this.readInstance(instanceId);
    if (!row) return 'notFound';
    if (TERMINAL.has(row.runtimeStatus)) return 'gone';
    await this.enqueue(instanceId, { EventType: EventType.EventRaised, EventId: -1, IsPlayed: false, Timestamp: now(), Name: eventName, Input: json(data) });
    return 'ok';
  }

  async terminate(instanceId: string, reason: string): Promise<'ok' | 'notFound' | 'gone'> {
    const row = await this.readInstance(instanceId);
    if (!row) return 'notFound';
    if (TERMINAL.has(row.runtimeStatus)) return 'gone';
    await this.enqueue(instanceId, { EventType: EventType.ExecutionTerminated, EventId: -1, IsPlayed: false, Timestamp: now(), Input: json(reason) });
    return 'ok';
  }

  async purge(instanceId: string): Promise<number> {
    const row = await this.readInstance(instanceId);
    if (!row) return 0;
    await this.deleteInstanceData(instanceId);
    await this.instances.deleteEntity(enc(instanceId), '');
    return 1;
  }

  async purgeBy(filter: { runtimeStatus?: string[]; createdTimeFrom?: string; createdTimeTo?: string }): Promise<number> {
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
      await new Promise<void>((resolve) => {
        const list = this.waiters.get(instanceId) ?? [];
        const t = setTimeout(resolve, Math.min(left, 100));
        list.push(() => {
          clearTimeout(t);
          resolve();
        });
        this.waiters.set(instanceId, list);
      });
    }
  }

  // ---- the orchestration loop --------------------------------------------------------------------

  /** Back-off of instances whose last episode failed on a host error. */
  private readonly retryDelay = new Map<string, number>();
  /** Instances whose last episode failed part-way: before the next one, start what it scheduled (as after a restart). */
  private readonly needsRecovery = new Set<string>();

  private kick(instanceId: string): void {
    if (this.stopped) return;
    if (this.running.has(instanceId)) {
      this.dirty.add(instanceId);
      return;
    }
    const p = this.process(instanceId)
      .then(() => {
        this.retryDelay.delete(instanceId);
      })
      .catch((err: unknown) => {
        this.opts.log('error', `Orchestration ${instanceId}: host error`, err);
        // The episode may have recorded new tasks in history and failed before starting them.
        this.needsRecovery.add(instanceId);
        // As the Durable extension keeps polling its queues: an episode that failed (storage unreachable)
        // is tried again, backing off to 30 s, instead of leaving the instance Running until a restart.
        const delay = Math.min(30_000, (this.retryDelay.get(instanceId) ?? 250) * 2);
        this.retryDelay.set(instanceId, delay);
        this.scheduleWakeup(instanceId, Date.now() + delay);
      })
      .finally(() => {
        this.running.delete(instanceId);
        if (this.dirty.delete(instanceId)) this.kick(instanceId);
      });
    this.running.set(instanceId, p);
  }

  private async enqueue(instanceId: string, event: HistoryEvent, dueAt = 0): Promise<void> {
    const entity: TableEntity<InboxRow> = {
      partitionKey: enc(instanceId),
      rowKey: `${pad(dueAt, 15)}-${pad(++this.inboxSeq, 10)}-${randomUUID()}`,
      ...big('data', JSON.stringify(event)),
      dueAt,
    };
    await this.inbox.createEntity(entity);
    this.kick(instanceId);
  }

  private async readInstance(instanceId: string): Promise<(InstanceRow & { etag: string }) | undefined> {
    try {
      const e = await this.instances.getEntity<InstanceRow>(enc(instanceId), '');
      return { ...e, etag: e.etag };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  private async loadHistory(instanceId: string, executionId: string, remember = false): Promise<HistoryEvent[]> {
    const cached = this.historyCache.get(instanceId);
    if (cached?.executionId === executionId) return cached.events.slice();
    const events: HistoryEvent[] = [];
    const filter = `PartitionKey eq '${enc(instanceId).replace(/'/g, "''")}' and RowKey ge '${executionId}-' and RowKey lt '${executionId}.'`;
    for await (const e of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      events.push(JSON.parse(readBig(e, 'data')) as HistoryEvent);
    }
    if (remember) this.historyCache.set(instanceId, { executionId, events: events.slice() });
    return events;
  }

  private async appendHistory(instanceId: string, executionId: string, start: number, events: HistoryEvent[]): Promise<void> {
    const cached = this.historyCache.get(instanceId);
    // Until the write is done the cache may be ahead of the table; a failed write leaves the table as the record.
    this.historyCache.delete(instanceId);
    for (let i = 0; i < events.length; i += 100) {
      const tx = new TableTransaction();
      events.slice(i, i + 100).forEach((e, j) => {
        tx.upsertEntity({ partitionKey: enc(instanceId), rowKey: `${executionId}-${pad(start + i + j, 8)}`, ...big('data', JSON.stringify(e)) }, 'Replace');
      });
      await this.history.submitTransaction(tx.actions);
    }
    if (start === 0) this.historyCache.set(instanceId, { executionId, events: events.slice() });
    else if (cached?.executionId === executionId && cached.events.length === start) {
      cached.events.push(...events);
      this.historyCache.set(instanceId, cached);
    }
  }

  private async deleteInstanceData(instanceId: string): Promise<void> {
    this.historyCache.delete(instanceId);
    for (const table of [this.history, this.inbox]) {
      const filter = `PartitionKey eq '${enc(instanceId).replace(/'/g, "''")}'`;
      const keys: string[] = [];
      for await (const e of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) keys.push(e.rowKey as string);
      for (let i = 0; i < keys.length; i += 100) {
        const tx = new TableTransaction();
        for (const rk of keys.slice(i, i + 100)) tx.deleteEntity(enc(instanceId), rk);
        await table.submitTransaction(tx.actions);
      }
    }
  }

  private scheduleWakeup(instanceId: string, at: number): void {
    const existing = this.wakeups.get(instanceId);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.wakeups.delete(instanceId);
      this.kick(instanceId);
    }, Math.max(0, at - Date.now()));
    this.wakeups.set(instanceId, { at, timer });
  }

  /** One orchestrator episode: take the due inbox messages, replay, record and dispatch new work. */
  private async process(instanceId: string): Promise<void> {
    const row = await this.readInstance(instanceId);
    if (!row) return;
    if (TERMINAL.has(row.runtimeStatus)) {
      // The episode that finished it failed before the parent heard (storage went away in between): this
      // retry tells the parent, or a sub-orchestration's parent would wait until a host restart.
      if (row.parentInstanceId && row.parentNotified === false) await this.notifyParent(instanceId, row);
      return;
    }
    if (this.needsRecovery.delete(instanceId)) {
      try {
        await this.recover(instanceId, row);
      } catch (err) {
        this.needsRecovery.add(instanceId);
        throw err;
      }
    }
    const pk = enc(instanceId);
    let due: { rowKey: string; event: HistoryEvent }[] = [];
    const t = Date.now();
    let nextDue = Infinity;
    for await (const m of this.inbox.listEntities<InboxRow>({ queryOptions: { filter: `PartitionKey eq '${pk.replace(/'/g, "''")}'` } })) {
      if (m.dueAt <= t) due.push({ rowKey: m.rowKey ?? '', event: JSON.parse(readBig(m, 'data')) as HistoryEvent });
      else nextDue = Math.min(nextDue, m.dueAt);
    }
    if (nextDue !== Infinity) this.scheduleWakeup(instanceId, nextDue);
    if (due.length === 0 || this.stopped) return;

    const reg = this.orchestrators.get(row.name.toLowerCase());
    const past = await this.loadHistory(instanceId, row.executionId, true);
    // A completion can arrive twice (a child re-notifies its parent after a failed write, a restart's
    // recovery): history must hold one answer per task, so a task answered already is not answered again.
    const answered = answeredTasks(past);
    const repeated = due.filter((d) => [...answeredTasks([d.event])].some((id) => answered.has(id)));
    if (repeated.length > 0) {
      await this.deleteInbox(instanceId, repeated);
      due = due.filter((d) => !repeated.includes(d));
      if (due.length === 0) return;
    }
    const ts = now();
    const fresh: HistoryEvent[] = [{ EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: ts }];
    const terminate = due.find((d) => d.event.EventType === EventType.ExecutionTerminated);
    if (terminate) {
      fresh.push(terminate.event);
      await this.appendHistory(instanceId, row.executionId, past.length, fresh);
      await this.finish(instanceId, row, 'Terminated', parseJson(terminate.event.Input as string), due);
      return;
    }
    // ExecutionStarted must come first in history whatever order the inbox listed it in.
    due.sort((a, b) => Number(b.event.EventType === EventType.ExecutionStarted) - Number(a.event.EventType === EventType.ExecutionStarted));
    fresh.push(...due.map((d) => ({ ...d.event, IsPlayed: false })));
    const history: HistoryEvent[] = [...past.map((e) => ({ ...e, IsPlayed: true })), ...fresh];

    if (!reg) {
      await this.appendHistory(instanceId, row.executionId, past.length, fresh);
      await this.finish(instanceId, row, 'Failed', `Orchestrator function "${row.name}" is not registered on this host`, due);
      return;
    }

    const started = history.find((e) => e.EventType === EventType.ExecutionStarted);
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: reg.name,
      options: { trigger: reg.trigger, extraInputs: reg.extraInputs as never, extraOutputs: reg.extraOutputs as never },
      logHandler: this.logHandler(reg.name),
    });
    this.opts.decorateContext(reg, context);
    const trigger = {
      history,
      input: parseJson(started?.Input as string | undefined),
      instanceId,
      isReplaying: past.length > 0,
      parentInstanceId: row.parentInstanceId || undefined,
      upperSchemaVersion: 3, // ReplaySchema.V4: actions come back as a tree (WhenAll/WhenAny nodes)
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };

    let result: { isDone?: boolean; actions?: Action[][]; output?: unknown; customStatus?: unknown } | undefined;
    let failure: string | undefined;
    try {
      result = (await reg.handler(trigger, context)) as typeof result;
    } catch (err) {
      const executor = (context as unknown as { df?: { taskOrchestratorExecutor?: { exception?: unknown } } }).df?.taskOrchestratorExecutor;
      const cause = executor?.exception ?? err;
      failure = cause instanceof Error ? cause.message : String(cause);
      this.opts.log('error', `Orchestration ${instanceId} (${reg.name}) failed: ${failure}`);
    }
    const df = (context as unknown as { df?: { customStatus?: unknown; taskOrchestratorExecutor?: { openTasks?: Record<string, OpenTask> } } }).df;
    const customStatus = result?.customStatus ?? df?.customStatus;

    if (failure !== undefined) {
      fresh.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: now() });
      await this.appendHistory(instanceId, row.executionId, past.length, fresh);
      await this.finish(instanceId, row, 'Failed', failure, due, customStatus);
      return;
    }

    const flat: Action[] = [];
    const walk = (a: Action): void => {
      if (a.compoundActions) a.compoundActions.forEach(walk);
      else flat.push(a);
    };
    (result?.actions ?? []).flat().forEach(walk);
    const continueAsNew = flat.find((a) => a.actionType === 4);
    if (result?.isDone) {
      fresh.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: now() });
      if (continueAsNew) {
        fresh.push({ EventType: EventType.ContinueAsNew, EventId: -1, IsPlayed: false, Timestamp: now(), Result: json(actionInput(continueAsNew.input)) });
        await this.appendHistory(instanceId, row.executionId, past.length, fresh);
        await this.continueAsNew(instanceId, row, actionInput(continueAsNew.input), due, customStatus);
      } else {
        await this.appendHistory(instanceId, row.executionId, past.length, fresh);
        await this.finish(instanceId, row, 'Completed', result.output, due, customStatus);
      }
      return;
    }

    // Tasks the replay engine holds open with ids that history has not scheduled yet are new work.
    const scheduled = new Set<number>();
    for (const e of history) {
      if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated || e.EventType === EventType.SubOrchestrationInstanceCreated) scheduled.add(e.EventId);
    }
    const open = Object.values(df?.taskOrchestratorExecutor?.openTasks ?? {})
      .filter((task): task is OpenTask & { id: number } => typeof task.id === 'number' && !scheduled.has(task.id))
      .sort((a, b) => a.id - b.id);
    const work: (() => Promise<void>)[] = [];
    const unsupported: string[] = [];
    for (const task of open) {
      let action = task.actionObj as Action | string;
      if (action === 'noOp' && task.parent?.retryOptions) {
        if (task.parent.isWaitingOnTimer) {
          const ro = task.parent.retryOptions;
          const failures = Math.max(1, (task.parent.attemptNumber ?? 2) - 1);
          let delay = ro.firstRetryIntervalInMilliseconds * Math.pow(ro.backoffCoefficient ?? 1, failures - 1);
          if (ro.maxRetryIntervalInMilliseconds && ro.maxRetryIntervalInMilliseconds > 0) delay = Math.min(delay, ro.maxRetryIntervalInMilliseconds);
          action = { actionType: 5, fireAt: new Date(Date.now() + delay) };
        } else {
          action = task.parent.innerTask?.actionObj as Action;
        }
      }
      if (typeof action !== 'object') {
        unsupported.push(`task ${task.id}`);
        continue;
      }
      const id = task.id;
      switch (action.actionType) {
        case 0: // CallActivity
        case 1: {
        // CallActivityWithRetry: the retry itself is the replay engine's (RetryableTask + timers).
          const name = action.functionName ?? '';
          const input = json(actionInput(action.input));
          fresh.push({ EventType: EventType.TaskScheduled, EventId: id, IsPlayed: false, Timestamp: now(), Name: name, Input: input });
          work.push(() => Promise.resolve(this.dispatchActivity(instanceId, id, name, input)));
          break;
        }
        case 5: {
          const fireAt = new Date(action.fireAt ?? Date.now());
          fresh.push({ EventType: EventType.TimerCreated, EventId: id, IsPlayed: false, Timestamp: now(), FireAt: fireAt.toISOString() });
          work.push(() => this.enqueue(instanceId, { EventType: EventType.TimerFired, EventId: -1, IsPlayed: false, Timestamp: fireAt.toISOString(), TimerId: id, FireAt: fireAt.toISOString() }, fireAt.getTime()));
          break;
        }
        case 2: // CallSubOrchestrator
        case 3: {
          const name = action.functionName ?? '';
          const childId = action.instanceId || `${instanceId}:${pad(id, 4)}`;
          const input = actionInput(action.input);
          fresh.push({ EventType: EventType.SubOrchestrationInstanceCreated, EventId: id, IsPlayed: false, Timestamp: now(), Name: name, InstanceId: childId, Input: json(input) });
          work.push(() => this.startChild(instanceId, id, name, childId, input));
          break;
        }
        default:
          unsupported.push(`action type ${action.actionType} (task ${id})`);
      }
    }
    fresh.push({ EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: now() });
    await this.appendHistory(instanceId, row.executionId, past.length, fresh);
    if (unsupported.length > 0) {
      await this.finish(instanceId, row, 'Failed', `The local host does not support ${unsupported.join(', ')} (entities and callHttp are not implemented)`, due, customStatus);
      return;
    }
    await this.instances.updateEntity(
      { partitionKey: pk, rowKey: '', runtimeStatus: 'Running', ...big('customStatus', json(customStatus)), lastUpdatedTime: now() },
      'Merge',
    );
    await this.deleteInbox(instanceId, due);
    for (const w of work) await w();
  }

  private async deleteInbox(instanceId: string, due: { rowKey: string }[]): Promise<void> {
    for (let i = 0; i < due.length; i += 100) {
      const tx = new TableTransaction();
      for (const d of due.slice(i, i + 100)) tx.deleteEntity(enc(instanceId), d.rowKey);
      await this.inbox.submitTransaction(tx.actions);
    }
  }

  private async finish(instanceId: string, row: InstanceRow, status: RuntimeStatus, output: unknown, due: { rowKey: string }[], customStatus?: unknown): Promise<void> {
    this.historyCache.delete(instanceId);
    await this.instances.updateEntity(
      {
        partitionKey: enc(instanceId),
        rowKey: '',
        runtimeStatus: status,
        ...big('output', json(output)),
        ...(customStatus !== undefined ? big('customStatus', json(customStatus)) : {}),
        lastUpdatedTime: now(),
        ...(row.parentInstanceId ? { parentNotified: false } : {}),
      },
      'Merge',
    );
    await this.deleteInbox(instanceId, due);
    // Messages that arrive for a finished instance (late events, completions of abandoned tasks) go.
    await this.deleteInstanceInboxOnly(instanceId);
    if (row.parentInstanceId) await this.notifyParent(instanceId, { ...row, runtimeStatus: status, output: json(output) });
    const list = this.waiters.get(instanceId) ?? [];
    this.waiters.delete(instanceId);
    list.forEach((w) => w());
  }

  /** The parent's completion event for a terminal child, then the mark that it was sent. */
  private async notifyParent(instanceId: string, child: InstanceRow): Promise<void> {
    await this.finishChildAgain(child.parentInstanceId, child.parentTaskId, instanceId, child);
    await this.instances.updateEntity({ partitionKey: enc(instanceId), rowKey: '', parentNotified: true }, 'Merge');
  }

  private async deleteInstanceInboxOnly(instanceId: string): Promise<void> {
    const keys: { rowKey: string }[] = [];
    for await (const e of this.inbox.listEntities({ queryOptions: { filter: `PartitionKey eq '${enc(instanceId).replace(/'/g, "''")}'`, select: ['RowKey'] } })) {
      keys.push({ rowKey: e.rowKey as string });
    }
    await this.deleteInbox(instanceId, keys);
  }

  private async continueAsNew(instanceId: string, row: InstanceRow, input: unknown, due: { rowKey: string }[], customStatus: unknown): Promise<void> {
    const executionId = randomUUID().replace(/-/g, '');
    this.historyCache.delete(instanceId);
    await this.deleteInbox(instanceId, due);
    await this.instances.updateEntity(
      { partitionKey: enc(instanceId), rowKey: '', runtimeStatus: 'Running', executionId, ...big('input', json(input)), ...big('customStatus', json(customStatus)), lastUpdatedTime: now() },
      'Merge',
    );
    // The old execution's history is no longer needed for replay; drop it like the storage provider.
    const filter = `PartitionKey eq '${enc(instanceId).replace(/'/g, "''")}' and RowKey ge '${row.executionId}-' and RowKey lt '${row.executionId}.'`;
    const old: string[] = [];
    for await (const e of this.history.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) old.push(e.rowKey as string);
    for (let i = 0; i < old.length; i += 100) {
      const tx = new TableTransaction();
      for (const rk of old.slice(i, i + 100)) tx.deleteEntity(enc(instanceId), rk);
      await this.history.submitTransaction(tx.actions);
    }
    await this.enqueue(instanceId, { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: now(), Name: row.name, Input: json(input), Version: '' });
  }

  private async startChild(parentId: string, taskId: number, name: string, childId: string, input: unknown): Promise<void> {
    try {
      const { created } = await this.startNew(name, childId, input, { instanceId: parentId, taskId });
      if (!created) throw new Error(`An instance with id "${childId}" is already running`);
    } catch (err) {
      await this.enqueue(parentId, {
        EventType: EventType.SubOrchestrationInstanceFailed,
        EventId: -1,
        IsPlayed: false,
        Timestamp: now(),
        TaskScheduledId: taskId,
        Reason: err instanceof Error ? err.message : String(err),
        Details: '',
      });
    }
  }

  private dispatchActivity(instanceId: string, taskId: number, name: string, input: string): void {
    const key = `${instanceId}#${taskId}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const p = this.activitySlots
      .run(async () => {
        if (this.stopped) return;
        let ev: HistoryEvent;
        try {
          const reg = this.activities.get(name.toLowerCase());
          if (!reg) throw new Error(`No activity function named "${name}" is registered`);
          const context = new InvocationContext({
            invocationId: randomUUID(),
            functionName: reg.name,
            options: { trigger: reg.trigger, extraInputs: reg.extraInputs as never, extraOutputs: reg.extraOutputs as never },
            triggerMetadata: { instanceId, taskId },
            logHandler: this.logHandler(reg.name),
          });
          this.opts.decorateContext(reg, context);
          const output = await reg.handler(parseJson(input), context);
          ev = { EventType: EventType.TaskCompleted, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Result: output === undefined ? null : JSON.stringify(output) };
        } catch (err) {
          this.opts.log('warn', `Activity ${name} (instance ${instanceId}, task ${taskId}) failed`, err);
          const e = err instanceof Error ? err : new Error(String(err));
          ev = { EventType: EventType.TaskFailed, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Reason: e.message, Details: e.stack ?? '' };
        }
        if (this.stopped) return;
        await this.enqueue(instanceId, ev);
      })
      .catch((err: unknown) => this.opts.log('error', `Activity ${name}: host error`, err))
      .finally(() => {
        this.inFlight.delete(key);
        this.inFlightPromises.delete(p);
      });
    this.inFlightPromises.add(p);
  }

  /** After a restart: rerun activities and recreate children whose outcome never made it back. */
  private async recover(instanceId: string, row: InstanceRow): Promise<void> {
    const history = await this.loadHistory(instanceId, row.executionId);
    const pending: HistoryEvent[] = [];
    for await (const m of this.inbox.listEntities<InboxRow>({ queryOptions: { filter: `PartitionKey eq '${enc(instanceId).replace(/'/g, "''")}'` } })) {
      pending.push(JSON.parse(readBig(m, 'data')) as HistoryEvent);
    }
    const answered = answeredTasks([...history, ...pending]);
    for (const e of history) {
      if (answered.has(e.EventId)) continue;
      if (e.EventType === EventType.TaskScheduled) {
        this.opts.log('info', `Resuming ${instanceId}: rerunning activity ${String(e.Name)} (task ${e.EventId})`);
        this.dispatchActivity(instanceId, e.EventId, String(e.Name), typeof e.Input === 'string' ? e.Input : '');
      } else if (e.EventType === EventType.TimerCreated) {
        // History got the TimerCreated but the host stopped before queueing its TimerFired.
        const fireAt = String(e.FireAt);
        await this.enqueue(instanceId, { EventType: EventType.TimerFired, EventId: -1, IsPlayed: false, Timestamp: fireAt, TimerId: e.EventId, FireAt: fireAt }, new Date(fireAt).getTime());
      } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
        const childId = String(e.InstanceId);
        const child = await this.readInstance(childId);
        if (!child) await this.startChild(instanceId, e.EventId, String(e.Name), childId, parseJson(e.Input as string));
        else if (TERMINAL.has(child.runtimeStatus)) await this.finishChildAgain(instanceId, e.EventId, childId, child);
      }
    }
  }

  private async finishChildAgain(parentId: string, taskId: number, childId: string, child: InstanceRow): Promise<void> {
    const output = readBig(child, 'output');
    const reason = parseJson(output || 'null');
    await this.enqueue(
      parentId,
      child.runtimeStatus === 'Completed'
        ? { EventType: EventType.SubOrchestrationInstanceCompleted, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Result: output || null }
        : { EventType: EventType.SubOrchestrationInstanceFailed, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Reason: `Sub-orchestration ${childId} ${child.runtimeStatus.toLowerCase()}: ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`, Details: '' },
    );
  }

  private describeEvent(e: HistoryEvent, withOutput: boolean): Record<string, unknown> {
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

  private logHandler(functionName: string): (level: string, ...args: unknown[]) => void {
    return (level, ...args) => {
      const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(' ');
      const l = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'info';
      this.opts.log(l, `[${functionName}] ${text}`);
    };
  }
}

export class NotFoundError extends Error {}
