import type { StoreAttributeTable } from '../../engine/index.js';

/**
 * The chain's store attributes (size, type, region, opening date…): one table for every store, replaced
 * whole by each accepted upload. Trainers only read it.
 */
export interface StoreAttributesRepository {
  /** Replaces the stored table in one write: readers see the old table or the new one, never a mix. */
  write(table: StoreAttributeTable): Promise<void>;
  /** The stored table, validated; undefined when none was ever uploaded. */
  read(): Promise<StoreAttributeTable | undefined>;
}
