/**
 * A least-recently-used cache bounded by an estimate of its bytes, not by its number of entries: one
 * run of 20,000 items and one of 5 items are not the same weight. Values are promises so concurrent
 * readers share one load; a failed load is not kept.
 */
export class ByteBudgetCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; bytes: number }>();
  private used = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  load(key: string, loader: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Most recently used last: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = loader();
    const entry = { value, bytes: 0 };
    this.entries.set(key, entry);
    value.then(
      (loaded) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = this.sizeOf(loaded);
        this.used += entry.bytes;
        // A value larger than the whole budget is served once and not kept.
        if (entry.bytes > this.budgetBytes) this.evict(key);
        this.trim();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  private evict(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  private trim(): void {
    for (const key of this.entries.keys()) {
      if (this.used <= this.budgetBytes) return;
      this.evict(key);
    }
  }
}
