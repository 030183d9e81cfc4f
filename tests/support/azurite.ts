// One implementation for tests and `npm start`: the test support only re-exports it.
export { startAzurite, azuriteConnectionString, AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY } from '../../scripts/azurite.js';
export type { AzuriteInstance, AzuriteOptions } from '../../scripts/azurite.js';
