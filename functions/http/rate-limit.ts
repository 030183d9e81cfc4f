/**
 * Per-user token bucket for refresh requests, kept in this instance's memory: each Functions instance
 * limits on its own (with N instances a user gets at most N × the rate), which is enough to stop a
 * stuck button or a script from queueing work — the refresh itself is deduplicated per store anyway.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    const tokens = Math.min(this.capacity, b.tokens + ((t - b.at) / 60_000) * this.refillPerMinute);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: t });
      if (this.buckets.size > 10_000) this.prune(t);
      return 0;
    }
    this.buckets.set(key, { tokens, at: t });
    return Math.max(1, Math.ceil(((1 - tokens) * 60) / this.refillPerMinute));
  }

  private prune(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 60_000) * this.refillPerMinute >= this.capacity) this.buckets.delete(k);
  }
}
