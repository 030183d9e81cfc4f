import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The app settings the app reads: on the real host they are the worker's environment variables, so a
 * caller passes `process.env`. The host resolves `%NAME%` and binding `connection` names in them, and
 * publishes the settings the real host provides (`AzureWebJobsStorage`, `WEBSITE_HOSTNAME`) there while
 * it runs, because the app and durable-functions read them there.
 */
export type AppSettings = Record<string, string | undefined>;

interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: { hubName?: string; maxConcurrentActivityFunctions?: number };
    queues?: { messageEncoding?: string; maxDequeueCount?: number };
  };
}

/** What the host runs with, each value from its option, else host.json, else the default. */
export interface HostSettings {
  taskHub: string;
  routePrefix: string;
  functionKey: string;
  masterKey: string;
  maxConcurrentActivities: number;
  queueMessageEncoding: 'base64' | 'none';
  queueMaxDequeueCount: number;
}

export interface HostSettingOptions {
  hostJsonPath?: string;
  taskHub?: string;
  functionKey?: string;
  masterKey?: string;
  maxConcurrentActivities?: number;
}

const randomKey = (): string => randomBytes(24).toString('base64url');

export function hostSettings(opts: HostSettingOptions): HostSettings {
  const hostJsonPath = opts.hostJsonPath ?? path.resolve('host.json');
  const hostJson: HostJson = existsSync(hostJsonPath) ? (JSON.parse(readFileSync(hostJsonPath, 'utf8')) as HostJson) : {};
  const ext = hostJson.extensions;
  return {
    taskHub: opts.taskHub ?? ext?.durableTask?.hubName ?? 'TestHubName',
    routePrefix: (ext?.http?.routePrefix ?? 'api').replace(/^\/|\/$/g, ''),
    functionKey: opts.functionKey ?? randomKey(),
    masterKey: opts.masterKey ?? randomKey(),
    maxConcurrentActivities: opts.maxConcurrentActivities ?? ext?.durableTask?.maxConcurrentActivityFunctions ?? 8,
    queueMessageEncoding: ext?.queues?.messageEncoding === 'none' ? 'none' : 'base64',
    queueMaxDequeueCount: ext?.queues?.maxDequeueCount ?? 5,
  };
}

/**
 * The host options a process takes from its environment (`npm start`, the CLI, tests, benchmarks): the
 * environment as the app settings, the keys (FOREACT_FUNCTION_KEY, FOREACT_MASTER_KEY) and the activity
 * cap (FOREACT_MAX_CONCURRENT_ACTIVITIES). Options given after it win.
 */
export function optionsFromEnvironment(env: AppSettings): { appSettings: AppSettings; functionKey?: string; masterKey?: string; maxConcurrentActivities?: number } {
  const concurrency = Number(env.FOREACT_MAX_CONCURRENT_ACTIVITIES);
  return {
    appSettings: env,
    ...(env.FOREACT_FUNCTION_KEY !== undefined ? { functionKey: env.FOREACT_FUNCTION_KEY } : {}),
    ...(env.FOREACT_MASTER_KEY !== undefined ? { masterKey: env.FOREACT_MASTER_KEY } : {}),
    ...(Number.isInteger(concurrency) && concurrency > 0 ? { maxConcurrentActivities: concurrency } : {}),
  };
}

/** Sets the named app settings until the returned function restores what was there, so hosts in one process do not leak. */
export function publishAppSettings(appSettings: AppSettings, values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, appSettings[k]]));
  Object.assign(appSettings, values);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete appSettings[k];
      else appSettings[k] = v;
    }
  };
}

/** A binding's `connection` setting as a connection string (default AzureWebJobsStorage, as the real host). */
export function connectionFor(appSettings: AppSettings, setting: unknown, fallback: string): string {
  const name = typeof setting === 'string' && setting ? setting : 'AzureWebJobsStorage';
  return appSettings[name] ?? appSettings[`AzureWebJobs${name}`] ?? fallback;
}
