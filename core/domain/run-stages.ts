/**
 * The one vocabulary of run progress, shared by the orchestration's custom status, the run records, the
 * HTTP API and the dashboard (whose copy in static-web/src/api.ts is checked against the OpenAPI
 * document, which is checked against this).
 *
 * queued (accepted) → dispatched (handed to the training backend) → training (the trainer loads the
 * history, fits, backtests, registers the model and passes the champion gate) → publishing (forecasts
 * written, then the pointer switched) → done | failed.
 */
export const RUN_STAGES = ['queued', 'dispatched', 'training', 'publishing'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export const RUN_STATUSES = [...RUN_STAGES, 'done', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * The trainer's own steps, recorded with their timings on its run record; each belongs to one stage.
 * `loading` is the pod's start-up: the job was dispatched and the trainer is reading history.
 */
export const TRAINER_STEP_STAGE = {
  queued: 'queued',
  loading: 'dispatched',
  training: 'training',
  registering: 'training',
  gating: 'training',
  publishing: 'publishing',
} as const satisfies Record<string, RunStage>;
export type TrainerStep = keyof typeof TRAINER_STEP_STAGE | 'done' | 'failed';

/** Share of the work done when a stage starts, for progress bars. */
export const STAGE_PROGRESS: Readonly<Record<RunStatus, number>> = { queued: 0, dispatched: 0.1, training: 0.25, publishing: 0.85, done: 1, failed: 1 };

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}
