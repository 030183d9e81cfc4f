// Importing this installs the @azure/functions-core hook (so import it before any app module).
import { optionsFromEnvironment, startLocalHost as startHost, type LocalHost, type LocalHostOptions } from '../../scripts/local-host/host.js';

export type { LocalHost, LocalHostOptions };
export { installCoreApiHook, getRegistry } from '../../scripts/local-host/registry.js';

/** The local host for a test: the app settings (and keys, activity cap) are this process's environment unless given. */
export function startLocalHost(opts: Omit<LocalHostOptions, 'appSettings'> & Partial<Pick<LocalHostOptions, 'appSettings'>>): Promise<LocalHost> {
  return startHost({ ...optionsFromEnvironment(process.env), ...opts });
}
