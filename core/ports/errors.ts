/** An optimistic-concurrency write lost the race (ETag mismatch, or the entity already exists). */
export class ConcurrencyConflict extends Error {
  constructor(what: string) {
    super(`concurrent update of ${what}`);
    this.name = 'ConcurrencyConflict';
  }
}

/** Something the caller named (a run, a blob) does not exist. */
export class NotFound extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFound';
  }
}
