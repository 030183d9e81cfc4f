import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { MORNING_RUN_ORCHESTRATION, morningInstanceId } from '../orchestrations/names.js';

/**
 * Starts the morning run. Schedule: app setting FOREACT_MORNING_SCHEDULE (NCRONTAB, 6 fields; default
 * `0 0 3 * * *` with WEBSITE_TIME_ZONE set to the stores' zone, so forecasts are ready hours before 09:00).
 * The instance id is the day, so a second firing (host restart, manual run) joins instead of duplicating.
 */
export async function morningTimer(_timer: Timer, client: DurableClient, context: InvocationContext): Promise<void> {
  // The day in the host's zone (WEBSITE_TIME_ZONE / TZ), which is the stores' day the run is for.
  const date = new Date().toLocaleDateString('sv-SE');
  const instanceId = morningInstanceId(date);
  const existing = await client.getStatus(instanceId, { showHistory: false, showInput: false }).catch(() => undefined);
  if (existing && ['Running', 'Pending', 'Completed', 'ContinuedAsNew'].includes(String(existing.runtimeStatus))) {
    context.log(`morning run ${instanceId} already ${String(existing.runtimeStatus)}; not starting another`);
    return;
  }
  await client.startNew(MORNING_RUN_ORCHESTRATION, { instanceId, input: { date } });
  context.log(`morning run ${instanceId} started`);
}

df.app.client.timer('morning-timer', { schedule: '%FOREACT_MORNING_SCHEDULE%', handler: morningTimer });
