import type { ApiClient, Run, StoreId } from './api';
import { ApiError } from './api';
import { formatElapsed } from './format';
import { pollDelayMs } from './progress';

export interface RefreshHooks {
  /** The run is known (started or joined). */
  onRun?(runId: string, joined: boolean): void;
  /** Each poll's answer. */
  onProgress(run: Run): void;
  /** The run finished and published; load the new forecast. */
  onDone(run: Run): Promise<void> | void;
  /** The refresh could not start, failed, or could no longer be followed: `message` says why in plain words. */
  onFailed(message: string, run?: Run): void;
}

export interface FollowOptions {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  signal?: AbortSignal;
  /** Consecutive failed polls before giving up. */
  maxPollErrors?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Plain-language reason for a refresh that could not start. */
export function refreshStartMessage(e: unknown, storeLabel: string): string {
  if (e instanceof ApiError) {
    if (e.status === 429) {
      const wait = e.retryAfterSeconds ? ` Try again in ${formatElapsed(e.retryAfterSeconds * 1000)}.` : ' Try again in a minute.';
      return `You have started too many refreshes in a short time.${wait}`;
    }
    if (e.status === 403) return `You are not allowed to refresh ${storeLabel}. ${e.message}`;
    if (e.status === 404) return `${storeLabel} no longer exists in Foreact.`;
    if (e.status === 401) return e.message;
    return `The refresh of ${storeLabel} could not start: ${e.message}`;
  }
  return `The refresh of ${storeLabel} could not start.`;
}

/** Polls a run until it is done or failed, reporting each state. Resolves when finished or given up. */
export async function followRun(api: ApiClient, runRef: string, hooks: RefreshHooks, options: FollowOptions = {}): Promise<void> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const maxErrors = options.maxPollErrors ?? 5;
  const started = now();
  let errors = 0;
  for (;;) {
    if (options.signal?.aborted) return;
    let run: Run;
    try {
      run = await api.run(runRef, options.signal);
      errors = 0;
    } catch (e) {
      if (options.signal?.aborted) return;
      if (e instanceof ApiError && (e.status === 403 || e.status === 404 || e.status === 401)) {
        hooks.onFailed(e.status === 404 ? 'The refresh can no longer be found; it may have been cleaned up. Reload the page to see the latest forecast.' : e.message);
        return;
      }
      errors += 1;
      if (errors >= maxErrors) {
        hooks.onFailed(`Lost contact with the refresh (${e instanceof Error ? e.message : 'unknown error'}). It may still finish: reload the page in a few minutes.`);
        return;
      }
      await sleep(Math.min(10_000, 1_000 * 2 ** errors));
      continue;
    }
    hooks.onProgress(run);
    if (run.status === 'done') {
      await hooks.onDone(run);
      return;
    }
    if (run.status === 'failed') {
      hooks.onFailed(run.error?.message ?? 'The refresh failed without a reason.', run);
      return;
    }
    await sleep(pollDelayMs(now() - started));
  }
}

/** Starts (or joins) a refresh of one store and follows it to the end. */
export async function refreshStore(api: ApiClient, store: StoreId, storeLabel: string, hooks: RefreshHooks, options: FollowOptions = {}): Promise<void> {
  let runRef: string;
  try {
    const accepted = await api.refresh(store);
    hooks.onRun?.(accepted.runId, accepted.joined);
    runRef = accepted.statusUrl || accepted.runId;
  } catch (e) {
    hooks.onFailed(refreshStartMessage(e, storeLabel));
    return;
  }
  await followRun(api, runRef, hooks, options);
}
