import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { tracedActivity, type Runtime } from '../core/runtime.js';
import { STORE_REFRESH_ORCHESTRATION } from './names.js';
import { trainSingleStore, type StoreRunResult, type TrainingStage } from './training-batch.js';
import type { TracedInput } from '../core/adapters/telemetry.js';

export const REFRESH_SETTINGS_ACTIVITY = 'refresh-settings';

export interface StoreRefreshInput {
  store: string;
  runId: string;
  requestedBy?: string;
  /** The HTTP request's W3C trace context: each activity's span, and the trainer's, continue it. */
  traceparent?: string;
}

/**
 * The refresh's custom status, read by `POST /api/stores/{store}/refresh` and the dashboard.
 * `stages` lists every stage reached with its (orchestration) time; `error` is set when `stage` is
 * `failed` — the store's previous forecast stays current, flagged stale with that reason.
 */
export interface RefreshStatus {
  stage: TrainingStage;
  runId: string;
  store: string;
  startedAt: string;
  stages: { stage: TrainingStage; at: string }[];
  error?: string;
}

export interface RefreshSettings {
  deadlineSeconds: number;
  pollSeconds: number;
}

export const storeRefreshOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<StoreRefreshInput>();
  const status: RefreshStatus = { stage: 'queued', runId: input.runId, store: input.store, startedAt: context.df.currentUtcDateTime.toISOString(), stages: [{ stage: 'queued', at: context.df.currentUtcDateTime.toISOString() }] };
  context.df.setCustomStatus(status);
  // Settings come through an activity: orchestrator code must not read the environment (replays could
  // see a changed value and diverge).
  const traced = input.traceparent ? { traceparent: input.traceparent } : undefined;
  const settings = (yield context.df.callActivity(REFRESH_SETTINGS_ACTIVITY, traced ? { ...traced, runId: input.runId, store: input.store, trigger: 'refresh' } : null)) as RefreshSettings;
  const result: StoreRunResult = yield* trainSingleStore(context, { runId: input.runId, store: input.store, trigger: 'refresh', timeoutSeconds: settings.deadlineSeconds, pollSeconds: settings.pollSeconds, ...traced }, (stage) => {
    status.stage = stage;
    status.stages.push({ stage, at: context.df.currentUtcDateTime.toISOString() });
    context.df.setCustomStatus(status);
  });
  if (result.error !== undefined) {
    status.error = result.error;
    context.df.setCustomStatus(status);
  }
  return result;
};

/** The input only carries the refresh's trace context and run (null without one). */
export function refreshSettingsActivity(_input: TracedInput | null, runtime: Runtime): Promise<RefreshSettings> {
  const config = runtime.config.dispatch;
  return Promise.resolve({ deadlineSeconds: config.refreshDeadlineSeconds, pollSeconds: Math.min(config.pollSeconds, 1) });
}

df.app.activity(REFRESH_SETTINGS_ACTIVITY, { handler: tracedActivity(REFRESH_SETTINGS_ACTIVITY, refreshSettingsActivity) });
df.app.orchestration(STORE_REFRESH_ORCHESTRATION, storeRefreshOrchestrator);
