import { randomBytes } from 'node:crypto';

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
