import type { ItemMaster } from '../domain/item-master.js';

/**
 * The chain's item master (pack sizes per item): one table, replaced whole by each accepted upload under
 * `uploads/items/`. The API only reads it.
 */
export interface ItemMasterRepository {
  /** Replaces the stored master in one write: readers see the old master or the new one, never a mix. */
  write(master: ItemMaster): Promise<void>;
  /** The stored master, validated; undefined when none was ever uploaded. */
  read(): Promise<ItemMaster | undefined>;
}
