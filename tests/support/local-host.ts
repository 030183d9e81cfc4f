// Importing this installs the @azure/functions-core hook (so import it before any app module).
export { startLocalHost } from '../../scripts/local-host/host.js';
export type { LocalHost, LocalHostOptions } from '../../scripts/local-host/host.js';
export { installCoreApiHook, getRegistry } from '../../scripts/local-host/registry.js';
