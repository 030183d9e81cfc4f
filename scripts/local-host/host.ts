// registry first: it installs the @azure/functions-core hook before @azure/functions is loaded.
import { installCoreApiHook, loadModules, runHooks, type Registration } from './registry.js';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { DurableEngine, NotFoundError, type InstanceStatus } from './durable.js';
import { parseSchedule, resolveSetting } from './ncrontab.js';
import { createQueueRuntime, type BlobEventRoute } from './queues.js';

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, err?: unknown) => void;

export interface LocalHostOptions {
  /** Port for the HTTP triggers, the Durable HTTP API and the admin API. Default 7071; 0 picks one. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  hostname?: string;
  /** Storage for the Durable task hub, blob triggers and receipts; also exposed as AzureWebJobsStorage. */
  storageConnectionString: string;
  /** App modules to load (compiled `.js`; `.ts` works under vitest). */
  modules: string[];
  /** host.json to read (task hub name, routePrefix, activity concurrency). Default ./host.json if present. */
  hostJsonPath?: string;
  taskHub?: string;
  /** Key for `authLevel: 'function'` routes (`?code=` or `x-functions-key`). Default FOREACT_FUNCTION_KEY, else random. */
  functionKey?: string;
  /** Key for `authLevel: 'admin'` routes and /admin. Default FOREACT_MASTER_KEY, else random. */
  masterKey?: string;
  /** Upper bound on concurrently running activities. Default FOREACT_MAX_CONCURRENT_ACTIVITIES, host.json, else 8. */
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

interface HostJson {
  extensions?: { http?: { routePrefix?: string }; durableTask?: { hubName?: string; maxConcurrentActivityFunctions?: number }; queues?: { messageEncoding?: string; maxDequeueCount?: number } };
}

interface RouteSegment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
}

const defaultLogger: Logger = (level, message, err) => {
  const line = `[local-host] ${message}`;
  if (level === 'error') console.error(line, err ?? '');
  else if (level === 'warn') console.warn(line, err instanceof Error ? err.message : err ?? '');
  else console.log(line);
};

function compileRoute(route: string): RouteSegment[] {
  return route
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^\{(\*)?([A-Za-z0-9_]+)(?::[^}?]*)?(\?)?\}$/.exec(s);
      if (!m) return { literal: s.toLowerCase() };
      return { param: m[2], catchAll: m[1] === '*', optional: m[3] === '?' };
    });
}

function matchRoute(segments: RouteSegment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of segments) {
    const part = parts[i];
    if (seg.catchAll) {
      params[seg.param ?? ''] = parts.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    if (part === undefined) {
      if (seg.optional) continue;
      return undefined;
    }
    if (seg.literal !== undefined) {
      if (decodeURIComponent(part).toLowerCase() !== seg.literal) return undefined;
    } else {
      params[seg.param ?? ''] = decodeURIComponent(part);
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function safeEqual(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function isHttpResponseLike(v: unknown): v is HttpResponse {
  return v instanceof HttpResponse || (typeof v === 'object' && v !== null && typeof (v as HttpResponse).arrayBuffer === 'function' && 'headers' in v && 'status' in v);
}

/**
 * Runs the app's function registrations on this machine: HTTP triggers, timers, blob triggers and
 * Durable Functions, with the Durable extension's HTTP API so `df.getClient()` works unchanged.
 */
export async function startLocalHost(opts: LocalHostOptions): Promise<LocalHost> {
  installCoreApiHook();
  const log = opts.log ?? defaultLogger;
  const hostJsonPath = opts.hostJsonPath ?? path.resolve('host.json');
  const hostJson: HostJson = existsSync(hostJsonPath) ? (JSON.parse(readFileSync(hostJsonPath, 'utf8')) as HostJson) : {};
  const taskHub = opts.taskHub ?? hostJson.extensions?.durableTask?.hubName ?? 'TestHubName';
  const routePrefix = (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/|\/$/g, '');
  const functionKey = opts.functionKey ?? process.env.FOREACT_FUNCTION_KEY ?? randomBytes(24).toString('base64url');
  const masterKey = opts.masterKey ?? process.env.FOREACT_MASTER_KEY ?? randomBytes(24).toString('base64url');
  const envConcurrency = Number(process.env.FOREACT_MAX_CONCURRENT_ACTIVITIES);
  const maxConcurrentActivities =
    opts.maxConcurrentActivities ?? (Number.isInteger(envConcurrency) && envConcurrency > 0 ? envConcurrency : undefined) ?? hostJson.extensions?.durableTask?.maxConcurrentActivityFunctions ?? 8;

  // App settings the real host provides; restored on stop so hosts in one test process do not leak.
  const savedEnv = { AzureWebJobsStorage: process.env.AzureWebJobsStorage, WEBSITE_HOSTNAME: process.env.WEBSITE_HOSTNAME };
  process.env.AzureWebJobsStorage = opts.storageConnectionString;

  const registrations = await loadModules(opts.modules);
  const byName = new Map(registrations.map((r) => [r.name.toLowerCase(), r]));
  const httpRoutes = registrations
    .filter((r) => r.trigger.type === 'httpTrigger')
    .map((r) => ({
      reg: r,
      segments: compileRoute(typeof r.trigger.route === 'string' ? r.trigger.route : r.name),
      methods: Array.isArray(r.trigger.methods) ? (r.trigger.methods as string[]).map((m) => m.toUpperCase()) : undefined,
      authLevel: typeof r.trigger.authLevel === 'string' ? r.trigger.authLevel.toLowerCase() : 'function',
    }));

  let baseUrl = '';
  const durableBase = (): string => `${baseUrl}/runtime/webhooks/durabletask`;
  const clientData = (): Record<string, unknown> => {
    const b = durableBase();
    const q = `taskHub=${taskHub}&connection=Storage`;
    return {
      taskHubName: taskHub,
      creationUrls: {
        createNewInstancePostUri: `${b}/orchestrators/{functionName}[/{instanceId}]?${q}`,
        createAndWaitOnNewInstancePostUri: `${b}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${b}/instances/INSTANCEID?${q}`,
        sendEventPostUri: `${b}/instances/INSTANCEID/raiseEvent/{eventName}?${q}`,
        terminatePostUri: `${b}/instances/INSTANCEID/terminate?reason={text}&${q}`,
        rewindPostUri: `${b}/instances/INSTANCEID/rewind?reason={text}&${q}`,
        purgeHistoryDeleteUri: `${b}/instances/INSTANCEID?${q}`,
        restartPostUri: `${b}/instances/INSTANCEID/restart?${q}`,
        suspendPostUri: `${b}/instances/INSTANCEID/suspend?reason={text}&${q}`,
        resumePostUri: `${b}/instances/INSTANCEID/resume?reason={text}&${q}`,
      },
      baseUrl: b,
      requiredQueryStringParameters: q,
      // With rpcBaseUrl set, durable-functions 3.x sends every client call to `<rpcBaseUrl>orchestrators/…`
      // and `<rpcBaseUrl>instances/…`, as it does against the real extension's local RPC endpoint.
      rpcBaseUrl: `${b}/`,
      httpBaseUrl: b,
    };
  };
  const decorateContext = (reg: Registration, ctx: InvocationContext): void => {
    for (const input of reg.extraInputs) {
      if (input.type === 'durableClient' || input.type === 'orchestrationClient') ctx.extraInputs.set(input.name ?? '', clientData());
    }
  };

  const durable = new DurableEngine({
    connectionString: opts.storageConnectionString,
    taskHub,
    registrations,
    maxConcurrentActivities,
    log,
    decorateContext,
  });

  const makeContext = (reg: Registration, triggerMetadata?: Record<string, unknown>): InvocationContext => {
    const ctx = new InvocationContext({
      invocationId: randomUUID(),
      functionName: reg.name,
      triggerMetadata,
      options: { trigger: reg.trigger, return: reg.returnBinding as never, extraInputs: reg.extraInputs as never, extraOutputs: reg.extraOutputs as never },
      logHandler: (level, ...args) => {
        const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(' ');
        log(level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'info', `[${reg.name}] ${text}`);
      },
    });
    decorateContext(reg, ctx);
    return ctx;
  };

  // ---- HTTP -----------------------------------------------------------------------------------
  const handleFunction = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, parts: string[]): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    for (const route of httpRoutes) {
      const params = matchRoute(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.methods && !route.methods.includes(method)) continue;
      const key = url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined);
      if (route.authLevel === 'admin' && !safeEqual(key, masterKey)) return sendJson(res, 401, { error: 'Unauthorized' });
      if (route.authLevel === 'function' && !safeEqual(key, functionKey) && !safeEqual(key, masterKey)) return sendJson(res, 401, { error: 'Unauthorized' });
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const request = new HttpRequest({
        method,
        url: url.href,
        headers,
        query: Object.fromEntries(url.searchParams.entries()),
        params,
        body: body.length > 0 ? { bytes: body } : undefined,
      });
      const ctx = makeContext(route.reg, { Query: Object.fromEntries(url.searchParams.entries()), Headers: headers, ...params });
      let result: unknown;
      try {
        result = await route.reg.handler(request, ctx);
      } catch (err) {
        log('error', `Function ${route.reg.name} (invocation ${ctx.invocationId}) threw`, err);
        return sendJson(res, 500, { error: 'Internal Server Error', invocationId: ctx.invocationId });
      }
      if (result === undefined || result === null) {
        res.writeHead(204).end();
        return;
      }
      const response = isHttpResponseLike(result) ? result : new HttpResponse(result);
      const outHeaders: Record<string, string | string[]> = {};
      response.headers.forEach((v, k) => {
        outHeaders[k] = v;
      });
      const cookies = response.cookies.map((c) => {
        let s = `${c.name}=${c.value}`;
        if (c.path) s += `; Path=${c.path}`;
        if (c.domain) s += `; Domain=${c.domain}`;
        if (c.maxAge !== undefined) s += `; Max-Age=${c.maxAge}`;
        if (c.expires) s += `; Expires=${new Date(c.expires).toUTCString()}`;
        if (c.secure) s += '; Secure';
        if (c.httpOnly) s += '; HttpOnly';
        if (c.sameSite) s += `; SameSite=${c.sameSite}`;
        return s;
      });
      if (cookies.length > 0) outHeaders['set-cookie'] = cookies;
      // Streamed as the function produces it (a CSV answer is a stream), as the real host does with
      // `app.setup({ enableHttpStream: true })`; a client that goes away stops the stream.
      res.writeHead(response.status, outHeaders);
      if (response.body === null) {
        res.end();
        return;
      }
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res).catch((err: unknown) => {
        if (!res.destroyed) throw err;
      });
      return;
    }
    sendJson(res, pathMatched ? 405 : 404, { error: pathMatched ? 'Method Not Allowed' : 'Not Found' });
  };

  const handleDurableApi = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, parts: string[]): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const [kind, a, b, c] = parts.map(decodeURIComponent);
    const payloadFor = (id: string): Record<string, string> => {
      const m = clientData().managementUrls as Record<string, string>;
      const out: Record<string, string> = { id };
      for (const [k, v] of Object.entries(m)) if (k !== 'id') out[k] = v.replace('INSTANCEID', encodeURIComponent(id));
      return out;
    };
    if (kind === 'orchestrators' && a && method === 'POST') {
      const text = (await readBody(req)).toString('utf8');
      let input: unknown;
      try {
        input = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'The request body is not valid JSON' });
      }
      try {
        const { id, created } = await durable.startNew(a, b, input);
        if (!created) return sendJson(res, 409, { error: `An instance with ID '${id}' already exists and is not in a completed, failed or terminated state.` });
        const p = payloadFor(id);
        return sendJson(res, 202, p, { Location: p.statusQueryGetUri ?? '' });
      } catch (err) {
        if (err instanceof NotFoundError) return sendJson(res, 400, { error: err.message });
        throw err;
      }
    }
    if (kind === 'instances') {
      const q = url.searchParams;
      const filter = {
        runtimeStatus: q.get('runtimeStatus')?.split(',').filter(Boolean),
        createdTimeFrom: q.get('createdTimeFrom') ?? undefined,
        createdTimeTo: q.get('createdTimeTo') ?? undefined,
      };
      if (!a) {
        if (method === 'GET') return sendJson(res, 200, await durable.listInstances(filter));
        if (method === 'DELETE') {
          const n = await durable.purgeBy(filter);
          return n > 0 ? sendJson(res, 200, { instancesDeleted: n }) : sendJson(res, 404, { instancesDeleted: 0 });
        }
      } else if (!b) {
        if (method === 'GET') {
          const s = await durable.getStatus(a, {
            showHistory: q.get('showHistory') === 'true',
            showHistoryOutput: q.get('showHistoryOutput') === 'true',
            showInput: q.get('showInput') !== 'false',
          });
          if (!s) return sendJson(res, 404, { error: `No instance with ID '${a}'` });
          return sendJson(res, s.runtimeStatus === 'Running' || s.runtimeStatus === 'Pending' ? 202 : 200, s);
        }
        if (method === 'DELETE') {
          const n = await durable.purge(a);
          return n > 0 ? sendJson(res, 200, { instancesDeleted: n }) : sendJson(res, 404, { instancesDeleted: 0 });
        }
      } else if (method === 'POST' && (b === 'raiseEvent' || b === 'terminate')) {
        let outcome: 'ok' | 'notFound' | 'gone';
        if (b === 'raiseEvent') {
          if (!c) return sendJson(res, 400, { error: 'Missing event name' });
          const text = (await readBody(req)).toString('utf8');
          outcome = await durable.raiseEvent(a, c, text.trim() === '' ? null : JSON.parse(text));
        } else {
          outcome = await durable.terminate(a, q.get('reason') ?? '');
        }
        if (outcome === 'notFound') return sendJson(res, 404, { error: `No instance with ID '${a}'` });
        if (outcome === 'gone') return sendJson(res, 410, { error: `Instance '${a}' already finished` });
        res.writeHead(202).end();
        return;
      } else if (method === 'POST') {
        return sendJson(res, 501, { error: `'${b}' is not implemented by the local host` });
      }
    }
    sendJson(res, 404, { error: 'Not Found' });
  };

  const handleAdmin = async (req: http.IncomingMessage, res: http.ServerResponse, parts: string[]): Promise<void> => {
    const key = req.headers['x-functions-key'] as string | undefined;
    if (!safeEqual(key, masterKey)) return sendJson(res, 401, { error: 'Unauthorized' });
    if (parts[0] === 'host' && parts[1] === 'status') return sendJson(res, 200, { state: 'Running', version: 'foreact-local-host' });
    // As the real host's admin API: what was registered, with the bindings (name + config.bindings).
    if (parts[0] === 'functions' && parts.length === 1 && req.method === 'GET') {
      return sendJson(res, 200, [...byName.values()].map((reg) => ({ name: reg.name, config: { bindings: Object.entries(reg.bindings).map(([name, b]) => ({ ...b, name })) } })));
    }
    if (parts[0] === 'functions' && parts[1] && req.method === 'POST') {
      const reg = byName.get(decodeURIComponent(parts[1]).toLowerCase());
      if (!reg || reg.trigger.type === 'httpTrigger') return sendJson(res, 404, { error: 'No such non-HTTP function' });
      const text = (await readBody(req)).toString('utf8');
      let input: unknown;
      try {
        input = text ? (JSON.parse(text) as { input?: unknown }).input : undefined;
      } catch {
        return sendJson(res, 400, { error: 'Body must be JSON like {"input": ...}' });
      }
      // Like the real host: accepted now, run in the background.
      void invokeNonHttp(reg, input).catch(() => undefined);
      res.writeHead(202).end();
      return;
    }
    sendJson(res, 404, { error: 'Not Found' });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl || 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    let work: Promise<void>;
    if (parts[0] === 'runtime' && parts[1] === 'webhooks' && parts[2] === 'durabletask') work = handleDurableApi(req, res, url, parts.slice(3));
    else if (parts[0] === 'admin') work = handleAdmin(req, res, parts.slice(1));
    else if (routePrefix === '' || parts[0]?.toLowerCase() === routePrefix.toLowerCase()) work = handleFunction(req, res, url, routePrefix === '' ? parts : parts.slice(1));
    else work = Promise.resolve(sendJson(res, 404, { error: 'Not Found' }));
    work.catch((err: unknown) => {
      log('error', `Host error on ${req.method} ${url.pathname}`, err);
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal Server Error' });
      else res.end();
    });
  });

  // ---- timers, blobs, plain invocations -----------------------------------------------------------
  const invokeNonHttp = async (reg: Registration, input: unknown, triggerMetadata?: Record<string, unknown>): Promise<unknown> => {
    const ctx = makeContext(reg, triggerMetadata);
    try {
      return await reg.handler(input, ctx);
    } catch (err) {
      log('error', `Function ${reg.name} (invocation ${ctx.invocationId}) threw`, err);
      throw err;
    }
  };

  const timerHandles = new Map<string, NodeJS.Timeout>();
  const lastFired = new Map<string, Date>();
  const timerInput = (name: string, next?: Date): unknown => ({
    isPastDue: false,
    scheduleStatus: { last: (lastFired.get(name) ?? new Date(0)).toISOString(), next: next?.toISOString(), lastUpdated: new Date().toISOString() },
  });
  const fire = async (reg: Registration, next?: Date): Promise<void> => {
    const input = timerInput(reg.name, next);
    lastFired.set(reg.name, new Date());
    await invokeNonHttp(reg, input);
  };
  let stopped = false;
  const armTimer = (reg: Registration): void => {
    const schedule = parseSchedule(resolveSetting(str(reg.trigger.schedule)));
    const at = schedule.next(new Date());
    // setTimeout overflows past ~24.8 days; wake up early and re-arm.
    const delay = Math.min(at.getTime() - Date.now(), 2 ** 31 - 1);
    const handle = setTimeout(() => {
      if (stopped) return;
      if (Date.now() >= at.getTime() - 5) void fire(reg, schedule.next(new Date())).catch(() => undefined);
      armTimer(reg);
    }, delay);
    timerHandles.set(reg.name, handle);
  };

  const blobRegs = registrations.filter((r) => r.trigger.type === 'blobTrigger');
  const connectionOf = (setting: unknown): string => {
    const name = typeof setting === 'string' && setting ? setting : 'AzureWebJobsStorage';
    return process.env[name] ?? process.env[`AzureWebJobs${name}`] ?? opts.storageConnectionString;
  };
  const queueRegs = registrations.filter((r) => r.trigger.type === 'queueTrigger');
  const queues = createQueueRuntime(queueRegs, opts.blobEvents ?? [], {
    connectionString: opts.storageConnectionString,
    messageEncoding: hostJson.extensions?.queues?.messageEncoding === 'none' ? 'none' : 'base64',
    maxDequeueCount: hostJson.extensions?.queues?.maxDequeueCount ?? 5,
    connectionOf,
    invoke: invokeNonHttp,
    log,
    taskHub,
  });
  const receipts = TableClient.fromConnectionString(opts.storageConnectionString, `${taskHub}BlobReceipts`, { allowInsecureConnection: true });
  const receiptCache = new Map<string, { etag: string; attempts: number }>();
  let receiptsLoaded = false;
  const pollBlobs = async (): Promise<void> => {
    if (!receiptsLoaded) {
      await receipts.createTable();
      for await (const e of receipts.listEntities<{ blobEtag: string; attempts: number }>()) {
        receiptCache.set(`${e.partitionKey}|${e.rowKey}`, { etag: e.blobEtag, attempts: e.attempts });
      }
      receiptsLoaded = true;
    }
    for (const reg of blobRegs) {
      const fullPath = resolveSetting(str(reg.trigger.path));
      const slash = fullPath.indexOf('/');
      const container = slash < 0 ? fullPath : fullPath.slice(0, slash);
      const pattern = slash < 0 ? '{name}' : fullPath.slice(slash + 1);
      const names: string[] = [];
      const regex = new RegExp(
        '^' +
          pattern.replace(/\{([A-Za-z0-9_]+)\}|[.*+?^$()|[\]\\]/g, (m, name?: string) => {
            if (name) {
              names.push(name);
              return '(.+)';
            }
            return `\\${m}`;
          }) +
          '$',
      );
      const prefix = pattern.split('{')[0] ?? '';
      const conn = connectionOf(reg.trigger.connection);
      const containerClient = BlobServiceClient.fromConnectionString(conn).getContainerClient(container);
      if (!(await containerClient.exists())) continue;
      for await (const blob of containerClient.listBlobsFlat({ prefix, includeMetadata: true })) {
        const m = regex.exec(blob.name);
        if (!m) continue;
        const etag = blob.properties.etag ?? '';
        const pk = encodeURIComponent(reg.name);
        const rk = encodeURIComponent(`${container}/${blob.name}`);
        const receipt = receiptCache.get(`${pk}|${rk}`);
        if (receipt && receipt.etag === etag && (receipt.attempts === 0 || receipt.attempts >= 5)) continue;
        const attempts = receipt && receipt.etag === etag ? receipt.attempts : 0;
        const captures: Record<string, string> = {};
        names.forEach((n, i) => (captures[n] = m[i + 1] ?? ''));
        let ok = true;
        try {
          const content = await containerClient.getBlobClient(blob.name).downloadToBuffer();
          await invokeNonHttp(reg, content, {
            blobTrigger: `${container}/${blob.name}`,
            uri: containerClient.getBlobClient(blob.name).url,
            properties: blob.properties,
            metadata: blob.metadata ?? {},
            ...captures,
          });
        } catch {
          ok = false;
        }
        // A receipt per ETag, as the real host keeps: an unchanged blob never fires twice, even across
        // restarts; a failing one is retried up to 5 times and then left alone (the host's poison rule).
        const next = { etag, attempts: ok ? 0 : attempts + 1 };
        if (!ok && next.attempts >= 5) log('error', `Blob ${container}/${blob.name} failed 5 times in ${reg.name}; giving up on this version`);
        receiptCache.set(`${pk}|${rk}`, next);
        await receipts.upsertEntity({ partitionKey: pk, rowKey: rk, blobEtag: etag, attempts: next.attempts }, 'Replace');
      }
    }
  };
  let blobLoop: NodeJS.Timeout | undefined;
  let blobPolling: Promise<void> = Promise.resolve();
  const pollOnce = (): Promise<void> => {
    blobPolling = blobPolling
      .then(pollBlobs)
      .then(() => queues.poll())
      .catch((err: unknown) => log('error', 'Blob/queue polling failed', err));
    return blobPolling;
  };

  // ---- start ---------------------------------------------------------------------------------------
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${opts.port ?? 7071} is already in use; pass another port (--port / FOREACT_API_PORT)`) : err);
    });
    server.listen(opts.port ?? 7071, opts.hostname ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${opts.hostname && opts.hostname !== '0.0.0.0' ? opts.hostname : '127.0.0.1'}:${port}`;
  // durable-functions rewrites client URLs to http://localhost:7071 unless WEBSITE_HOSTNAME is set.
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;

  await durable.start();
  await runHooks('appStart', { hookData: {}, appHookData: {}, functionAppDirectory: process.cwd() });
  for (const reg of registrations) {
    if (reg.trigger.type !== 'timerTrigger') continue;
    if (opts.enableTimers !== false) armTimer(reg);
    if (reg.trigger.runOnStartup === true) void fire(reg).catch(() => undefined);
  }
  if (blobRegs.length > 0 || queueRegs.length > 0 || (opts.blobEvents?.length ?? 0) > 0) {
    const interval = opts.blobPollIntervalMs ?? 2000;
    const loop = (): void => {
      blobLoop = setTimeout(() => {
        if (stopped) return;
        void pollOnce().finally(() => {
          if (!stopped) loop();
        });
      }, interval);
    };
    void pollOnce().finally(loop);
  }
  log('info', `Functions host listening on ${baseUrl} (${registrations.length} functions, task hub ${taskHub})`);
  for (const r of httpRoutes) log('info', `  ${r.reg.name}: [${r.methods?.join(',') ?? 'ALL'}] ${baseUrl}/${routePrefix ? routePrefix + '/' : ''}${str(r.reg.trigger.route) || r.reg.name}`);

  const findNonHttp = (name: string): Registration => {
    const reg = byName.get(name.toLowerCase());
    if (!reg) throw new Error(`No function named "${name}"`);
    if (reg.trigger.type === 'httpTrigger') throw new Error(`"${name}" is an HTTP function; call it over HTTP`);
    return reg;
  };

  return {
    url: baseUrl,
    port,
    keys: { functionKey, masterKey },
    functions: registrations.map((r) => ({ name: r.name, trigger: r.trigger.type })),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const h of timerHandles.values()) clearTimeout(h);
      if (blobLoop) clearTimeout(blobLoop);
      await blobPolling;
      await durable.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await runHooks('appTerminate', { hookData: {}, appHookData: {} });
      for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
    async fireTimer(name) {
      const reg = findNonHttp(name);
      if (reg.trigger.type === 'timerTrigger') await fire(reg);
      else await invokeNonHttp(reg, undefined);
    },
    invoke: (name, input) => invokeNonHttp(findNonHttp(name), input),
    pollBlobs: pollOnce,
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
