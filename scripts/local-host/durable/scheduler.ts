import type { Logger } from '../invocation.js';

/**
 * When each instance's next episode runs: at most one at a time per instance (a kick during an episode
 * runs another right after it), at the time of its next due inbox message (durable timers, retry
 * back-offs), and again after an episode that failed on a host error, backing off.
 */
export class EpisodeScheduler {
  private readonly running = new Map<string, Promise<void>>();
  /** Instances kicked while an episode ran: they get another as soon as it ends. */
  private readonly kickedWhileRunning = new Set<string>();
  private readonly wakeups = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** Back-off of instances whose last episode failed on a host error. */
  private readonly failureDelay = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly episode: (instanceId: string) => Promise<void>,
    private readonly onEpisodeFailed: (instanceId: string) => void,
    private readonly log: Logger,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Runs an episode of the instance now, or right after the one running. */
  kick(instanceId: string): void {
    if (this.stopped) return;
    if (this.running.has(instanceId)) {
      this.kickedWhileRunning.add(instanceId);
      return;
    }
    const p = this.episode(instanceId)
      .then(() => {
        this.failureDelay.delete(instanceId);
      })
      .catch((err: unknown) => {
        this.log('error', `Orchestration ${instanceId}: host error`, err);
        this.onEpisodeFailed(instanceId);
        // As the Durable extension keeps polling its queues: an episode that failed (storage unreachable)
        // is tried again, backing off to 30 s, instead of leaving the instance Running until a restart.
        const delay = Math.min(30_000, (this.failureDelay.get(instanceId) ?? 250) * 2);
        this.failureDelay.set(instanceId, delay);
        this.wakeAt(instanceId, Date.now() + delay);
      })
      .finally(() => {
        this.running.delete(instanceId);
        if (this.kickedWhileRunning.delete(instanceId)) this.kick(instanceId);
      });
    this.running.set(instanceId, p);
  }

  /** Kicks the instance at `at` (epoch ms), unless it is already due to wake up earlier. */
  wakeAt(instanceId: string, at: number): void {
    const existing = this.wakeups.get(instanceId);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.wakeups.delete(instanceId);
      this.kick(instanceId);
    }, Math.max(0, at - Date.now()));
    this.wakeups.set(instanceId, { at, timer });
  }

  /** No new episodes; resolves when the running ones have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wakeups.values()) clearTimeout(w.timer);
    this.wakeups.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}
