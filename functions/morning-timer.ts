import type { InvocationContext, Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { hostDay, MORNING_RUN_ORCHESTRATION, morningInstanceId, morningRunId } from '../orchestrations/names.js';
import { currentTraceparent, withSpan, type Logger } from '../core/adapters/telemetry.js';
import { processTelemetry } from '../core/runtime.js';

/**
 * Starts the morning run. Schedule: app setting FOREACT_MORNING_SCHEDULE (NCRONTAB, 6 fields), in UTC:
 * Flex Consumption has no WEBSITE_TIME_ZONE. Bicep sets it from morningScheduleUtc (`0 0 3 * * *` = 04:00
 * CET / 05:00 CEST, so forecasts are ready hours before 09:00 in either season).
 * The instance id is the day, so a second firing (host restart, manual run) joins instead of duplicating.
 */
export async function morningTimer(_timer: Timer, client: DurableClient, context: InvocationContext): Promise<void> {
  // The day in the host's zone: UTC in Azure (no WEBSITE_TIME_ZONE on Flex Consumption), TZ locally. At
  // 03:00 UTC that is also the stores' day in Europe; a schedule between local and UTC midnight would
  // name the day before.
  const date = hostDay();
  const attributes = { runId: morningRunId(date), trigger: 'morning' };
  // The morning run's trace starts here (or continues the host's); its traceparent goes in the input.
  const log = processTelemetry().logger(attributes);
  return withSpan('morning-timer', { traceparent: context.traceContext?.traceParent, attributes }, () => startMorningRun(client, date, log));
}

async function startMorningRun(client: DurableClient, date: string, log: Logger): Promise<void> {
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
