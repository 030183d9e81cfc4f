import type { Clock, RunRepository, StoragePorts } from '../ports/index.js';
import { assertRunId, attemptRunId } from './ids.js';
import type { RunRecord, RunStage, RunTrigger } from './model.js';
import { markStale } from './stores.js';

/** Rough share of a store run's time spent before each stage starts, for progress bars. */
const STAGE_PROGRESS: Record<RunStage, number> = { queued: 0, loading: 0.05, training: 0.15, registering: 0.8, gating: 0.85, publishing: 0.9, done: 1, failed: 1 };

/** A run record for one store, as the run progresses. The process running the store owns it. */
export class RunTracker {
  private constructor(
    private readonly runs: RunRepository,
    private readonly clock: Clock,
    private record: RunRecord,
    private stageStarted: number,
  ) {}

  /**
   * Starts (or restarts, keeping `createdAt` of a record the orchestrator queued) a store's run. Every start
   * is a new **attempt** (`details.attempt`, counted across retried pods and re-dispatched jobs), which
   * publishes its rows under its own id (`details.forecastRunId`, see `attemptRunId`).
   */
  static async start(runs: RunRepository, clock: Clock, runId: string, store: string, trigger: RunTrigger): Promise<RunTracker> {
    assertRunId(runId);
    const now = clock.now();
    const queued = await runs.get(runId, store);
    const attempt = previousAttempts(queued) + 1;
    const record: RunRecord = {
      runId,
      store,
      trigger: queued?.trigger ?? trigger,
      status: 'running',
      stage: 'loading',
      progress: STAGE_PROGRESS.loading,
      // Time spent queued (dispatch, pod start) is part of the run's timings.
      stages: [
        ...(queued?.status === 'queued' ? queued.stages.map((st) => (st.ms === undefined ? { ...st, ms: now.getTime() - Date.parse(st.startedAt) } : st)) : []),
        { stage: 'loading', startedAt: now.toISOString() },
      ],
      createdAt: queued?.createdAt ?? now.toISOString(),
      startedAt: now.toISOString(),
      details: { ...queued?.details, attempt, forecastRunId: attemptRunId(runId, attempt) },
    };
    await runs.put(record);
    return new RunTracker(runs, clock, record, now.getTime());
  }

  get current(): RunRecord {
    return this.record;
  }

  /** This attempt's number (1 for the first start of the run for this store). */
  get attempt(): number {
    return attemptsOf(this.record);
  }

  /** The id this attempt writes its forecast rows under and switches the store's pointer to. */
  get forecastRunId(): string {
    return attemptRunId(this.record.runId, this.attempt);
  }

  private closeStage(now: Date): StageTimingList {
    const stages = this.record.stages.slice();
    const last = stages[stages.length - 1];
    if (last !== undefined && last.ms === undefined) stages[stages.length - 1] = { ...last, ms: now.getTime() - this.stageStarted };
    return stages;
  }

  async stage(stage: RunStage, extra: Partial<RunRecord> = {}): Promise<void> {
    const now = this.clock.now();
    const stages = this.closeStage(now);
    stages.push({ stage, startedAt: now.toISOString() });
    this.stageStarted = now.getTime();
    this.record = { ...this.record, ...extra, ...mergedDetails(this.record, extra), stage, progress: STAGE_PROGRESS[stage], stages };
    await this.runs.put(this.record);
  }

  async succeed(extra: Partial<RunRecord> = {}): Promise<RunRecord> {
    return this.finish('succeeded', 'done', extra);
  }

  async fail(error: string): Promise<RunRecord> {
    return this.finish('failed', 'failed', { error });
  }

  private async finish(status: 'succeeded' | 'failed', stage: RunStage, extra: Partial<RunRecord>): Promise<RunRecord> {
    const now = this.clock.now();
    const stages = this.closeStage(now);
    const started = Date.parse(this.record.startedAt ?? this.record.createdAt);
    this.record = { ...this.record, ...extra, ...mergedDetails(this.record, extra), status, stage, progress: 1, stages, finishedAt: now.toISOString(), durationMs: now.getTime() - started };
    await this.runs.put(this.record);
    return this.record;
  }
}

type StageTimingList = RunRecord['stages'];

/** `details` given to a stage or the finish add to the record's (the attempt count must survive). */
function mergedDetails(record: RunRecord, extra: Partial<RunRecord>): Pick<RunRecord, 'details'> {
  return extra.details === undefined && record.details === undefined ? {} : { details: { ...record.details, ...extra.details } };
}

/** Attempts a store's run record says have started (0 for a record only queued, or none). */
function previousAttempts(record: RunRecord | undefined): number {
  if (record === undefined) return 0;
  const counted = record.details?.attempt;
  if (typeof counted === 'number' && Number.isInteger(counted) && counted >= 1) return counted;
  // A record from before attempts were counted: it started once unless it is still only queued.
  return record.status === 'queued' ? 0 : 1;
}

/** How many attempts a store's run record covers (at least 1): its rows are under `attemptRunId(runId, 1…n)`. */
export function attemptsOf(record: RunRecord): number {
  return Math.max(1, previousAttempts(record));
}

/**
 * Creates a store run's record in state `queued` (if it does not exist yet), so that a run id handed to a
 * client (refresh 202) or an orchestration is readable before any trainer starts.
 */
export async function queueStoreRun(runs: RunRepository, clock: Clock, input: { runId: string; store: string; trigger: RunTrigger; details?: Record<string, unknown> }): Promise<RunRecord> {
  assertRunId(input.runId);
  const existing = await runs.get(input.runId, input.store);
  if (existing !== undefined) return existing;
  const now = clock.now().toISOString();
  const record: RunRecord = {
    runId: input.runId,
    store: input.store,
    trigger: input.trigger,
    status: 'queued',
    stage: 'queued',
    progress: 0,
    stages: [{ stage: 'queued', startedAt: now }],
    createdAt: now,
    ...(input.details ? { details: input.details } : {}),
  };
  await runs.put(record);
  return record;
}

export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/**
 * Records that a store's run failed, for callers that are not the trainer itself (an orchestrator whose
 * job died or timed out): the run is marked failed, the store keeps its forecasts and is flagged stale.
 */
export async function failStoreRun(deps: Pick<StoragePorts, 'runs' | 'stores'>, clock: Clock, input: { runId: string; store: string; trigger: RunTrigger; reason: string }): Promise<void> {
  assertRunId(input.runId);
  const now = clock.now();
  const existing = await deps.runs.get(input.runId, input.store);
  if (existing?.status === 'succeeded') return;
  const started = Date.parse(existing?.startedAt ?? existing?.createdAt ?? now.toISOString());
  await deps.runs.put({
    runId: input.runId,
    store: input.store,
    trigger: existing?.trigger ?? input.trigger,
    status: 'failed',
    stage: 'failed',
    progress: 1,
    stages: existing?.stages ?? [],
    createdAt: existing?.createdAt ?? now.toISOString(),
    ...(existing?.startedAt ? { startedAt: existing.startedAt } : {}),
    finishedAt: now.toISOString(),
    durationMs: now.getTime() - started,
    error: input.reason,
    // The attempt count: a later attempt (a retried pod) must not reuse an earlier attempt's id.
    ...(existing?.details ? { details: existing.details } : {}),
  });
  await markStale(deps.stores, input.store, `run ${input.runId} failed: ${input.reason}`, now, { runId: input.runId, status: 'failed', error: input.reason });
}

export interface CleanupResult {
  runsDeleted: number;
  forecastRowsDeleted: number;
  kept: number;
}

/**
 * Deletes runs older than the retention period, with their forecasts. A store's current run and the one
 * before it are never deleted: the current one is what the dashboard shows, and the previous one may still
 * be being read by a request that resolved the pointer just before it switched.
 */
export async function cleanupExpiredRuns(deps: Pick<StoragePorts, 'runs' | 'stores' | 'forecasts'>, now: Date, retentionDays: number, store?: string): Promise<CleanupResult> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  const expired = await deps.runs.listCreatedBefore(cutoff, store);
  const protectedRuns = new Map<string, Set<string>>();
  const result: CleanupResult = { runsDeleted: 0, forecastRowsDeleted: 0, kept: 0 };
  for (const run of expired) {
    if (run.store !== undefined) {
      let keep = protectedRuns.get(run.store);
      if (keep === undefined) {
        const state = (await deps.stores.get(run.store))?.value;
        keep = new Set([state?.current?.runId, state?.previousRunId].filter((r): r is string => r !== undefined));
        protectedRuns.set(run.store, keep);
      }
      // Every attempt of the run published (or began to publish) under its own id.
      const ids = Array.from({ length: attemptsOf(run) }, (_, i) => attemptRunId(run.runId, i + 1));
      if (ids.some((id) => keep.has(id))) {
        result.kept++;
        continue;
      }
      for (const id of ids) result.forecastRowsDeleted += await deps.forecasts.deleteRun(run.store, id);
    }
    await deps.runs.delete(run.runId, run.store);
    result.runsDeleted++;
  }
  return result;
}
