/**
 * A rate limit shared by every instance of the app (a token bucket per key, e.g. per user): what one
 * instance takes, the others see.
 */
export interface RateLimiter {
  /** Takes one token from `key`'s bucket: 0 when allowed, else the whole seconds to wait for one. */
  take(key: string): Promise<number>;
  /** Gives back a token taken for work that turned out not to be needed (a refresh joined after a race). */
  giveBack(key: string): Promise<void>;
}
