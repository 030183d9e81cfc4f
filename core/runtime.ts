import { buildDeps, type AppDeps, type DepsOverrides } from './composition.js';
import { loadConfig, type AppConfig } from './config.js';
import { passiveTelemetry, startTelemetry, tracedActivity as tracedActivityWith, tracedTrigger as tracedTriggerWith, type DeclaresTrace, type Telemetry, type TelemetryOptions, type TracedInput } from './adapters/telemetry.js';

/**
 * One runtime per process (Function App worker, trainer pod, worker thread, CLI command): its settings,
 * its telemetry and its deps. An entry point builds it (`createRuntime`) or resolves the process's
 * (`processRuntime`) once, and hands it to what it calls; nothing else reads `process.env` or keeps
 * process state. This module is the one place that holds it: the Functions host loads the app's modules
 * and calls their handlers, so the handlers find the runtime here.
 */
export interface Runtime {
  readonly config: AppConfig;
  readonly telemetry: Telemetry;
  /** The deps, built on first use (opening storage is asynchronous); a failed build is tried again next time. */
  deps(): Promise<AppDeps>;
  /** A runtime with other settings or deps (a test's case) that shares this one's telemetry (one per process). */
  with(options: Omit<RuntimeOptions, 'telemetry'> & { config?: AppConfig }): Runtime;
}

export interface RuntimeOptions {
  /** The process's telemetry when it is already started, else how to start it (a test's exporter, a worker thread's forwarding). */
  telemetry?: Telemetry | TelemetryOptions;
  /** Replacements for the configured adapters (a test's dispatcher, a fake cluster's credential). */
  overrides?: DepsOverrides;
  /** Deps built elsewhere (a host that built its own). */
  deps?: AppDeps | Promise<AppDeps>;
}

function isTelemetry(t: Telemetry | TelemetryOptions | undefined): t is Telemetry {
  return t !== undefined && 'logger' in t;
}

/** Starts the telemetry (unless given a started one) and builds the deps on first use. */
export function createRuntime(config: AppConfig, options: RuntimeOptions = {}): Runtime {
  const telemetry = isTelemetry(options.telemetry) ? options.telemetry : startTelemetry(config.telemetry, options.telemetry);
  let deps = options.deps === undefined ? undefined : Promise.resolve(options.deps);
  const runtime: Runtime = {
    config,
    telemetry,
    deps: () => {
      deps ??= buildDeps(config, options.overrides, telemetry).catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      return deps;
    },
    with: (more) => createRuntime(more.config ?? config, { ...more, telemetry }),
  };
  return runtime;
}

let current: Runtime | undefined;

/** The process's runtime: the one its host or test installed (`useRuntime`), else built once from `process.env`. */
export function processRuntime(): Runtime {
  current ??= createRuntime(loadConfig(process.env));
  return current;
}

/** Installs the process's runtime (a host's or a test's own); `undefined` builds it from `process.env` on next use. */
export function useRuntime(runtime: Runtime | undefined): void {
  current = runtime;
}

/**
 * The process's telemetry, before a trigger's first span. While the settings are invalid, telemetry that
 * starts nothing: the handler then fails in its span with the setting's name.
 */
export function processTelemetry(): Telemetry {
  try {
    return processRuntime().telemetry;
  } catch {
    return passiveTelemetry();
  }
}

/** An activity of the process's Functions host: traced (core/adapters/telemetry.ts), given the process's runtime. */
export function tracedActivity<I extends TracedInput, O>(name: string, handler: (input: I, runtime: Runtime) => Promise<O>, ...declares: DeclaresTrace<I>): (input: I) => Promise<O> {
  return tracedActivityWith(processTelemetry, name, (input: I) => handler(input, processRuntime()), ...declares);
}

/** A queue or timer trigger of the process's Functions host: traced, given the process's runtime. */
export function tracedTrigger<I, C extends { traceContext?: { traceParent?: string | null | undefined } | undefined }, O>(name: string, handler: (input: I, context: C, runtime: Runtime) => Promise<O>): (input: I, context: C) => Promise<O> {
  return tracedTriggerWith(processTelemetry, name, (input: I, context: C) => handler(input, context, processRuntime()));
}

/**
 * Installs deps a tool built itself with `buildDeps` (a benchmark's dispatcher) as the process's runtime, with
 * the installed runtime's telemetry (else started from their settings). `undefined` goes back to the process's settings.
 */
export function installDeps(deps: AppDeps | undefined): void {
  current = deps === undefined ? undefined : createRuntime(deps.config, { deps, ...(current ? { telemetry: current.telemetry } : {}) });
}
