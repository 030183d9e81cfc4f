import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import type { Registration } from './registry.js';

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, err?: unknown) => void;

export const defaultLogger: Logger = (level, message, err) => {
  const line = `[local-host] ${message}`;
  if (level === 'error') console.error(line, err ?? '');
  else if (level === 'warn') console.warn(line, err instanceof Error ? err.message : err ?? '');
  else console.log(line);
};

/** Gives an invocation its extra inputs (the durable client binding) before the handler runs. */
export type DecorateContext = (reg: Registration, ctx: InvocationContext) => void;

/**
 * The library's own InvocationContext for one call of a registered function, its `context.log` routed
 * to the host's logger under the function's name.
 */
export function newInvocationContext(
  reg: Registration,
  host: { log: Logger; decorate: DecorateContext },
  call: { triggerMetadata?: Record<string, unknown>; withReturnBinding?: boolean } = {},
): InvocationContext {
  const ctx = new InvocationContext({
    invocationId: randomUUID(),
    functionName: reg.name,
    triggerMetadata: call.triggerMetadata,
    options: {
      trigger: reg.trigger,
      return: call.withReturnBinding ? (reg.returnBinding as never) : undefined,
      extraInputs: reg.extraInputs as never,
      extraOutputs: reg.extraOutputs as never,
    },
    logHandler: (level, ...args) => {
      const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(' ');
      host.log(level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'info', `[${reg.name}] ${text}`);
    },
  });
  host.decorate(reg, ctx);
  return ctx;
}
