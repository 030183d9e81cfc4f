import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Azurite's well-known development account. These values are public (documented by Microsoft and
 * baked into every Azurite build); they are not secrets.
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Folder for persistent data. Without it Azurite keeps everything in memory. */
  location?: string;
  /** Fixed ports (e.g. the classic 10000/10001/10002 for `npm start`); 0 or absent picks free ones. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Milliseconds to wait for all three services to listen. */
  startTimeoutMs?: number;
}

export interface AzuriteInstance {
  connectionString: string;
  blobEndpoint: string;
  tableEndpoint: string;
  queueEndpoint: string;
  stop(): Promise<void>;
}

export function azuriteConnectionString(blobEndpoint: string, queueEndpoint: string, tableEndpoint: string): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_ACCOUNT_KEY}`,
    `BlobEndpoint=${blobEndpoint}`,
    `QueueEndpoint=${queueEndpoint}`,
    `TableEndpoint=${tableEndpoint}`,
  ].join(';') + ';';
}

function azuriteEntryPoint(): string {
  // Resolved through Node rather than a fixed relative path so the same code works from `scripts/`
  // under vitest and from `dist/scripts/` after a build.
  return require.resolve('azurite/dist/src/azurite.js');
}

/**
 * Starts Azurite (blob, queue, table) in a child process. A child process rather than Azurite's
 * in-process servers keeps its globals and loggers out of the caller and lets `stop()` be a plain kill.
 */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const args = [
    azuriteEntryPoint(),
    '--blobHost', '127.0.0.1',
    '--queueHost', '127.0.0.1',
    '--tableHost', '127.0.0.1',
    '--blobPort', String(opts.blobPort ?? 0),
    '--queuePort', String(opts.queuePort ?? 0),
    '--tablePort', String(opts.tablePort ?? 0),
    '--silent',
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
  ];
  // Azurite rejects --location together with --inMemoryPersistence.
  let cwd: string;
  if (opts.location) {
    mkdirSync(opts.location, { recursive: true });
    args.push('--location', opts.location);
    cwd = opts.location;
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', '256');
    cwd = tmpdir();
  }

  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoints: Partial<Record<'Blob' | 'Queue' | 'Table', string>> = {};
  let output = '';

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start within ${opts.startTimeoutMs ?? 20_000} ms:\n${output}`));
    }, opts.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      for (const m of output.matchAll(/Azurite (Blob|Queue|Table) service is successfully listening at (\S+)/g)) {
        endpoints[m[1] as 'Blob' | 'Queue' | 'Table'] = m[2];
      }
      if (endpoints.Blob && endpoints.Queue && endpoints.Table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited early (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  // Keep the pipes drained so Azurite never blocks on a full stdout buffer.
  child.stdout?.resume();
  child.stderr?.resume();

  const blobEndpoint = `${endpoints.Blob}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `${endpoints.Queue}/${AZURITE_ACCOUNT}`;
  const tableEndpoint = `${endpoints.Table}/${AZURITE_ACCOUNT}`;
  return {
    connectionString: azuriteConnectionString(blobEndpoint, queueEndpoint, tableEndpoint),
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const hardKill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(hardKill);
      resolve();
    });
    // SIGTERM lets Azurite flush its loki databases when it persists to disk.
    child.kill('SIGTERM');
  });
}

/** Resolves a data folder for `npm start` (inside the repo, git-ignored as `.azurite/`). */
export function defaultAzuriteLocation(repoRoot: string): string {
  return path.join(repoRoot, '.azurite');
}
