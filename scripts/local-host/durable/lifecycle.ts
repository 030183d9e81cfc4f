import { randomUUID } from 'node:crypto';
import type { Registration } from '../registry.js';
import type { Logger } from '../invocation.js';
import { EventType } from '../history-events.js';
import type { ActivityRunner } from './activities.js';
import { TERMINAL, big, json, now, parseJson, readBig, type HistoryEvent, type HistoryStore, type InstanceRow, type RuntimeStatus } from './history-store.js';

export class NotFoundError extends Error {}

const newId = (): string => randomUUID().replace(/-/g, '');

/** Ids of the tasks (activities, sub-orchestrations, timers) these events answer. */
export function answeredTasks(events: readonly HistoryEvent[]): Set<number> {
  const ids = new Set<number>();
  for (const e of events) {
    if (typeof e.TaskScheduledId === 'number') ids.add(e.TaskScheduledId);
    if (typeof e.TimerId === 'number') ids.add(e.TimerId);
  }
  return ids;
}

/**
 * An instance's life outside its episodes: created, sent messages, continued as new, finished; its
 * parent told of its end; and, after a restart or a failed episode, the work its history scheduled
 * started again.
 */
export class InstanceLifecycle {
  private readonly orchestrators = new Map<string, Registration>();
  private readonly finishWaiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly store: HistoryStore,
    registrations: Registration[],
    private readonly activities: ActivityRunner,
    private readonly kick: (instanceId: string) => void,
    private readonly log: Logger,
  ) {
    for (const r of registrations) if (r.trigger.type === 'orchestrationTrigger') this.orchestrators.set(r.name.toLowerCase(), r);
  }

  orchestrator(name: string): Registration | undefined {
    return this.orchestrators.get(name.toLowerCase());
  }

  /**
   * Starts an instance. Returns `created: false` when an instance with this id is already pending or
   * running: it is left untouched (ids given by callers are how "one refresh per store" works).
   */
  async create(name: string, instanceId: string | undefined, input: unknown, parent?: { instanceId: string; taskId: number }): Promise<{ id: string; created: boolean }> {
    const reg = this.orchestrator(name);
    if (!reg) throw new NotFoundError(`No orchestrator function named "${name}" is registered`);
    const id = instanceId ?? newId();
    const existing = await this.store.readInstance(id);
    if (existing && !TERMINAL.has(existing.runtimeStatus)) return { id, created: false };
    if (existing) await this.store.deleteInstanceData(id);
    const ts = now();
    const row: InstanceRow = {
      name: reg.name,
      runtimeStatus: 'Pending',
      executionId: newId(),
      input: json(input),
      output: '',
      customStatus: '',
      createdTime: ts,
      lastUpdatedTime: ts,
      parentInstanceId: parent?.instanceId ?? '',
      parentTaskId: parent?.taskId ?? -1,
    };
    // Two concurrent starts with one id: the loser joins the winner's instance.
    if (!(await this.store.putNewInstance(id, row, existing))) return { id, created: false };
    await this.enqueue(id, { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: ts, Name: reg.name, Input: json(input), Version: '' });
    return { id, created: true };
  }

  /** A message for the instance's next episode, due at `dueAt` (epoch ms; 0 = now). */
  async enqueue(instanceId: string, event: HistoryEvent, dueAt = 0): Promise<void> {
    await this.store.enqueue(instanceId, event, dueAt);
    this.kick(instanceId);
  }

  /** Resolves when the instance finishes on this host (or `ms` passes). */
  nextFinish(instanceId: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const list = this.finishWaiters.get(instanceId) ?? [];
      const t = setTimeout(resolve, ms);
      list.push(() => {
        clearTimeout(t);
        resolve();
      });
      this.finishWaiters.set(instanceId, list);
    });
  }

  async finish(instanceId: string, row: InstanceRow, status: RuntimeStatus, output: unknown, due: readonly { rowKey: string }[], customStatus?: unknown): Promise<void> {
    this.store.forgetHistory(instanceId);
    await this.store.updateInstance(instanceId, {
      runtimeStatus: status,
      ...big('output', json(output)),
      ...(customStatus !== undefined ? big('customStatus', json(customStatus)) : {}),
      lastUpdatedTime: now(),
      ...(row.parentInstanceId ? { parentNotified: false } : {}),
    });
    await this.store.deleteInbox(instanceId, due);
    await this.store.clearInbox(instanceId);
    if (row.parentInstanceId) await this.notifyParent(instanceId, { ...row, runtimeStatus: status, output: json(output) });
    const list = this.finishWaiters.get(instanceId) ?? [];
    this.finishWaiters.delete(instanceId);
    list.forEach((w) => w());
  }

  /** The parent's completion event for a terminal child, then the mark that it was sent. */
  async notifyParent(instanceId: string, child: InstanceRow): Promise<void> {
    await this.reportChildOutcome(child.parentInstanceId, child.parentTaskId, instanceId, child);
    await this.store.updateInstance(instanceId, { parentNotified: true });
  }

  async continueAsNew(instanceId: string, row: InstanceRow, input: unknown, due: readonly { rowKey: string }[], customStatus: unknown): Promise<void> {
    this.store.forgetHistory(instanceId);
    await this.store.deleteInbox(instanceId, due);
    await this.store.updateInstance(instanceId, { runtimeStatus: 'Running', executionId: newId(), ...big('input', json(input)), ...big('customStatus', json(customStatus)), lastUpdatedTime: now() });
    await this.store.deleteExecutionHistory(instanceId, row.executionId);
    await this.enqueue(instanceId, { EventType: EventType.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: now(), Name: row.name, Input: json(input), Version: '' });
  }

  /** Starts a sub-orchestration; if it cannot start, the parent gets SubOrchestrationInstanceFailed. */
  async startChild(parentId: string, taskId: number, name: string, childId: string, input: unknown): Promise<void> {
    try {
      const { created } = await this.create(name, childId, input, { instanceId: parentId, taskId });
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

  /** After a restart or a failed episode: rerun activities and recreate children whose outcome never made it back. */
  async recover(instanceId: string, row: InstanceRow): Promise<void> {
    const history = await this.store.loadHistory(instanceId, row.executionId);
    const pending = (await this.store.readInbox(instanceId)).map((m) => m.event);
    const answered = answeredTasks([...history, ...pending]);
    for (const e of history) {
      if (answered.has(e.EventId)) continue;
      if (e.EventType === EventType.TaskScheduled) {
        this.log('info', `Resuming ${instanceId}: rerunning activity ${String(e.Name)} (task ${e.EventId})`);
        this.activities.dispatch(instanceId, e.EventId, String(e.Name), typeof e.Input === 'string' ? e.Input : '');
      } else if (e.EventType === EventType.TimerCreated) {
        // History got the TimerCreated but the host stopped before queueing its TimerFired.
        await this.enqueue(instanceId, timerFired(e.EventId, String(e.FireAt)), new Date(String(e.FireAt)).getTime());
      } else if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
        const childId = String(e.InstanceId);
        const child = await this.store.readInstance(childId);
        if (!child) await this.startChild(instanceId, e.EventId, String(e.Name), childId, parseJson(e.Input as string));
        else if (TERMINAL.has(child.runtimeStatus)) await this.reportChildOutcome(instanceId, e.EventId, childId, child);
      }
    }
  }

  private async reportChildOutcome(parentId: string, taskId: number, childId: string, child: InstanceRow): Promise<void> {
    const output = readBig(child, 'output');
    const reason = parseJson(output || 'null');
    await this.enqueue(
      parentId,
      child.runtimeStatus === 'Completed'
        ? { EventType: EventType.SubOrchestrationInstanceCompleted, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Result: output || null }
        : { EventType: EventType.SubOrchestrationInstanceFailed, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Reason: `Sub-orchestration ${childId} ${child.runtimeStatus.toLowerCase()}: ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`, Details: '' },
    );
  }
}

export function timerFired(timerId: number, fireAt: string): HistoryEvent {
  return { EventType: EventType.TimerFired, EventId: -1, IsPlayed: false, Timestamp: fireAt, TimerId: timerId, FireAt: fireAt };
}
