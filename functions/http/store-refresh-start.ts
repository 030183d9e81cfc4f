import type { InvocationContext } from '@azure/functions';
import { refreshRunId } from '../../core/domain/api-runs.js';
import type { Principal } from '../../core/domain/api-access.js';
import { newRunId } from '../../core/domain/ids.js';
import { startOrJoinRefresh, type RefreshStart } from '../../core/domain/refresh-start.js';
import { currentTraceparent } from '../../core/adapters/telemetry.js';
import { apiContext } from './context.js';
import { durableClient, refreshInstances } from './durable-client.js';

/**
 * Starts the store's refresh orchestration for the caller, or joins the running one (the caller's rate
 * limit applies). The orchestration continues this request's trace: orchestrators cannot make spans while
 * replaying, so the traceparent travels in the input to each activity and on to the trainer.
 */
export async function startStoreRefresh(context: InvocationContext, principal: Principal, store: string): Promise<RefreshStart> {
  const { limiter } = await apiContext();
  const instances = refreshInstances(durableClient(context), { requestedBy: principal.userDetails, traceparent: currentTraceparent() }, context);
  return startOrJoinRefresh({ instances, limiter, warn: (m, e) => context.warn(m, e) }, principal.userId, store, () => refreshRunId(newRunId('refresh', new Date()), store));
}
