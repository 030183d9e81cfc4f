import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId, morningRunId } from '../orchestrations/names.js';
import { currentTraceparent, logger, withSpan } from '../core/adapters/telemetry.js';

/**
 * Starts the morning run. Schedule: app setting FOREACT_MORNING_SCHEDULE (NCRONTAB, 6 fields; default
 * `0 0 3 * * *` with WEBSITE_TIME_ZONE set to the stores' zone, so forecasts are ready hours before 09:00).
 * The instance id is the day, so a second firing (host restart, manual run) joins instead of duplicating.
 */
export async function morningTimer(_timer: Timer, client: DurableClient, context: InvocationContext): Promise<void> {
  // The day in the host's zone (WEBSITE_TIME_ZONE / TZ), which is the stores' day the run is for.
  const date = new Date().toLocaleDateString('sv-SE');
  const attributes = { runId: morningRunId(date), trigger: 'morning' };
  // The morning run's trace starts here (or continues the host's); its traceparent goes in the input.
  return withSpan('morning-timer', { traceparent: context.traceContext?.traceParent, attributes }, () => startMorningRun(client, date, attributes));
}

async function startMorningRun(client: DurableClient, date: string, attributes: { runId: string; trigger: string }): Promise<void> {
  const log = logger(attributes);
  const instanceId = morningInstanceId(date);
  const existing = await client.getStatus(instanceId, { showHistory: false, showInput: false }).catch(() => undefined);
  if (existing && ['Running', 'Pending', 'Completed', 'ContinuedAsNew'].includes(String(existing.runtimeStatus))) {
    log.info(`morning run ${instanceId} already ${String(existing.runtimeStatus)}; not starting another`);
    return;
  }
  await client.startNew(MORNING_RUN_ORCHESTRATION, { instanceId, input: { date, traceparent: currentTraceparent() } });
  log.info(`morning run ${instanceId} started`);
}

df.app.client.timer('morning-timer', { schedule: '%FOREACT_MORNING_SCHEDULE%', handler: morningTimer });
