import type { Registration } from '../registry.js';
import type { AppSettings } from '../settings.js';
import { parseSchedule, resolveSetting } from '../ncrontab.js';

/** Timer triggers: each armed on its NCRONTAB schedule, or fired by hand. */
export class TimerTriggers {
  private readonly handles = new Map<string, NodeJS.Timeout>();
  private readonly lastFired = new Map<string, Date>();
  private stopped = false;

  constructor(
    private readonly appSettings: AppSettings,
    private readonly invoke: (reg: Registration, input: unknown) => Promise<unknown>,
  ) {}

  /** Runs the timer function now, with the input the real host gives it; resolves when it returns. */
  async fire(reg: Registration, next?: Date): Promise<void> {
    const input = {
      isPastDue: false,
      scheduleStatus: { last: (this.lastFired.get(reg.name) ?? new Date(0)).toISOString(), next: next?.toISOString(), lastUpdated: new Date().toISOString() },
    };
    this.lastFired.set(reg.name, new Date());
    await this.invoke(reg, input);
  }

  arm(reg: Registration): void {
    const schedule = parseSchedule(resolveSetting(typeof reg.trigger.schedule === 'string' ? reg.trigger.schedule : '', this.appSettings));
    const at = schedule.next(new Date());
    // setTimeout overflows past ~24.8 days; wake up early and re-arm.
    const delay = Math.min(at.getTime() - Date.now(), 2 ** 31 - 1);
    const handle = setTimeout(() => {
      if (this.stopped) return;
      if (Date.now() >= at.getTime() - 5) void this.fire(reg, schedule.next(new Date())).catch(() => undefined);
      this.arm(reg);
    }, delay);
    this.handles.set(reg.name, handle);
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.handles.values()) clearTimeout(h);
  }
}
