import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, RestError as BlobRestError, type ContainerClient } from '@azure/storage-blob';
import type { StorageConfig } from '../../config.js';

export interface StorageClients {
  table(name: string): TableClient;
  container(name: string): ContainerClient;
}

/**
 * SDK clients for the configured account: a connection string (Azurite, or keys where a platform needs
 * them) or managed identity through DefaultAzureCredential. Azurite speaks plain http, which the Tables SDK
 * refuses unless told otherwise.
 */
export function createStorageClients(config: StorageConfig): StorageClients {
  const tableOptions: TableServiceClientOptions = { allowInsecureConnection: true };
  if (config.kind === 'connectionString') {
    const blobService = BlobServiceClient.fromConnectionString(config.connectionString);
    return {
      table: (name) => TableClient.fromConnectionString(config.connectionString, name, tableOptions),
      container: (name) => blobService.getContainerClient(name),
    };
  }
  const credential = lazyDefaultCredential(config.managedIdentityClientId);
  const blobService = new BlobServiceClient(config.blobServiceUri, credential);
  const insecure = config.tableServiceUri.startsWith('http:');
  return {
    table: (name) => {
      const table = new TableClient(config.tableServiceUri, name, credential, insecure ? tableOptions : {});
      deployedTables.add(table);
      return table;
    },
    container: (name) => blobService.getContainerClient(name),
  };
}

/**
 * Tables reached with a credential (a managed identity in Azure). Bicep creates every table
 * (storage.bicep), and each identity's Table Data role is scoped to single tables, which cannot create
 * one (creating is an account-level operation), so the app never tries: only connection-string clients
 * (Azurite, a developer's account) create tables on first use.
 */
const deployedTables = new WeakSet<TableClient>();

/**
 * DefaultAzureCredential, loaded on first token request: @azure/identity costs ~0.6 s to load, which every
 * trainer pod and CLI call would pay even when a connection string (Azurite) is configured.
 */
function lazyDefaultCredential(managedIdentityClientId: string | undefined): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    getToken: async (scopes, options) => {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential(managedIdentityClientId ? { managedIdentityClientId } : {}));
      return (await credential).getToken(scopes, options);
    },
  };
}

export function statusOf(error: unknown): number | undefined {
  if (error instanceof BlobRestError) return error.statusCode;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isStatus(error: unknown, ...codes: number[]): boolean {
  const status = statusOf(error);
  return status !== undefined && codes.includes(status);
}

/**
 * Creates a table the app makes on first use (not at start-up), once per client: an existing table is
 * fine; on another failure `forget` lets the next caller try again. Nothing to do for a table reached with
 * a credential: the deployment created it.
 */
export function tableOnFirstUse(table: TableClient, forget: () => void): Promise<void> {
  if (deployedTables.has(table)) return Promise.resolve();
  return table.createTable().then(
    () => undefined,
    (error: unknown) => {
      forget();
      if (!isStatus(error, 409)) throw error;
    },
  );
}
