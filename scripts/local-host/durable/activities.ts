import type { Registration } from '../registry.js';
import { newInvocationContext, type DecorateContext, type Logger } from '../invocation.js';
import { EventType } from '../history-events.js';
import { now, parseJson, type HistoryEvent } from './history-store.js';

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

export interface ActivityRunnerOptions {
  registrations: Registration[];
  maxConcurrentActivities: number;
  log: Logger;
  decorate: DecorateContext;
  /** Delivers the outcome (TaskCompleted or TaskFailed) to the instance's inbox. */
  report(instanceId: string, event: HistoryEvent): Promise<void>;
}

/** Runs scheduled activities, a bounded number at once, each task once per host even if scheduled twice. */
export class ActivityRunner {
  private readonly activities = new Map<string, Registration>();
  private readonly slots: Semaphore;
  private readonly inFlight = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: ActivityRunnerOptions) {
    for (const r of opts.registrations) if (r.trigger.type === 'activityTrigger') this.activities.set(r.name.toLowerCase(), r);
    this.slots = new Semaphore(Math.max(1, opts.maxConcurrentActivities));
  }

  dispatch(instanceId: string, taskId: number, name: string, input: string): void {
    const key = `${instanceId}#${taskId}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    void this.slots
      .run(async () => {
        if (this.stopped) return;
        const outcome = await this.run(instanceId, taskId, name, input);
        if (this.stopped) return;
        await this.opts.report(instanceId, outcome);
      })
      .catch((err: unknown) => this.opts.log('error', `Activity ${name}: host error`, err))
      .finally(() => this.inFlight.delete(key));
  }

  /**
   * Activities still running belong to a host that is going away; like a crash, their results are
   * dropped and the next host runs them again (at-least-once, as on the real Durable Task backends).
   */
  stop(): void {
    this.stopped = true;
  }

  private async run(instanceId: string, taskId: number, name: string, input: string): Promise<HistoryEvent> {
    try {
      const reg = this.activities.get(name.toLowerCase());
      if (!reg) throw new Error(`No activity function named "${name}" is registered`);
      const context = newInvocationContext(reg, { log: this.opts.log, decorate: this.opts.decorate }, { triggerMetadata: { instanceId, taskId } });
      const output = await reg.handler(parseJson(input), context);
      return { EventType: EventType.TaskCompleted, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Result: output === undefined ? null : JSON.stringify(output) };
    } catch (err) {
      this.opts.log('warn', `Activity ${name} (instance ${instanceId}, task ${taskId}) failed`, err);
      const e = err instanceof Error ? err : new Error(String(err));
      return { EventType: EventType.TaskFailed, EventId: -1, IsPlayed: false, Timestamp: now(), TaskScheduledId: taskId, Reason: e.message, Details: e.stack ?? '' };
    }
  }
}
