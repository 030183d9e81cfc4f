// The local host first: importing it installs the @azure/functions-core hook the app modules register with.
import { startLocalHost, type LocalHost } from './local-host.js';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../../core/composition.js';
import { INGEST_EVENTS, loadConfig } from '../../core/config.js';
import { createRuntime, useRuntime } from '../../core/runtime.js';
import { startAzurite, type AzuriteInstance } from './azurite.js';

const INGEST_MODULE = path.resolve(__dirname, '../../functions/ingest-sales.ts');

export interface IngestHost {
  readonly azurite: AzuriteInstance;
  readonly host: LocalHost;
  /** The dependencies of the runtime the host's functions run on. */
  readonly deps: AppDeps;
  /** Puts a file under uploads/ and has the host's blob trigger ingest it before returning. */
  upload(name: string, content: string | Buffer): Promise<void>;
}

export interface IngestHostOptions {
  taskHub: string;
  /** App settings besides the storage connection; the functions see only these, not process.env. */
  settings?: Record<string, string>;
  /** The function modules to load; the queue-triggered ingestion unless given. */
  modules?: string[];
}

/**
 * Azurite and the local host running the upload ingestion, for the tests of the enclosing describe: started
 * before them, stopped after. Uploads are picked up only when `upload` polls, so each test sees its own.
 */
export function useIngestHost(options: IngestHostOptions): IngestHost {
  let started: { azurite: AzuriteInstance; host?: LocalHost; deps?: AppDeps } | undefined;
  beforeAll(async () => {
    const azurite = await startAzurite();
    started = { azurite };
    const runtime = createRuntime(loadConfig({ AzureWebJobsStorage: azurite.connectionString, ...options.settings }));
    useRuntime(runtime);
    started.deps = await runtime.deps();
    started.host = await startLocalHost({ port: 0, storageConnectionString: azurite.connectionString, modules: options.modules ?? [INGEST_MODULE], taskHub: options.taskHub, blobPollIntervalMs: 60_000, blobEvents: [INGEST_EVENTS], log: () => undefined });
  }, 60_000);
  afterAll(async () => {
    await started?.host?.stop();
    await started?.azurite.stop();
  });
  const part = <K extends 'azurite' | 'host' | 'deps'>(name: K): NonNullable<NonNullable<typeof started>[K]> => {
    const value = started?.[name];
    if (!value) throw new Error(`the ingest host's ${name} is used before beforeAll started it`);
    return value;
  };
  return {
    get azurite() { return part('azurite'); },
    get host() { return part('host'); },
    get deps() { return part('deps'); },
    async upload(name, content) {
      await part('deps').storage.clients.container(INGEST_EVENTS.container).getBlockBlobClient(name).uploadData(Buffer.from(content));
      await part('host').pollBlobs();
    },
  };
}
