import { createAzureStorage, ensureStorage, type AzureStorage } from '../../core/adapters/azure/index.js';
import { loadConfig, type AppConfig } from '../../core/config.js';
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
