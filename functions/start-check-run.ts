import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { checkRunInstances, durableClient, durableClientInput } from './http/durable-client.js';
import { apiContext, principalOf } from './http/context.js';
import { ApiError } from './http/errors.js';
import { parseStoreParam } from './http/queries.js';
import { checkRunId } from '../core/domain/api-runs.js';
import { authoriseCheckRun } from '../core/domain/api-service.js';
import { startOrJoinCheckRun } from '../core/domain/check-run.js';
import { newRunId } from '../core/domain/ids.js';
import { currentTraceparent, trace } from '../core/adapters/telemetry.js';

/**
 * POST /api/stores/{store}/check-run — admins and operators: a morning run of this one store through the
 * morning run's backend (FOREACT_DISPATCH: a Kubernetes Job in Azure), the shipped path the post-deploy
 * smoke test proves. Follow it at `statusUrl` (GET /api/runs/{runId}).
 */
export async function startCheckRun(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const principal = await principalOf(request);
  const store = parseStoreParam(request.params.store);
  const { deps } = await apiContext();
  await authoriseCheckRun(deps, principal, store);
  const outcome = await startOrJoinCheckRun(checkRunInstances(durableClient(context), currentTraceparent()), store, () => checkRunId(newRunId('check', new Date()), store));
  if (outcome.kind === 'busy') throw new ApiError(409, 'conflict', outcome.reason);
  trace.getActiveSpan()?.setAttributes({ runId: outcome.runId, store, trigger: 'check' });
  const statusUrl = `/api/runs/${encodeURIComponent(outcome.runId)}`;
  return json(202, { runId: outcome.runId, statusUrl, store, joined: outcome.kind === 'joined' }, { location: statusUrl });
}

app.http('start-check-run', { route: 'stores/{store}/check-run', methods: ['POST'], authLevel: 'anonymous', extraInputs: [durableClientInput], handler: withErrors(startCheckRun) });
