import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite, type AzuriteInstance } from '../azurite.js';
import { appModules, findRepoRoot } from './app-files.js';
import { optionsFromEnvironment, startLocalHost } from './host.js';
import { INGEST_EVENTS } from '../../core/config.js';

const USAGE = `Usage: node dist/scripts/local-host/main.js [options]
  --port <n>             HTTP port (default FOREACT_API_PORT or 7071)
  --storage <conn>       Storage connection string (default AzureWebJobsStorage; otherwise Azurite is
                         started with its data in <repo>/.azurite)
  --azurite-location <d> Folder for the Azurite started here (default <repo>/.azurite)
  --no-timers            Do not run timers on their schedules (fire them via POST /admin/functions/<name>)
  --root <dir>           Repository root (default: nearest package.json above the working directory)
  --module <file>        Load this module instead of what package.json main names (repeatable)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      storage: { type: 'string' },
      'azurite-location': { type: 'string' },
      'no-timers': { type: 'boolean', default: false },
      root: { type: 'string' },
      module: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const root = values.root ? path.resolve(values.root) : findRepoRoot(process.cwd());
  const modules = values.module?.map((m) => path.resolve(m)) ?? appModules(root);
  if (modules.length === 0) throw new Error(`No app modules found under ${root} (did you run "npm run build"?)`);
  const port = Number(values.port ?? process.env.FOREACT_API_PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port ${values.port}`);

  let azurite: AzuriteInstance | undefined;
  let storage = values.storage ?? process.env.AzureWebJobsStorage;
  if (!storage) {
    azurite = await startAzurite({ location: values['azurite-location'] ?? path.join(root, '.azurite') });
    storage = azurite.connectionString;
    console.log(`[local-host] Azurite: blob ${azurite.blobEndpoint}, table ${azurite.tableEndpoint}`);
  }

  const host = await startLocalHost({
    // App settings, keys (FOREACT_FUNCTION_KEY, FOREACT_MASTER_KEY) and FOREACT_MAX_CONCURRENT_ACTIVITIES.
    ...optionsFromEnvironment(process.env),
    port,
    storageConnectionString: storage,
    modules,
    hostJsonPath: path.join(root, 'host.json'),
    enableTimers: !values['no-timers'],
    // What the deployment's Event Grid subscription does: uploads become BlobCreated events on a queue.
    blobEvents: [INGEST_EVENTS],
  });
  console.log(`[local-host] ready: ${host.url}/api (function key: ${host.keys.functionKey}; master key: ${host.keys.masterKey})`);

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('[local-host] stopping…');
    void host
      .stop()
      .then(() => azurite?.stop())
      .then(() => process.exit(0), (err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(`[local-host] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
