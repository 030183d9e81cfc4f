import type { TableClient } from '@azure/data-tables';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { isStatus, tableOnFirstUse } from './clients.js';
import { encodeKey } from './keys.js';

interface BucketEntity {
  partitionKey: string;
  rowKey: string;
  /** Tokens left at `at` (fractional: the bucket refills continuously). */
  tokens: number;
  /** Epoch milliseconds of the last change. */
  at: number;
}

/** How many times a take re-reads after losing an ETag race before it answers "wait". */
const MAX_ATTEMPTS = 12;

/**
 * Token buckets in a table shared by every instance (FOREACT_TABLE_RATE_LIMITS): one row per key in
 * partition `scope`, `tokens` and `at`, changed only with the ETag read (or created only if absent), so two
 * instances taking the same user's last token cannot both succeed. A refusal writes nothing: the wait is
 * computed from the row as read. Rows of idle users are full buckets and harmless; nothing deletes them.
 */
export class TableRateLimiter implements RateLimiter {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly capacity: number,
    private readonly refillPerMinute: number,
    private readonly scope = 'refresh',
    private readonly now: () => number = Date.now,
  ) {}

  private ensure(): Promise<void> {
    this.ready ??= tableOnFirstUse(this.table, () => (this.ready = undefined));
    return this.ready;
  }

  private async read(rowKey: string): Promise<{ tokens: number; at: number; etag: string } | undefined> {
    try {
      const e = await this.table.getEntity<BucketEntity>(this.scope, rowKey);
      return { tokens: Number(e.tokens), at: Number(e.at), etag: e.etag };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** Tokens in the bucket at `t`: what was left, plus the refill since (never negative time: clocks differ). */
  private level(row: { tokens: number; at: number } | undefined, t: number): number {
    if (row === undefined || !Number.isFinite(row.tokens) || !Number.isFinite(row.at)) return this.capacity;
    return Math.min(this.capacity, row.tokens + (Math.max(0, t - row.at) / 60_000) * this.refillPerMinute);
  }

  /** Writes `tokens` if the row is still as read; false when another instance changed it first. */
  private async write(rowKey: string, row: { etag: string } | undefined, tokens: number, t: number): Promise<boolean> {
    const entity: BucketEntity = { partitionKey: this.scope, rowKey, tokens, at: t };
    try {
      if (row === undefined) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, 'Replace', { etag: row.etag });
      return true;
    } catch (error) {
      if (isStatus(error, 409, 412)) return false;
      throw error;
    }
  }

  private async backoff(attempt: number): Promise<void> {
    await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
  }

  async take(key: string): Promise<number> {
    await this.ensure();
    const rowKey = encodeKey(key);
    let tokens = 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const t = this.now();
      const row = await this.read(rowKey);
      tokens = this.level(row, t);
      if (tokens < 1) break;
      if (await this.write(rowKey, row, tokens - 1, t)) return 0;
      await this.backoff(attempt);
    }
    // Refused, or lost every race for this bucket (many parallel requests of one user): wait for a token.
    return Math.max(1, Math.ceil(((1 - Math.min(tokens, 0.999)) * 60) / this.refillPerMinute));
  }

  async giveBack(key: string): Promise<void> {
    await this.ensure();
    const rowKey = encodeKey(key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const t = this.now();
      const row = await this.read(rowKey);
      if (row === undefined) return;
      if (await this.write(rowKey, row, Math.min(this.capacity, this.level(row, t) + 1), t)) return;
      await this.backoff(attempt);
    }
  }
}
