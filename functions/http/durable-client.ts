import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

/** The durable client as the HTTP functions use it: its input binding, and (from the files beside it) an
 * instance's status and the ports over instances, so a handler finds everything durable here. */

export { instanceStatus, snapshot } from './durable-status.js';
export { activeRefreshes, checkRunInstances, refreshInstances } from './durable-instances.js';

export const durableClientInput = df.input.durableClient();

export function durableClient(context: InvocationContext): df.DurableClient {
  return df.getClient(context);
}
