import type { Registration } from '../registry.js';
import { newInvocationContext, type DecorateContext, type Logger } from '../invocation.js';
import { EventType } from '../history-events.js';
import type { ActivityRunner } from './activities.js';
import { answeredTasks, timerFired, type InstanceLifecycle } from './lifecycle.js';
import { TERMINAL, big, json, now, pad, parseJson, type HistoryEvent, type HistoryStore, type InboxMessage, type InstanceRow } from './history-store.js';
import { ActionType, actionInput, customStatusOf, failureOf, leafActions, newTasks, type EpisodeResult } from './replay-engine.js';

export interface EpisodeRunnerDeps {
  store: HistoryStore;
  lifecycle: InstanceLifecycle;
  activities: ActivityRunner;
  wakeAt(instanceId: string, at: number): void;
  isStopped(): boolean;
  log: Logger;
  decorate: DecorateContext;
}

/** What one episode works on: the instance, its recorded history and the messages now due. */
interface Episode {
  instanceId: string;
  row: InstanceRow;
  past: HistoryEvent[];
  due: InboxMessage[];
  /** Events this episode appends to history. */
  fresh: HistoryEvent[];
}

const marker = (type: number): HistoryEvent => ({ EventType: type, EventId: -1, IsPlayed: false, Timestamp: now() });

/**
 * One orchestrator episode: take the due inbox messages, replay the history with them through
 * durable-functions' replay engine, record the outcome, and start the new work it scheduled.
 */
export class EpisodeRunner {
  /** Instances whose last episode failed part-way: before the next one, start what it scheduled (as after a restart). */
  private readonly needsRecovery = new Set<string>();

  constructor(private readonly deps: EpisodeRunnerDeps) {}

  /** The episode may have recorded new tasks in history and failed before starting them. */
  episodeFailed(instanceId: string): void {
    this.needsRecovery.add(instanceId);
  }

  async run(instanceId: string): Promise<void> {
    const { store, lifecycle } = this.deps;
    const row = await store.readInstance(instanceId);
    if (!row) return;
    if (TERMINAL.has(row.runtimeStatus)) {
      // The episode that finished it failed before the parent heard (storage went away in between): this
      // retry tells the parent, or a sub-orchestration's parent would wait until a host restart.
      if (row.parentInstanceId && row.parentNotified === false) await lifecycle.notifyParent(instanceId, row);
      return;
    }
    await this.recoverIfNeeded(instanceId, row);
    const episode = await this.take(instanceId, row);
    if (!episode) return;

    const terminate = episode.due.find((d) => d.event.EventType === EventType.ExecutionTerminated);
    if (terminate) {
      episode.fresh.push(terminate.event);
      return this.end(episode, 'Terminated', parseJson(terminate.event.Input as string));
    }
    // ExecutionStarted must come first in history whatever order the inbox listed it in.
    episode.due.sort((a, b) => Number(b.event.EventType === EventType.ExecutionStarted) - Number(a.event.EventType === EventType.ExecutionStarted));
    episode.fresh.push(...episode.due.map((d) => ({ ...d.event, IsPlayed: false })));

    const reg = lifecycle.orchestrator(row.name);
    if (!reg) return this.end(episode, 'Failed', `Orchestrator function "${row.name}" is not registered on this host`);
    await this.replayAndApply(episode, reg);
  }

  private async recoverIfNeeded(instanceId: string, row: InstanceRow): Promise<void> {
    if (!this.needsRecovery.delete(instanceId)) return;
    try {
      await this.deps.lifecycle.recover(instanceId, row);
    } catch (err) {
      this.needsRecovery.add(instanceId);
      throw err;
    }
  }

  /** The messages due now (a wake-up is set for the next later one), less answers history already has. */
  private async take(instanceId: string, row: InstanceRow): Promise<Episode | undefined> {
    const { store } = this.deps;
    const t = Date.now();
    const inbox = await store.readInbox(instanceId);
    let due = inbox.filter((m) => m.dueAt <= t);
    const later = inbox.filter((m) => m.dueAt > t).map((m) => m.dueAt);
    if (later.length > 0) this.deps.wakeAt(instanceId, Math.min(...later));
    if (due.length === 0 || this.deps.isStopped()) return undefined;

    const past = await store.loadHistory(instanceId, row.executionId, true);
    // A completion can arrive twice (a child re-notifies its parent after a failed write, a restart's
    // recovery): history must hold one answer per task, so a task answered already is not answered again.
    const answered = answeredTasks(past);
    const repeated = due.filter((d) => [...answeredTasks([d.event])].some((id) => answered.has(id)));
    if (repeated.length > 0) {
      await store.deleteInbox(instanceId, repeated);
      due = due.filter((d) => !repeated.includes(d));
      if (due.length === 0) return undefined;
    }
    return { instanceId, row, past, due, fresh: [marker(EventType.OrchestratorStarted)] };
  }

  private async replayAndApply(episode: Episode, reg: Registration): Promise<void> {
    const { instanceId, row, past, fresh } = episode;
    const history: HistoryEvent[] = [...past.map((e) => ({ ...e, IsPlayed: true })), ...fresh];
    const started = history.find((e) => e.EventType === EventType.ExecutionStarted);
    const context = newInvocationContext(reg, { log: this.deps.log, decorate: this.deps.decorate });
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

    let result: EpisodeResult | undefined;
    let failure: string | undefined;
    try {
      result = (await reg.handler(trigger, context)) as EpisodeResult | undefined;
    } catch (err) {
      failure = failureOf(context, err);
      this.deps.log('error', `Orchestration ${instanceId} (${reg.name}) failed: ${failure}`);
    }
    const customStatus = customStatusOf(context, result);

    if (failure !== undefined) {
      fresh.push(marker(EventType.OrchestratorCompleted));
      return this.end(episode, 'Failed', failure, customStatus);
    }
    if (result?.isDone) {
      fresh.push(marker(EventType.OrchestratorCompleted));
      const continueAsNew = leafActions(result).find((a) => a.actionType === ActionType.ContinueAsNew);
      if (!continueAsNew) return this.end(episode, 'Completed', result.output, customStatus);
      const input = actionInput(continueAsNew.input);
      fresh.push({ ...marker(EventType.ContinueAsNew), Result: json(input) });
      await this.deps.store.appendHistory(instanceId, row.executionId, past.length, fresh);
      await this.deps.lifecycle.continueAsNew(instanceId, row, input, episode.due, customStatus);
      return;
    }
    await this.scheduleNewWork(episode, context, customStatus);
  }

  /** Tasks the replay engine holds open with ids that history has not scheduled yet are new work. */
  private async scheduleNewWork(episode: Episode, context: Parameters<typeof newTasks>[0], customStatus: unknown): Promise<void> {
    const { instanceId, row, past, fresh } = episode;
    const { store, lifecycle, activities } = this.deps;
    const scheduled = new Set<number>();
    for (const e of [...past, ...fresh]) {
      if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated || e.EventType === EventType.SubOrchestrationInstanceCreated) scheduled.add(e.EventId);
    }
    const work: (() => Promise<void>)[] = [];
    const unsupported: string[] = [];
    for (const { id, action } of newTasks(context, scheduled, Date.now())) {
      if (!action) {
        unsupported.push(`task ${id}`);
        continue;
      }
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry: {
          // The retry itself is the replay engine's (a RetryableTask and its timers).
          const name = action.functionName ?? '';
          const input = json(actionInput(action.input));
          fresh.push({ EventType: EventType.TaskScheduled, EventId: id, IsPlayed: false, Timestamp: now(), Name: name, Input: input });
          work.push(() => Promise.resolve(activities.dispatch(instanceId, id, name, input)));
          break;
        }
        case ActionType.CreateTimer: {
          const fireAt = new Date(action.fireAt ?? Date.now());
          fresh.push({ EventType: EventType.TimerCreated, EventId: id, IsPlayed: false, Timestamp: now(), FireAt: fireAt.toISOString() });
          work.push(() => lifecycle.enqueue(instanceId, timerFired(id, fireAt.toISOString()), fireAt.getTime()));
          break;
        }
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry: {
          const name = action.functionName ?? '';
          const childId = action.instanceId || `${instanceId}:${pad(id, 4)}`;
          const input = actionInput(action.input);
          fresh.push({ EventType: EventType.SubOrchestrationInstanceCreated, EventId: id, IsPlayed: false, Timestamp: now(), Name: name, InstanceId: childId, Input: json(input) });
          work.push(() => lifecycle.startChild(instanceId, id, name, childId, input));
          break;
        }
        default:
          unsupported.push(`action type ${action.actionType} (task ${id})`);
      }
    }
    fresh.push(marker(EventType.OrchestratorCompleted));
    await store.appendHistory(instanceId, row.executionId, past.length, fresh);
    if (unsupported.length > 0) {
      await lifecycle.finish(instanceId, row, 'Failed', `The local host does not support ${unsupported.join(', ')} (entities and callHttp are not implemented)`, episode.due, customStatus);
      return;
    }
    await store.updateInstance(instanceId, { runtimeStatus: 'Running', ...big('customStatus', json(customStatus)), lastUpdatedTime: now() });
    await store.deleteInbox(instanceId, episode.due);
    for (const w of work) await w();
  }

  /** Records this episode's events and finishes the instance. */
  private async end(episode: Episode, status: 'Completed' | 'Failed' | 'Terminated', output: unknown, customStatus?: unknown): Promise<void> {
    await this.deps.store.appendHistory(episode.instanceId, episode.row.executionId, episode.past.length, episode.fresh);
    await this.deps.lifecycle.finish(episode.instanceId, episode.row, status, output, episode.due, customStatus);
  }
}
