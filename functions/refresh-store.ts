import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { apiContext, durableClient, durableClientInput, instanceStatus, json, principalOf, withErrors } from './http/context.js';
import { ApiError, notFound } from './http/errors.js';
import { parseStoreParam } from './http/queries.js';
import { isActive, refreshRunId, runIdOfInstance, statusOfInstance } from '../core/domain/api-runs.js';
import { authoriseStore } from '../core/domain/api-service.js';
import { newRunId } from '../core/domain/ids.js';
import { refreshInstanceId, STORE_REFRESH_ORCHESTRATION } from '../orchestrations/names.js';
import { currentTraceparent, trace } from '../core/adapters/telemetry.js';

function accepted(store: string, runId: string, status: string, joined: boolean): HttpResponseInit {
  const statusUrl = `/api/runs/${encodeURIComponent(runId)}`;
  return json(202, { runId, statusUrl, store, status, joined }, { location: statusUrl });
}

/** POST /api/stores/{store}/refresh — starts the store's refresh orchestration, or joins the running one. */
export async function refreshStore(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = principalOf(request);
  const store = parseStoreParam(request.params.store);
  const { deps, limiter } = await apiContext();
  const { known } = await authoriseStore(deps, principal, store);
  if (!known) throw notFound(`There is no store "${store}".`);

  const client = durableClient(context);
  const instanceId = refreshInstanceId(store);
  // A token is taken only to start a refresh: joining a running one costs the caller nothing, and a token
  // taken for a start that lost the race to another caller's is given back.
  let holding = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await instanceStatus(client, instanceId);
    const existingRun = existing === undefined ? undefined : runIdOfInstance(existing);
    if (existing !== undefined && isActive(existing) && existingRun !== undefined) {
      if (holding) await limiter.giveBack(principal.userId).catch((error: unknown) => context.warn(`refresh ${store}: could not give back a rate-limit token`, error));
      return accepted(store, existingRun, statusOfInstance(existing), true);
    }
    if (!holding) {
      const wait = await limiter.take(principal.userId);
      if (wait > 0) throw new ApiError(429, 'rate_limited', `Too many refreshes; try again in ${wait} s.`, { retryAfterSeconds: wait }, { 'retry-after': String(wait) });
      holding = true;
    }
    const runId = refreshRunId(newRunId('refresh', new Date()), store);
    trace.getActiveSpan()?.setAttributes({ runId, store, trigger: 'refresh' });
    try {
      // The orchestration continues this request's trace: orchestrators cannot make spans while replaying,
      // so the traceparent travels in the input to each activity and on to the trainer.
      await client.startNew(STORE_REFRESH_ORCHESTRATION, { instanceId, input: { store, runId, requestedBy: principal.userDetails, traceparent: currentTraceparent() } });
      return accepted(store, runId, 'queued', false);
    } catch (error) {
      // Another request started it between our check and our start (the host answers 409): join that one.
      context.log(`refresh ${store}: start raced (${error instanceof Error ? error.message : String(error)}); joining`);
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
  if (holding) await limiter.giveBack(principal.userId).catch(() => undefined);
  throw new ApiError(503, 'unavailable', `Could not start or join the refresh of store ${store}; try again.`);
}

app.http('refresh-store', { route: 'stores/{store}/refresh', methods: ['POST'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(refreshStore) });
