import type { AppConfig } from '../../config.js';
import type { StoragePorts } from '../../ports/index.js';
import { createStorageClients, type StorageClients } from './clients.js';
import { TableForecastRepository } from './forecast-repository.js';
import { BlobRejectedRows, TableIngestionLedger } from './ingestion.js';

export { blobUpload } from './ingestion.js';
import { AzureModelRegistry } from './model-registry.js';
import { TableRunRepository } from './run-repository.js';
import { BlobSalesHistory } from './sales-history.js';
import { BlobStoreDrivers } from './store-drivers.js';
import { BlobStoreAttributes } from './store-attributes.js';
import { BlobItemMaster } from './item-master.js';
import { AzurePooledArtifacts } from './pooled-artifacts.js';
import { TableRealisedAccuracy } from './realised-accuracy.js';
import { TableOverrideRepository } from './overrides-table.js';
import { TableStoreCatalog } from './store-catalog.js';
import { TableStorePointers } from './store-pointers.js';

export { createStorageClients, type StorageClients } from './clients.js';
export { encodeKey, decodeKey } from './keys.js';

export interface AzureStorage extends StoragePorts {
  clients: StorageClients;
}

/**
 * Creates the tables and containers the app uses (idempotent; cheap enough for every cold start). Against a
 * connection string only: with a managed identity they are the deployment's (Bicep), and roles scoped to
 * single tables and containers cannot create any.
 */
export async function ensureStorage(config: AppConfig, clients: StorageClients = createStorageClients(config.storage)): Promise<void> {
  if (config.storage.kind === 'identity') return;
  await Promise.all([
    ...(Object.values(config.tables) as string[]).map((t) => clients.table(t).createTable()),
    ...(Object.values(config.containers) as string[]).map((c) => clients.container(c).createIfNotExists()),
  ]);
}

/** The storage ports over Azure Tables and Blobs (or Azurite). */
export function createAzureStorage(config: AppConfig): AzureStorage {
  const clients = createStorageClients(config.storage);
  const { tables, containers } = config;
  return {
    clients,
    stores: new TableStoreCatalog(clients.table(tables.stores)),
    // In the ingestion ledger's table, which trainers cannot write; built without I/O, so a trainer pod
    // (which never ingests) never touches it.
    pointers: new TableStorePointers(clients.table(tables.ingestions), clients.table(tables.stores)),
    history: new BlobSalesHistory(clients.container(containers.sales)),
    drivers: new BlobStoreDrivers(clients.container(containers.drivers)),
    attributes: new BlobStoreAttributes(clients.container(containers.drivers)),
    items: new BlobItemMaster(clients.container(containers.drivers)),
    models: new AzureModelRegistry(clients.table(tables.models), clients.container(containers.models)),
    pooled: new AzurePooledArtifacts(clients.table(tables.models), clients.container(containers.models)),
    forecasts: new TableForecastRepository(clients.table(tables.forecasts)),
    runs: new TableRunRepository(clients.table(tables.runs)),
    ingestions: new TableIngestionLedger(clients.table(tables.ingestions)),
    rejected: new BlobRejectedRows(clients.container(containers.rejected)),
    realised: new TableRealisedAccuracy(clients.table(tables.realised)),
    overrides: new TableOverrideRepository(clients.table(tables.overrides)),
  };
}

const opened = new Map<AppConfig, Promise<AzureStorage>>();

/**
 * Storage for a process: created once per config. Against a connection string (Azurite, a developer's
 * account) the tables and containers are ensured on first use; with a managed identity they are the
 * deployment's (bicep creates them), and each identity holds rights only on the ones it uses, so
 * creating the rest would be refused.
 */
export function openStorage(config: AppConfig): Promise<AzureStorage> {
  let storage = opened.get(config);
  if (storage === undefined) {
    const created = createAzureStorage(config);
    storage = config.storage.kind === 'identity' ? Promise.resolve(created) : ensureStorage(config, created.clients).then(() => created);
    // A failed start-up (storage unreachable) must not be cached for the life of the process.
    storage.catch(() => opened.delete(config));
    opened.set(config, storage);
  }
  return storage;
}
