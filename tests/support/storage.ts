import { afterAll, beforeAll } from 'vitest';
import { createAzureStorage, encodeKey, ensureStorage, type AzureStorage } from '../../core/adapters/azure/index.js';
import { loadConfig, type AppConfig } from '../../core/config.js';
import type { UploadSource } from '../../core/ports/index.js';
import { startAzurite, type AzuriteInstance } from './azurite.js';

export interface TestStorage {
  azurite: AzuriteInstance;
  config: AppConfig;
  storage: AzureStorage;
  /** Environment for child processes (trainer, CLI) pointing at this Azurite. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** A real Azurite on free ports with Foreact's tables and containers created. */
export async function startTestStorage(settings: Record<string, string> = {}): Promise<TestStorage> {
  const azurite = await startAzurite();
  const env: NodeJS.ProcessEnv = { ...process.env, AzureWebJobsStorage: azurite.connectionString, ...settings };
  const config = loadConfig(env);
  await ensureStorage(config);
  return { azurite, config, storage: createAzureStorage(config), env, stop: () => azurite.stop() };
}

/**
 * One Azurite for a test file: started before its tests, stopped after them. Call it at the top of the file;
 * the returned object reads through to the running instance, so tests use it as they would a TestStorage.
 */
export function useTestStorage(settings: Record<string, string> = {}): TestStorage {
  let started: TestStorage | undefined;
  beforeAll(async () => {
    started = await startTestStorage(settings);
  });
  afterAll(async () => {
    await started?.stop();
  });
  const running = (): TestStorage => {
    if (!started) throw new Error('test storage is used before beforeAll started it');
    return started;
  };
  return {
    get azurite() { return running().azurite; },
    get config() { return running().config; },
    get storage() { return running().storage; },
    get env() { return running().env; },
    stop: () => running().stop(),
  };
}

/** An upload as ingestion reads it: one chunk with the given content. */
export const uploadSource = (name: string, content: string | Buffer): UploadSource => ({ name, open: () => [Buffer.from(content)] });

/** What a trainer pod may do (roles.bicep: trainerTables): merge any columns into a store's row of `stores`. */
export async function trainerWrites(t: TestStorage, store: string, columns: Record<string, string>): Promise<void> {
  await t.storage.clients.table(t.config.tables.stores).upsertEntity({ partitionKey: 'store', rowKey: encodeKey(store), ...columns }, 'Merge');
}
