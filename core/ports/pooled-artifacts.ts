import type { PooledArtifact } from '../../engine/index.js';

/** One pooled artifact the morning run's pooled step wrote, and what it learned from. */
export interface PooledVersion {
  /** The morning run's id: the artifact is `pooled/<version>.json`. */
  version: string;
  blob: string;
  createdAt: string;
  /** The pooled job's own time (read and fit and write). */
  durationMs: number;
  stores: number;
  series: number;
  rows: number;
  groups: number;
  /** ISO day of the latest sales the artifact saw. */
  lastDay: string;
}

/**
 * Versioned pooled artifacts (what stores share, learned across the chain before the morning fan-out) and
 * the pointer to the latest one. Writers write the blob, then its version record, then the pointer; readers
 * follow the pointer, so they never meet a half-written artifact.
 */
export interface PooledArtifactRepository {
  /** Writes (or, for a retried job of the same run, rewrites) the artifact of `version`; no pointer names it yet. */
  write(version: string, artifact: PooledArtifact): Promise<string>;
  /** The artifact of `version`, validated (`parsePooledArtifact`). */
  read(version: string): Promise<PooledArtifact>;
  /** Records a written version (after its blob). */
  record(entry: PooledVersion): Promise<void>;
  get(version: string): Promise<PooledVersion | undefined>;
  /** Points readers of "the latest" at `version` (after its record). */
  setLatest(version: string): Promise<void>;
  /** The version the pointer names, as stored: callers validate it before it names a blob. */
  latest(): Promise<string | undefined>;
  /** Every recorded version (for retention). */
  list(): Promise<PooledVersion[]>;
  /** Removes a version's record, then its blob (never the one the pointer names: callers check). */
  delete(version: string): Promise<void>;
}

/**
 * Which pooled artifact a store's training reads: the one its morning run's pooled step wrote (`{ version }`),
 * the latest one (a refresh, a check run; also what an absent choice means), or none (the run's pooled step
 * failed: the engine fits each store alone rather than on another day's artifact).
 */
export type PooledUse = { version: string } | 'latest' | 'none';
