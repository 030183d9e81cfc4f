import type { Run, RunStatus, StageName } from './api';
import { STAGE_NAMES } from './api';
import { formatElapsed } from './format';

export const STAGE_LABELS: Record<StageName, string> = {
  queued: 'Waiting to start',
  dispatched: 'Sending to training',
  training: 'Training models',
  publishing: 'Publishing forecast',
};

export type StepState = 'done' | 'current' | 'pending' | 'failed' | 'skipped';

export interface ProgressStep {
  name: StageName;
  label: string;
  state: StepState;
  durationMs: number | null;
}

export interface ProgressView {
  steps: ProgressStep[];
  /** 0 … 1 for a progress bar. */
  fraction: number;
  /** One sentence for the live region, e.g. "Training models (step 3 of 4) — 31 of 50 items, 1 min 05 s". */
  summary: string;
  finished: boolean;
  failed: boolean;
  elapsedMs: number;
}

export function isFinished(status: RunStatus): boolean {
  return status === 'done' || status === 'failed';
}

/**
 * Maps a run to the steps the progress indicator shows. Uses the run's own stage list when present,
 * else derives the steps from `status` (everything before the current stage done).
 */
export function progressView(run: Run, now: number = Date.now()): ProgressView {
  const statusIndex = STAGE_NAMES.indexOf(run.status as StageName);
  const failedAt = run.status === 'failed' ? (run.error?.stage ?? run.stages.find((s) => s.status === 'failed')?.name ?? run.stages.find((s) => s.status === 'running')?.name) : undefined;
  const steps = STAGE_NAMES.map((name, i): ProgressStep => {
    const stage = run.stages.find((s) => s.name === name);
    let state: StepState;
    if (stage) {
      state = stage.status === 'running' ? 'current' : stage.status;
      if (run.status === 'done' && state !== 'skipped') state = 'done';
      if (run.status === 'failed' && name === failedAt) state = 'failed';
    } else if (run.status === 'done') state = 'done';
    else if (run.status === 'failed') {
      const at = failedAt ? STAGE_NAMES.indexOf(failedAt) : -1;
      state = i < at ? 'done' : i === at ? 'failed' : 'pending';
    } else state = i < statusIndex ? 'done' : i === statusIndex ? 'current' : 'pending';
    return { name, label: STAGE_LABELS[name], state, durationMs: stage?.durationMs ?? null };
  });

  const created = new Date(run.createdAt).getTime();
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : now;
  const elapsedMs = Number.isFinite(created) && Number.isFinite(end) ? Math.max(0, end - created) : 0;

  let fraction: number;
  if (run.status === 'done') fraction = 1;
  else if (Number.isFinite(run.progress.fraction) && run.progress.fraction > 0) fraction = Math.min(1, run.progress.fraction);
  else {
    const doneCount = steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;
    fraction = doneCount / STAGE_NAMES.length;
  }

  const current = steps.find((s) => s.state === 'current');
  const elapsed = formatElapsed(elapsedMs);
  let summary: string;
  if (run.status === 'done') summary = `Refresh finished in ${elapsed}.`;
  else if (run.status === 'failed') {
    const where = failedAt ? ` while ${STAGE_LABELS[failedAt].toLowerCase()}` : '';
    summary = `Refresh failed${where} after ${elapsed}: ${run.error?.message ?? 'no reason given'}`;
  } else {
    const index = current ? STAGE_NAMES.indexOf(current.name) + 1 : 1;
    const label = current?.label ?? STAGE_LABELS.queued;
    const items = run.progress.itemsTotal ? ` — ${run.progress.itemsDone ?? 0} of ${run.progress.itemsTotal} items` : run.progress.message ? ` — ${run.progress.message}` : '';
    summary = `${label} (step ${index} of ${STAGE_NAMES.length})${items}, ${elapsed}`;
  }

  return { steps, fraction, summary, finished: isFinished(run.status), failed: run.status === 'failed', elapsedMs };
}

/** Polling interval: quick at first, slower for long runs (keeps the API calm during the morning run). */
export function pollDelayMs(elapsedMs: number): number {
  if (elapsedMs < 30_000) return 1_000;
  if (elapsedMs < 120_000) return 2_000;
  return 5_000;
}
