// registry first: it installs the @azure/functions-core hook before @azure/functions is loaded.
import { installCoreApiHook, loadModules, runHooks, type Registration } from './registry.js';
import type { InvocationContext } from '@azure/functions';
import { DurableEngine, type InstanceStatus } from './durable.js';
import { defaultLogger, newInvocationContext, type Logger } from './invocation.js';
import { createQueueRuntime, type BlobEventRoute } from './queues.js';
import { connectionFor, hostSettings, publishAppSettings, type AppSettings } from './settings.js';
import { adminApiHandler } from './http/admin.js';
import { durableApiHandler, durableClientBinding } from './http/durable-api.js';
import { createHttpFront } from './http/front.js';
import { httpRoutes } from './http/routes.js';
import { httpTriggerHandler } from './http/triggers.js';
import { BlobTriggers } from './triggers/blobs.js';
import { TimerTriggers } from './triggers/timers.js';

export type { LogLevel, Logger } from './invocation.js';
export { optionsFromEnvironment, type AppSettings } from './settings.js';

export interface LocalHostOptions {
  /**
   * The app settings: where `%NAME%` and binding `connection` names are resolved, and where the host
   * publishes `AzureWebJobsStorage` and `WEBSITE_HOSTNAME` while it runs (restored on stop). The app and
   * durable-functions read their settings from the environment, so callers pass `process.env`
   * (`optionsFromEnvironment(process.env)` also takes the keys and the activity cap from it).
   */
  appSettings: AppSettings;
  /** Port for the HTTP triggers, the Durable HTTP API and the admin API. Default 7071; 0 picks one. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  hostname?: string;
  /** Storage for the Durable task hub, blob triggers and receipts; also published as AzureWebJobsStorage. */
  storageConnectionString: string;
  /** App modules to load (compiled `.js`; `.ts` works under vitest). */
  modules: string[];
  /** host.json to read (task hub name, routePrefix, activity concurrency). Default ./host.json if present. */
  hostJsonPath?: string;
  taskHub?: string;
  /** Key for `authLevel: 'function'` routes (`?code=` or `x-functions-key`). Default random. */
  functionKey?: string;
  /** Key for `authLevel: 'admin'` routes and /admin. Default random. */
  masterKey?: string;
  /** Upper bound on concurrently running activities. Default host.json, else 8. */
  maxConcurrentActivities?: number;
  /** How often blob-trigger containers are listed. Default 2000 ms. */
  blobPollIntervalMs?: number;
  /** Containers whose new blobs become Event Grid BlobCreated events on a queue (what the deployment subscribes). */
  blobEvents?: BlobEventRoute[];
  /** Run timers on their schedules (tests usually fire them by hand instead). Default true. */
  enableTimers?: boolean;
  log?: Logger;
}

export interface LocalHost {
  url: string;
  port: number;
  keys: { functionKey: string; masterKey: string };
  functions: { name: string; trigger: string }[];
  stop(): Promise<void>;
  /** Fires a timer (or any non-HTTP function with `input`) now and resolves when its handler returns. */
  fireTimer(name: string): Promise<void>;
  invoke(name: string, input?: unknown): Promise<unknown>;
  /**
   * Lists every blob-trigger container, announces new blobs of `blobEvents` on their queues, and drains
   * the trigger queues once; resolves when the triggered handlers return.
   */
  pollBlobs(): Promise<void>;
  durable: {
    startNew(name: string, opts?: { instanceId?: string; input?: unknown }): Promise<{ id: string; created: boolean }>;
    getStatus(instanceId: string, opts?: { showHistory?: boolean; showHistoryOutput?: boolean }): Promise<InstanceStatus | undefined>;
    waitForInstance(instanceId: string, timeoutMs?: number): Promise<InstanceStatus>;
    raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void>;
    terminate(instanceId: string, reason?: string): Promise<void>;
    purge(instanceId: string): Promise<number>;
    list(): Promise<InstanceStatus[]>;
  };
}

/**
 * Runs the app's function registrations on this machine: HTTP triggers, timers, blob and queue triggers
 * and Durable Functions, with the Durable extension's HTTP API so `df.getClient()` works unchanged.
 * docs/local-host.md shows the parts wired here.
 */
export async function startLocalHost(opts: LocalHostOptions): Promise<LocalHost> {
  installCoreApiHook();
  const log = opts.log ?? defaultLogger;
  const settings = hostSettings(opts);
  const { taskHub, routePrefix } = settings;
  const restoreStorageSetting = publishAppSettings(opts.appSettings, { AzureWebJobsStorage: opts.storageConnectionString });

  const registrations = await loadModules(opts.modules);
  const byName = new Map(registrations.map((r) => [r.name.toLowerCase(), r]));
  const ofType = (type: string): Registration[] => registrations.filter((r) => r.trigger.type === type);

  let baseUrl = '';
  const clientBinding = (): ReturnType<typeof durableClientBinding> => durableClientBinding(baseUrl, taskHub);
  const decorate = (reg: Registration, ctx: InvocationContext): void => {
    for (const input of reg.extraInputs) {
      if (input.type === 'durableClient' || input.type === 'orchestrationClient') ctx.extraInputs.set(input.name ?? '', clientBinding());
    }
  };
  const newContext = (reg: Registration, triggerMetadata?: Record<string, unknown>): InvocationContext => newInvocationContext(reg, { log, decorate }, { triggerMetadata, withReturnBinding: true });
  const invokeNonHttp = async (reg: Registration, input: unknown, triggerMetadata?: Record<string, unknown>): Promise<unknown> => {
    const ctx = newContext(reg, triggerMetadata);
    try {
      return await reg.handler(input, ctx);
    } catch (err) {
      log('error', `Function ${reg.name} (invocation ${ctx.invocationId}) threw`, err);
      throw err;
    }
  };

  const durable = new DurableEngine({ connectionString: opts.storageConnectionString, taskHub, registrations, maxConcurrentActivities: settings.maxConcurrentActivities, log, decorateContext: decorate });
  const routes = httpRoutes(registrations);
  const front = createHttpFront({
    routePrefix,
    functions: httpTriggerHandler({ routes, keys: settings, newContext, log }),
    durableApi: durableApiHandler(durable, clientBinding),
    admin: adminApiHandler({ masterKey: settings.masterKey, functionsByName: byName, invoke: invokeNonHttp }),
    log,
  });
  const timers = new TimerTriggers(opts.appSettings, invokeNonHttp);
  const connectionOf = (setting: unknown): string => connectionFor(opts.appSettings, setting, opts.storageConnectionString);
  const blobs = new BlobTriggers({ registrations: ofType('blobTrigger'), storageConnectionString: opts.storageConnectionString, taskHub, appSettings: opts.appSettings, connectionOf, invoke: invokeNonHttp, log });
  const queueRegs = ofType('queueTrigger');
  const queues = createQueueRuntime(queueRegs, opts.blobEvents ?? [], {
    connectionString: opts.storageConnectionString,
    messageEncoding: settings.queueMessageEncoding,
    maxDequeueCount: settings.queueMaxDequeueCount,
    connectionOf,
    invoke: invokeNonHttp,
    log,
    taskHub,
  });
  const polling = new StoragePolling(async () => {
    await blobs.poll();
    await queues.poll();
  }, log);

  // ---- start ---------------------------------------------------------------------------------------
  const listening = await front.listen(opts.port ?? 7071, opts.hostname ?? '127.0.0.1');
  baseUrl = listening.baseUrl;
  // durable-functions rewrites client URLs to http://localhost:7071 unless WEBSITE_HOSTNAME is set.
  const restoreHostName = publishAppSettings(opts.appSettings, { WEBSITE_HOSTNAME: `127.0.0.1:${listening.port}` });

  await durable.start();
  await runHooks('appStart', { hookData: {}, appHookData: {}, functionAppDirectory: process.cwd() });
  for (const reg of ofType('timerTrigger')) {
    if (opts.enableTimers !== false) timers.arm(reg);
    if (reg.trigger.runOnStartup === true) void timers.fire(reg).catch(() => undefined);
  }
  if (blobs.count > 0 || queueRegs.length > 0 || (opts.blobEvents?.length ?? 0) > 0) polling.start(opts.blobPollIntervalMs ?? 2000);
  log('info', `Functions host listening on ${baseUrl} (${registrations.length} functions, task hub ${taskHub})`);
  for (const r of routes) log('info', `  ${r.reg.name}: [${r.methods?.join(',') ?? 'ALL'}] ${baseUrl}/${routePrefix ? routePrefix + '/' : ''}${typeof r.reg.trigger.route === 'string' && r.reg.trigger.route ? r.reg.trigger.route : r.reg.name}`);

  const findNonHttp = (name: string): Registration => {
    const reg = byName.get(name.toLowerCase());
    if (!reg) throw new Error(`No function named "${name}"`);
    if (reg.trigger.type === 'httpTrigger') throw new Error(`"${name}" is an HTTP function; call it over HTTP`);
    return reg;
  };

  let stopped = false;
  return {
    url: baseUrl,
    port: listening.port,
    keys: { functionKey: settings.functionKey, masterKey: settings.masterKey },
    functions: registrations.map((r) => ({ name: r.name, trigger: r.trigger.type })),
    async stop() {
      if (stopped) return;
      stopped = true;
      timers.stop();
      await polling.stop();
      await durable.stop();
      await front.close();
      await runHooks('appTerminate', { hookData: {}, appHookData: {} });
      restoreHostName();
      restoreStorageSetting();
    },
    async fireTimer(name) {
      const reg = findNonHttp(name);
      if (reg.trigger.type === 'timerTrigger') await timers.fire(reg);
      else await invokeNonHttp(reg, undefined);
    },
    invoke: (name, input) => invokeNonHttp(findNonHttp(name), input),
    pollBlobs: () => polling.once(),
    durable: {
      startNew: (name, o) => durable.startNew(name, o?.instanceId, o?.input),
      getStatus: (id, o) => durable.getStatus(id, o),
      waitForInstance: (id, t) => durable.waitForInstance(id, t),
      async raiseEvent(id, eventName, data) {
        const r = await durable.raiseEvent(id, eventName, data);
        if (r !== 'ok') throw new Error(`raiseEvent ${id}: ${r}`);
      },
      async terminate(id, reason = '') {
        const r = await durable.terminate(id, reason);
        if (r !== 'ok') throw new Error(`terminate ${id}: ${r}`);
      },
      purge: (id) => durable.purge(id),
      list: () => durable.listInstances(),
    },
  };
}

/** Blob and queue polling: one pass at a time, every interval, and on demand (`pollBlobs`). */
class StoragePolling {
  private loop: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  once(): Promise<void> {
    this.current = this.current.then(this.pass).catch((err: unknown) => this.log('error', 'Blob/queue polling failed', err));
    return this.current;
  }

  start(intervalMs: number): void {
    const next = (): void => {
      this.loop = setTimeout(() => {
        if (this.stopped) return;
        void this.once().finally(() => {
          if (!this.stopped) next();
        });
      }, intervalMs);
    };
    void this.once().finally(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.loop) clearTimeout(this.loop);
    await this.current;
  }
}
