import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A binding as `@azure/functions` hands it to the worker (see its `toCoreFunctionMetadata`). */
export interface CoreBinding {
  name?: string;
  type: string;
  direction: 'in' | 'out';
  [key: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
  retryOptions?: unknown;
}

export type Handler = (trigger: unknown, context: unknown) => unknown;

export interface Registration {
  name: string;
  bindings: Record<string, CoreBinding>;
  handler: Handler;
  /** The trigger binding, with the key under which the library registered it. */
  trigger: CoreBinding & { name: string };
  extraInputs: CoreBinding[];
  extraOutputs: CoreBinding[];
  returnBinding?: CoreBinding;
  module?: string;
}

type HookCallback = (context: unknown) => unknown;

interface RegistryState {
  functions: Map<string, Registration>;
  byModule: Map<string, string[]>;
  loading?: string;
  hooks: Map<string, HookCallback[]>;
  programmingModel?: unknown;
  hookInstalled: boolean;
}

// Kept on globalThis because vitest may evaluate this file more than once per process while
// `@azure/functions` (loaded natively) keeps the first core API it was given for the whole process.
const GLOBAL_KEY = Symbol.for('foreact.localHost.registry');
const globals = globalThis as unknown as Record<symbol, RegistryState | undefined>;
const state: RegistryState = (globals[GLOBAL_KEY] ??= {
  functions: new Map(),
  byModule: new Map(),
  hooks: new Map(),
  hookInstalled: false,
});

export function getRegistry(): RegistryState {
  return state;
}

/** The subset of the real worker's `@azure/functions-core` API that `@azure/functions` 4.x calls. */
const coreApi = {
  version: '3.10.1',
  get programmingModel(): unknown {
    return state.programmingModel;
  },
  setProgrammingModel(model: unknown): void {
    state.programmingModel = model;
  },
  getProgrammingModel(): unknown {
    return state.programmingModel;
  },
  registerFunction(metadata: CoreFunctionMetadata, handler: Handler): { dispose(): void } {
    const entries = Object.entries(metadata.bindings);
    const triggerEntry = entries.find(([, b]) => b.direction === 'in' && /Trigger$/i.test(b.type));
    if (!triggerEntry) throw new Error(`Function "${metadata.name}" has no trigger binding`);
    const reg: Registration = {
      name: metadata.name,
      bindings: metadata.bindings,
      handler,
      trigger: { ...triggerEntry[1], name: triggerEntry[0] },
      extraInputs: entries.filter(([k, b]) => b.direction === 'in' && k !== triggerEntry[0]).map(([k, b]) => ({ ...b, name: k })),
      extraOutputs: entries.filter(([k, b]) => b.direction === 'out' && k !== '$return').map(([k, b]) => ({ ...b, name: k })),
      returnBinding: metadata.bindings.$return,
      module: state.loading,
    };
    state.functions.set(metadata.name, reg);
    if (state.loading) {
      const list = state.byModule.get(state.loading) ?? [];
      if (!list.includes(metadata.name)) list.push(metadata.name);
      state.byModule.set(state.loading, list);
    }
    return { dispose: () => void state.functions.delete(metadata.name) };
  },
  registerHook(hookName: string, callback: HookCallback): { dispose(): void } {
    const list = state.hooks.get(hookName) ?? [];
    list.push(callback);
    state.hooks.set(hookName, list);
    return {
      dispose: () => {
        const i = list.indexOf(callback);
        if (i >= 0) list.splice(i, 1);
      },
    };
  },
  log(level: string, category: string, message: string): void {
    if (level === 'error' || level === 'critical' || level === 'warning') {
      console.error(`[functions:${category}] ${level}: ${message}`);
    }
  },
};

const CORE_MODULE_ID = 'foreact-local-host:@azure/functions-core';

/**
 * Makes `require('@azure/functions-core')` return our core API, exactly where the real worker would
 * inject its own. Must run before `@azure/functions` first registers anything: the library caches
 * the lookup (and silently enters "test mode" when it fails).
 */
export function installCoreApiHook(): void {
  if (state.hookInstalled) return;
  const mod = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const fake = new Module(CORE_MODULE_ID);
  fake.exports = coreApi;
  fake.loaded = true;
  mod._cache[CORE_MODULE_ID] = fake;
  const original = mod._resolveFilename;
  mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === '@azure/functions-core') return CORE_MODULE_ID;
    return original.call(this, request, ...rest);
  };
  state.hookInstalled = true;
}

/**
 * Loads app modules (compiled `.js`, or `.ts` under vitest) and returns the registrations each made.
 * Modules already loaded in this process keep the registrations recorded on their first load, so a
 * second host in the same process (a restart in tests) sees the same functions.
 */
export async function loadModules(files: string[]): Promise<Registration[]> {
  installCoreApiHook();
  const names = new Set<string>();
  for (const file of files) {
    const abs = path.resolve(file);
    if (!state.byModule.has(abs)) {
      state.loading = abs;
      state.byModule.set(abs, []);
      try {
        // `.ts` can only be loaded by vitest's module runner, which accepts plain paths; Node's own
        // ESM loader (used for compiled `.js`) wants a file URL.
        await import(abs.endsWith('.ts') ? abs : pathToFileURL(abs).href);
      } finally {
        state.loading = undefined;
      }
    }
    const registered = state.byModule.get(abs) ?? [];
    if (registered.length === 0) {
      // Usually a helper module; but if @azure/functions was first used before this hook existed it
      // has cached "test mode" and every registration is silently dropped.
      console.warn(`[local-host] ${abs} registered no functions`);
    }
    for (const n of registered) names.add(n);
  }
  return [...names].map((n) => state.functions.get(n)).filter((r): r is Registration => r !== undefined);
}

export async function runHooks(name: string, context: unknown): Promise<void> {
  for (const cb of state.hooks.get(name) ?? []) await cb(context);
}

// Installed on import so that any module importing the host first gets the hook before
// `@azure/functions` is ever asked for its core API.
installCoreApiHook();
