import type { Override } from '../domain/overrides.js';

/**
 * One change to a store's overrides, as the audit log keeps it: who, when, what (the override before and
 * after), why (the note), and the affected days' numbers of the run current at the time, before and after.
 */
export interface OverrideAuditEntry {
  /** The entry's own id; sorts in time order (newest last) and never repeats. */
  id: string;
  /** The override it is about. */
  override: string;
  action: 'create' | 'edit' | 'delete';
  at: string;
  by: string;
  note: string;
  before: Override | null;
  after: Override | null;
  /**
   * The affected days (`from`–`to`, clipped to the run current at the time) summed over the affected items
   * (the whole store for a store-wide override): the adjusted numbers before and after the change, and the
   * model's. Empty when no forecast covered the days.
   */
  numbers: { before: number[]; after: number[]; model?: number[]; firstDate?: string; runId?: string };
  /** The affected range (the union of before and after for an edit) and items (absent: the whole store). */
  from: string;
  to: string;
  items?: string[];
}

/**
 * A store's overrides and their append-only audit log. Every change writes the override and its audit entry
 * in one operation (both or neither); audit entries are only ever created, never replaced or deleted.
 */
export interface OverrideRepository {
  /** The store's live overrides (not deleted), expired ones included: the caller knows the forecast's first day. */
  inForce(store: string): Promise<Override[]>;
  get(store: string, id: string): Promise<Override | undefined>;
  /** Every audit entry of the store, oldest first. */
  history(store: string): Promise<OverrideAuditEntry[]>;
  /** ConcurrencyConflict when the id exists. */
  create(override: Override, entry: OverrideAuditEntry): Promise<void>;
  /** Replaces the override only if it is still at `expectedVersion` and unchanged since read; ConcurrencyConflict otherwise, NotFound when gone. */
  edit(override: Override, expectedVersion: number, entry: OverrideAuditEntry): Promise<void>;
  /** Deletes the override only if still at `expectedVersion`; ConcurrencyConflict otherwise, NotFound when gone. */
  remove(store: string, id: string, expectedVersion: number, entry: OverrideAuditEntry): Promise<void>;
}
