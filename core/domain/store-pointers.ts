import { ConcurrencyConflict, type StoreCatalog, type StorePointerRepository, type IngestedPointers } from '../ports/index.js';
import { quoteForReport } from './ids.js';
import type { StoreState } from './model.js';
import { emptyStore, updateStore } from './stores.js';

/**
 * Where a store's sales history and drivers live, and the one check every reader of a pointer runs before
 * it reads or deletes a blob. Pointers are read back from tables that less trusted writers can reach (the
 * trainer identity writes the `stores` row), and a blob name is a path: `..` survives the blob SDK's URL
 * escaping, so an unchecked `historyBlob` could name another store's history, an upload, or anything the
 * Function App's identity may delete. A pointer is therefore accepted only when it is exactly the name
 * ingestion would have written for that store: `<store key>/<kind>-<version>.json.gz`.
 */

/**
 * Table keys and blob folders for opaque ids: [A-Za-z0-9_.-] as is, every other UTF-8 byte as "~XX". Table
 * keys may not contain / \ # ? or control characters, and '%' trips some services' URL handling. Ordinary
 * ids ("1", "TX_3", "FOODS_3_090") stay readable; "|" and "/" never appear in an encoded key.
 */
export function encodeKey(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9_.-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export type PointerKind = 'history' | 'drivers';

/** `newVersion()`'s shape: `v20261124T050000123Z-a1b2c3`. */
export const BLOB_VERSION_PATTERN = /^v\d{8}T\d{9}Z-[0-9a-f]{6}$/;

const SUFFIX = '.json.gz';

/** The blob (inside its container) that holds `version` of a store's history or drivers. */
export function storeBlobName(kind: PointerKind, store: string, version: string): string {
  return `${encodeKey(store)}/${kind}-${version}${SUFFIX}`;
}

export class InvalidStorePointer extends Error {
  override readonly name = 'InvalidStorePointer';
}

/**
 * What is wrong with `blob` as store `store`'s `kind` pointer, or undefined when it is exactly a name
 * `storeBlobName(kind, store, <a version>)` produces (and that version is `version`, when given).
 */
export function storePointerProblem(kind: PointerKind, store: string, blob: unknown, version?: string): string | undefined {
  const folder = encodeKey(store);
  const expected = `expected ${folder}/${kind}-<version>${SUFFIX}`;
  // "." and ".." would be path steps, not a folder (ids from uploads cannot be either: they start with a letter or digit).
  if (folder === '' || folder === '.' || folder === '..') return `store id "${quoteForReport(store, 60)}" cannot name a blob folder`;
  if (typeof blob !== 'string') return `the ${kind} pointer is not a string (${expected})`;
  const prefix = `${folder}/${kind}-`;
  const named = blob.startsWith(prefix) && blob.endsWith(SUFFIX) ? blob.slice(prefix.length, blob.length - SUFFIX.length) : undefined;
  if (named === undefined || !BLOB_VERSION_PATTERN.test(named)) return `the ${kind} pointer "${quoteForReport(blob, 120)}" is not one of store "${quoteForReport(store, 60)}"'s ${kind} blobs (${expected})`;
  if (version !== undefined && named !== version) return `the ${kind} pointer "${quoteForReport(blob, 120)}" names version ${named}, but the row says ${quoteForReport(version, 60)}`;
  return undefined;
}

/** `blob` when it is store `store`'s `kind` blob; otherwise throws `InvalidStorePointer`, before anything reads or deletes it. */
export function checkedStorePointer(kind: PointerKind, store: string, blob: string, version?: string): string {
  const problem = storePointerProblem(kind, store, blob, version);
  if (problem !== undefined) throw new InvalidStorePointer(`store "${quoteForReport(store, 60)}": ${problem}; refusing to read or delete it`);
  return blob;
}

/**
 * A blob name read without its store (the blob adapters' last line of defence): one folder that is an
 * encoded key, then `<kind>-<version>.json.gz`. Refuses `..`, extra slashes and other containers' paths.
 */
export function blobShapeProblem(kind: PointerKind, blob: string): string | undefined {
  const slash = blob.indexOf('/');
  const folder = blob.slice(0, Math.max(0, slash));
  if (slash <= 0 || !/^[A-Za-z0-9_.~-]+$/.test(folder) || folder === '.' || folder === '..') return `"${quoteForReport(blob, 120)}" is not a ${kind} blob name (<store key>/${kind}-<version>${SUFFIX})`;
  const file = blob.slice(slash + 1);
  const version = file.startsWith(`${kind}-`) && file.endsWith(SUFFIX) ? file.slice(kind.length + 1, file.length - SUFFIX.length) : '';
  return BLOB_VERSION_PATTERN.test(version) ? undefined : `"${quoteForReport(blob, 120)}" is not a ${kind} blob name (<store key>/${kind}-<version>${SUFFIX})`;
}

/**
 * A store's row as read back from a table a trainer can write: the store is the one its key names (the row's
 * own `store` column is not trusted), and each pointer that is not that store's is dropped and reported.
 * Dropping is safe here: the row's pointers are a mirror of ingestion's (`StorePointerRepository`), never
 * the only copy, and nothing is read through a dropped pointer.
 */
export interface PointerProblem {
  pointer: 'history' | 'previousHistoryBlob' | 'drivers';
  problem: string;
}

export function checkedStoreState(store: string, state: StoreState): { state: StoreState; problems: PointerProblem[] } {
  const problems: PointerProblem[] = [];
  const out: StoreState = { ...state, store };
  if (out.history !== undefined) {
    const problem = storePointerProblem('history', store, out.history.blob, out.history.version);
    if (problem !== undefined) {
      problems.push({ pointer: 'history', problem });
      delete out.history;
    }
  }
  if (out.previousHistoryBlob !== undefined) {
    const problem = storePointerProblem('history', store, out.previousHistoryBlob);
    if (problem !== undefined) {
      problems.push({ pointer: 'previousHistoryBlob', problem });
      delete out.previousHistoryBlob;
    }
  }
  if (out.drivers !== undefined) {
    const problem = storePointerProblem('drivers', store, out.drivers.blob, out.drivers.version);
    if (problem !== undefined) {
      problems.push({ pointer: 'drivers', problem });
      delete out.drivers;
    }
  }
  return { state: out, problems };
}

/** Checks every pointer of ingestion's record for `store`; throws `InvalidStorePointer` on the first bad one. */
export function checkedPointers(store: string, pointers: IngestedPointers): IngestedPointers {
  if (pointers.store !== store) throw new InvalidStorePointer(`pointers for store "${quoteForReport(store, 60)}" are recorded as store "${quoteForReport(pointers.store, 60)}"; refusing to use them`);
  if (pointers.history) checkedStorePointer('history', store, pointers.history.blob, pointers.history.version);
  if (pointers.previousHistoryBlob !== undefined) checkedStorePointer('history', store, pointers.previousHistoryBlob);
  if (pointers.drivers) checkedStorePointer('drivers', store, pointers.drivers.blob, pointers.drivers.version);
  return pointers;
}

const MAX_ATTEMPTS = 10;

/**
 * Read-modify-write of ingestion's pointers for a store with optimistic concurrency (two uploads touching the
 * same store). `change` returns the new pointers or undefined for "nothing to do", and may run more than
 * once. Resolves to the pointers now in force (undefined: the store has none).
 */
export async function updatePointers(repo: StorePointerRepository, store: string, change: (current: IngestedPointers | undefined) => Promise<IngestedPointers | undefined>): Promise<IngestedPointers | undefined> {
  for (let attempt = 0; ; attempt++) {
    const current = await repo.get(store);
    const next = await change(current === undefined ? undefined : checkedPointers(store, current.value));
    if (next === undefined) return current?.value;
    try {
      await repo.save(checkedPointers(store, next), current?.etag);
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrencyConflict) || attempt + 1 >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

export interface MovedPointers {
  history: boolean;
  drivers: boolean;
}

function samePointers(state: StoreState | undefined, pointers: IngestedPointers): MovedPointers & { previous: boolean } {
  return {
    history: state?.history?.blob !== pointers.history?.blob || state?.history?.version !== pointers.history?.version,
    previous: state?.previousHistoryBlob !== pointers.previousHistoryBlob,
    drivers: state?.drivers?.blob !== pointers.drivers?.blob || state?.drivers?.version !== pointers.drivers?.version,
  };
}

/**
 * Copies ingestion's pointers onto the store's row, which trainers and the API read. Idempotent: a row that
 * already mirrors them is left alone, so a re-delivered upload after a crash between the two writes finishes
 * the job, and a row a trainer rewrote is put back. `staleReason` says why the forecast is now out of date
 * (undefined: it is not).
 */
export async function mirrorPointers(stores: StoreCatalog, pointers: IngestedPointers, now: Date, staleReason: (base: StoreState, moved: MovedPointers) => string | undefined): Promise<StoreState | undefined> {
  const store = pointers.store;
  return updateStore(stores, store, (current) => {
    const moved = samePointers(current, pointers);
    if (!moved.history && !moved.previous && !moved.drivers) return undefined;
    const base = current ?? emptyStore(store, now);
    const next: StoreState = { ...base, updatedAt: now.toISOString() };
    delete next.history;
    delete next.previousHistoryBlob;
    delete next.drivers;
    if (pointers.history) next.history = pointers.history;
    if (pointers.previousHistoryBlob !== undefined) next.previousHistoryBlob = pointers.previousHistoryBlob;
    if (pointers.drivers) next.drivers = pointers.drivers;
    const reason = staleReason(base, moved);
    if (reason !== undefined) {
      next.stale = true;
      next.staleReason = reason;
      next.staleSince = base.stale && base.staleSince !== undefined ? base.staleSince : now.toISOString();
    }
    return next;
  });
}
