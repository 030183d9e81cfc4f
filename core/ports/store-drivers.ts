import type { StoreDrivers } from '../../engine/index.js';

/** A store's drivers (history and the planned future), stored as immutable versions like its sales. */
export interface StoreDriversRepository {
  /** Writes a new version (never overwrites) and returns where it is. */
  write(store: string, drivers: StoreDrivers): Promise<{ blob: string; version: string }>;
  read(blob: string): Promise<StoreDrivers>;
  delete(blob: string): Promise<void>;
}
