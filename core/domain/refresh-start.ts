import type { RateLimiter } from '../ports/rate-limiter.js';
import type { RefreshInstances } from '../ports/refresh-instances.js';

/** How long a caller refused a token keeps looking for a refresh that a concurrent request is starting. */
export const JOIN_WINDOW_MS = 3_000;
const JOIN_POLL_MS = 100;
const START_ATTEMPTS = 3;

export type RefreshStart =
  | { kind: 'started' | 'joined'; runId: string; status: string }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'unavailable' };

export interface RefreshStartDeps {
  instances: RefreshInstances;
  limiter: RateLimiter;
  sleep?: (ms: number) => Promise<void>;
  /** How long a refused caller looks for a refresh to join; JOIN_WINDOW_MS unless a test says otherwise. */
  joinWindowMs?: number;
  warn?: (message: string, error?: unknown) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the store's refresh for `user`, or joins the running one. A token is taken only to start:
 * joining costs nothing, and a token taken for a start that lost the race to another caller's is given
 * back. A caller refused a token is not refused at once: the token may be short because concurrent
 * requests (eight first clicks at once) took it, and one of them is about to start the very refresh this
 * caller wants. So it looks again for a running refresh to join, for up to `joinWindowMs`, and answers
 * "rate limited" only when none appears.
 */
export async function startOrJoinRefresh(deps: RefreshStartDeps, user: string, store: string, newRunId: () => string): Promise<RefreshStart> {
  const sleep = deps.sleep ?? realSleep;
  let holding = false;
  const giveBack = async (): Promise<void> => {
    if (!holding) return;
    holding = false;
    await deps.limiter.giveBack(user).catch((error: unknown) => deps.warn?.(`refresh ${store}: could not give back a rate-limit token`, error));
  };
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const running = await deps.instances.running(store);
    if (running !== undefined) {
      await giveBack();
      return { kind: 'joined', runId: running.runId, status: running.status };
    }
    if (!holding) {
      const wait = await deps.limiter.take(user);
      if (wait > 0) {
        const window = deps.joinWindowMs ?? JOIN_WINDOW_MS;
        for (let waited = 0; waited < window; waited += JOIN_POLL_MS) {
          await sleep(JOIN_POLL_MS);
          const started = await deps.instances.running(store);
          if (started !== undefined) return { kind: 'joined', runId: started.runId, status: started.status };
        }
        return { kind: 'rate_limited', retryAfterSeconds: wait };
      }
      holding = true;
    }
    const runId = newRunId();
    if (await deps.instances.start(store, runId)) return { kind: 'started', runId, status: 'queued' };
    // Another request started it between our look and our start: look again (and join it).
    await sleep(50 * (attempt + 1));
  }
  await giveBack();
  return { kind: 'unavailable' };
}
