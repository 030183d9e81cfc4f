import { createHash, randomBytes } from 'node:crypto';

/** Store and item ids the API accepts (and so every id a planner can address). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Run ids reach table keys, blob names and URLs; a narrow alphabet keeps all three safe. */
export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) throw new Error(`run id "${runId.slice(0, 60)}" is invalid: use 1–128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`);
}

export function assertStoreId(store: string): void {
  // Store ids are opaque strings from the sales files; adapters encode them for keys, so only length and
  // control characters (which no upstream system means) are refused here.
  // eslint-disable-next-line no-control-regex
  if (store.length === 0 || store.length > 200 || /[\u0000-\u001f\u007f]/.test(store)) throw new Error(`store id "${store.slice(0, 60)}" is invalid: 1–200 printable characters`);
}

/**
 * The id one attempt of a store's run publishes its forecast rows under: the run id itself for the first
 * attempt, `<runId>:a<n>` for attempt n ≥ 2 (a retried pod, a re-dispatched job). A run's rows are then
 * written once per partition and never rewritten, so a retry can never touch the rows readers are on.
 * `:` keeps it apart from the `.` that joins a refresh's base id to its store (store ids have no `:`).
 */
export function attemptRunId(runId: string, attempt: number): string {
  assertRunId(runId);
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`attempt must be a whole number ≥ 1, got ${attempt}`);
  if (attempt === 1) return runId;
  const suffix = `:a${attempt}`;
  return runId.length + suffix.length <= 128 ? `${runId}${suffix}` : `${runId.slice(0, 128 - suffix.length - 9)}-${createHash('sha256').update(runId).digest('hex').slice(0, 8)}${suffix}`;
}

/** `20261124T050000123Z`: sorts in time order as a string, which table row keys and blob listings use. */
export function compactTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

function suffix(): string {
  return randomBytes(3).toString('hex');
}

export function newRunId(trigger: string, at: Date): string {
  return `${trigger}-${compactTimestamp(at)}-${suffix()}`;
}

/** Model and history versions: time-ordered, unique even when two writers start in the same millisecond. */
export function newVersion(at: Date): string {
  return `v${compactTimestamp(at)}-${suffix()}`;
}

/** Control characters and the rest of what must not reach a log line or a report verbatim. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g;

/** A value quoted in a message: control characters shown as `?`, at most `max` characters. */
export function quoteForReport(text: string, max = 40): string {
  const clean = text.replace(UNPRINTABLE, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * Why an id from a file is refused, or undefined when it is a valid store/item id: the alphabet the API
 * accepts (`ID_PATTERN`), so every id ingested can be addressed, stored under a blob path and passed to a
 * trainer.
 */
export function idProblem(kind: 'store' | 'item', id: string): string | undefined {
  if (ID_PATTERN.test(id)) return undefined;
  return `${kind} id "${quoteForReport(id)}" is invalid: use 1–64 letters, digits, "_", "." or "-", starting with a letter or digit`;
}
