import { isRunStatus, RUN_STAGES, STAGE_PROGRESS, TRAINER_STEP_STAGE, type RunStage, type RunStatus } from './run-stages.js';
import type { RunRecord } from './model.js';

/** Run ids the API hands out for refreshes: `refresh-<timestamp>-<hex>.<store>` (store ids have no ':' and the prefix no '.'). */
export function refreshRunId(baseRunId: string, store: string): string {
  return `${baseRunId}.${store}`;
}

function storeAfterDot(runId: string): string | undefined {
  const dot = runId.indexOf('.');
  if (dot < 0 || dot === runId.length - 1) return undefined;
  return runId.slice(dot + 1);
}

/** The store of a refresh run id; undefined for any other run. */
export function storeOfRunId(runId: string): string | undefined {
  return runId.startsWith('refresh-') ? storeAfterDot(runId) : undefined;
}

/**
 * Run ids of check runs (a one-store morning run started after a deploy): `check-<timestamp>-<hex>.<store>`,
 * apart from the day's `morning-<date>` and from refreshes by their prefix.
 */
export function checkRunId(baseRunId: string, store: string): string {
  return `${baseRunId}.${store}`;
}

/** The store of a check run id; undefined for any other run. */
export function storeOfCheckRunId(runId: string): string | undefined {
  return runId.startsWith('check-') ? storeAfterDot(runId) : undefined;
}

export const API_STAGES = RUN_STAGES;
export type ApiStage = RunStage;
export type ApiRunStatus = RunStatus;

/** The refresh orchestration's custom status (set by orchestrations/…). */
export interface RefreshCustomStatus {
  stage?: string;
  runId?: string;
  store?: string;
  startedAt?: string;
  stages?: { stage: string; at: string }[];
  error?: unknown;
}

/** What the durable client tells about an instance, reduced to plain data. */
export interface InstanceSnapshot {
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  input: unknown;
  customStatus: unknown;
  output: unknown;
}

const FRACTION = STAGE_PROGRESS;

function iso(v: unknown, fallback: string): string {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : fallback;
}

function errorMessage(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e !== null && typeof e === 'object' && 'message' in e && typeof (e).message === 'string') return (e as { message: string }).message;
  return 'the refresh failed';
}

export function runIdOfInstance(s: InstanceSnapshot): string | undefined {
  const cs = (s.customStatus ?? {}) as RefreshCustomStatus;
  if (typeof cs.runId === 'string') return cs.runId;
  const input = s.input as { runId?: unknown } | null;
  return typeof input?.runId === 'string' ? input.runId : undefined;
}

export function isActive(s: InstanceSnapshot): boolean {
  return s.runtimeStatus === 'Pending' || s.runtimeStatus === 'Running' || s.runtimeStatus === 'ContinuedAsNew';
}

export function statusOfInstance(s: InstanceSnapshot): ApiRunStatus {
  const cs = (s.customStatus ?? {}) as RefreshCustomStatus;
  if (s.runtimeStatus === 'Failed' || s.runtimeStatus === 'Terminated' || s.runtimeStatus === 'Canceled') return 'failed';
  if (isRunStatus(cs.stage)) return cs.stage;
  if (s.runtimeStatus === 'Completed') return 'done';
  return 'queued';
}

/** The `Run` body of GET /api/runs/{id} from a refresh instance. */
export function runFromInstance(runId: string, store: string, s: InstanceSnapshot) {
  const cs = (s.customStatus ?? {}) as RefreshCustomStatus;
  const status = statusOfInstance(s);
  const createdAt = iso(cs.startedAt, iso(s.createdTime, new Date(0).toISOString()));
  const updatedAt = iso(s.lastUpdatedTime, createdAt);
  const marks = (Array.isArray(cs.stages) ? cs.stages : []).filter((m) => typeof m?.stage === 'string' && typeof m.at === 'string');
  const at = (stage: string): string | undefined => marks.find((m) => m.stage === stage)?.at;
  const finished = status === 'done' || status === 'failed';
  const finishedAt = finished ? iso(at(status), updatedAt) : null;
  const errorObj = (cs.error ?? (status === 'failed' ? s.output : undefined));
  const failedStage = (API_STAGES as readonly string[]).slice().reverse().find((st) => at(st) !== undefined) as ApiStage | undefined;
  const currentIndex = status === 'done' ? API_STAGES.length : status === 'failed' ? (failedStage ? API_STAGES.indexOf(failedStage) : 0) : API_STAGES.indexOf(status);
  const stages = API_STAGES.map((name, i) => {
    const startedAt = at(name) ?? (name === 'queued' ? createdAt : undefined);
    const next = API_STAGES.slice(i + 1).map(at).find((v) => v !== undefined) ?? (finished ? (finishedAt ?? undefined) : undefined);
    let st: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
    // A stage before the current one was passed through even when no mark was recorded for it: a job that
    // finishes between two status polls never shows `running`, yet it trained (publishing needs a model).
    if (i < currentIndex) st = 'done';
    else if (i === currentIndex) st = status === 'failed' ? 'failed' : status === 'done' ? 'done' : 'running';
    else st = 'pending';
    const done = st === 'done' || st === 'failed';
    const fin = done && startedAt !== undefined ? (next ?? null) : null;
    return {
      name,
      status: st,
      startedAt: startedAt === undefined ? null : iso(startedAt, createdAt),
      finishedAt: fin === null ? null : iso(fin, updatedAt),
      durationMs: fin !== null && startedAt !== undefined ? Math.max(0, Math.round(Date.parse(fin) - Date.parse(startedAt))) : null,
    };
  });
  return {
    runId,
    kind: 'refresh' as const,
    stores: [store],
    status,
    createdAt,
    updatedAt,
    finishedAt,
    progress: { fraction: FRACTION[status], message: status === 'done' ? 'done' : status === 'failed' ? 'failed' : `${status}` },
    stages,
    error: status === 'failed' ? { code: 'refresh_failed', message: errorMessage(errorObj).slice(0, 2000) || 'the refresh failed', ...(failedStage ? { stage: failedStage } : {}) } : null,
  };
}

const RECORD_STAGE: Readonly<Record<string, ApiStage>> = TRAINER_STEP_STAGE;

/** What a scheduled run's `pooled` says (docs/openapi.yaml `Run.pooled`), from its summary record; undefined when absent or malformed. */
export type RunPooledView = { version: string; durationMs: number; stepMs: number; stores: number; series: number; groups: number; rows: number } | { error: string; stepMs: number } | { skipped: string };

function pooledView(value: unknown): RunPooledView | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.skipped === 'string') return { skipped: v.skipped.slice(0, 2000) };
  const count = (k: string): number | undefined => (typeof v[k] === 'number' && Number.isInteger(v[k]) && v[k] >= 0 ? v[k] : undefined);
  const stepMs = count('stepMs');
  if (stepMs === undefined) return undefined;
  if (typeof v.error === 'string') return { error: v.error.slice(0, 2000), stepMs };
  const [durationMs, stores, series, groups, rows] = ['durationMs', 'stores', 'series', 'groups', 'rows'].map(count);
  if (typeof v.version !== 'string' || durationMs === undefined || stores === undefined || series === undefined || groups === undefined || rows === undefined) return undefined;
  return { version: v.version, durationMs, stepMs, stores, series, groups, rows };
}

/** The `Run` body from the run records storage keeps (finished runs whose instance has been reused). */
export function runFromRecords(runId: string, records: readonly RunRecord[]) {
  const perStore = records.filter((r) => r.store !== undefined);
  const main = records.find((r) => r.store === undefined) ?? perStore[0];
  if (main === undefined) return undefined;
  const status: ApiRunStatus = main.status === 'succeeded' ? 'done' : main.status === 'failed' ? 'failed' : main.status === 'queued' ? 'queued' : (RECORD_STAGE[main.stage] ?? 'training');
  const updatedAt = main.finishedAt ?? main.stages[main.stages.length - 1]?.startedAt ?? main.createdAt;
  // The morning run's pooled step, from its summary record (the stores' records say which version each used).
  const pooled = main.store === undefined && main.trigger === 'morning' ? pooledView(main.details?.pooled) : undefined;
  const stages = API_STAGES.map((name) => {
    const marks = main.stages.filter((s) => RECORD_STAGE[s.stage] === name);
    const first = marks[0];
    const last = marks[marks.length - 1];
    const ms = marks.every((m) => m.ms !== undefined) && marks.length > 0 ? marks.reduce((a, m) => a + (m.ms ?? 0), 0) : null;
    const startedAt = first?.startedAt ?? null;
    const finishedAt = last !== undefined && last.ms !== undefined ? new Date(Date.parse(last.startedAt) + last.ms).toISOString() : null;
    const st = marks.length === 0 ? (status === 'done' ? 'skipped' : 'pending') : finishedAt !== null ? 'done' : status === 'failed' ? 'failed' : 'running';
    return { name, status: st, startedAt, finishedAt, durationMs: ms };
  });
  return {
    runId,
    kind: main.trigger === 'morning' ? ('scheduled' as const) : ('refresh' as const),
    stores: perStore.map((r) => r.store!).sort(),
    status,
    createdAt: main.createdAt,
    updatedAt,
    finishedAt: main.finishedAt ?? null,
    progress: { fraction: Math.min(1, Math.max(0, main.progress)), message: main.stage },
    stages,
    error: status === 'failed' ? { code: 'run_failed', message: (main.error ?? 'the run failed').slice(0, 2000) || 'the run failed' } : null,
    ...(status === 'done' && main.finishedAt ? { result: { generatedAt: main.finishedAt, itemCount: perStore.reduce((a, r) => a + (r.items ?? 0), 0) } } : {}),
    ...(pooled !== undefined ? { pooled } : {}),
  };
}

/** What GET /api/runs/{id} answers for a check run (the post-deploy smoke test reads it). */
export interface CheckRunView {
  runId: string;
  kind: 'check';
  store: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** The backend the run's Job went to (FOREACT_DISPATCH). */
  backend: 'local' | 'aks';
  /** Stores that published a forecast under this run id, and stores that did not. */
  published: string[];
  failed: string[];
  createdAt: string;
  finishedAt: string | null;
  error?: string;
}

/** The summary the morning run returns and records, as far as a check run's view reads it. */
interface CheckSummary {
  finishedAt?: unknown;
  failures?: { store: string; error: string }[];
  skippedStores?: { store: string; reason: string }[];
  check?: { stores?: string[]; published?: string[]; backend?: string };
}

const backendOf = (v: unknown): 'local' | 'aks' | undefined => (v === 'aks' || v === 'local' ? v : undefined);

function fromSummary(base: Omit<CheckRunView, 'status' | 'published' | 'failed' | 'finishedAt' | 'error'>, summary: CheckSummary, finishedAt: string | null): CheckRunView {
  const published = [...(summary.check?.published ?? [])].sort();
  const problems = [...(summary.failures ?? []).map((f) => ({ store: f.store, why: f.error })), ...(summary.skippedStores ?? []).map((s) => ({ store: s.store, why: s.reason }))];
  // Every store asked for that did not publish has failed, whatever the reason.
  const failed = [...new Set([...problems.map((p) => p.store), ...(summary.check?.stores ?? [base.store]).filter((s) => !published.includes(s))])].sort();
  const ok = failed.length === 0 && published.length > 0;
  const view: CheckRunView = { ...base, backend: backendOf(summary.check?.backend) ?? base.backend, status: ok ? 'done' : 'failed', published, failed, finishedAt: typeof summary.finishedAt === 'string' ? summary.finishedAt : finishedAt };
  if (!ok) view.error = (problems.map((p) => `${p.store}: ${p.why}`).join('; ') || 'no store published').slice(0, 2000);
  return view;
}

/** A check run from its orchestration instance (while it is known to the host). */
export function checkRunFromInstance(runId: string, store: string, s: InstanceSnapshot, configuredBackend: 'local' | 'aks'): CheckRunView {
  const cs = (s.customStatus ?? {}) as { stage?: unknown; backend?: unknown };
  const base = { runId, kind: 'check' as const, store, backend: backendOf(cs.backend) ?? configuredBackend, createdAt: iso(s.createdTime, new Date(0).toISOString()) };
  if (s.runtimeStatus === 'Completed') return fromSummary(base, s.output ?? {}, iso(s.lastUpdatedTime, base.createdAt));
  if (s.runtimeStatus === 'Failed' || s.runtimeStatus === 'Terminated' || s.runtimeStatus === 'Canceled') {
    return { ...base, status: 'failed', published: [], failed: [store], finishedAt: iso(s.lastUpdatedTime, base.createdAt), error: errorMessage(s.output).slice(0, 2000) };
  }
  const status = s.runtimeStatus === 'Running' && cs.stage !== undefined && cs.stage !== 'planning' ? 'running' : 'queued';
  return { ...base, status, published: [], failed: [], finishedAt: null };
}

/** A check run from the runs table (its instance purged): the summary when written, else the store's record. */
export function checkRunFromRecords(runId: string, store: string, records: readonly RunRecord[], configuredBackend: 'local' | 'aks'): CheckRunView | undefined {
  const main = records.find((r) => r.store === undefined);
  const own = records.find((r) => r.store === store);
  const first = main ?? own;
  if (first === undefined) return undefined;
  const base = { runId, kind: 'check' as const, store, backend: configuredBackend, createdAt: first.createdAt };
  if (main?.details !== undefined) return fromSummary(base, main.details, main.finishedAt ?? null);
  const status = own?.status === 'succeeded' ? 'done' : own?.status === 'failed' ? 'failed' : 'running';
  return { ...base, status, published: status === 'done' ? [store] : [], failed: status === 'failed' ? [store] : [], finishedAt: own?.finishedAt ?? null, ...(status === 'failed' ? { error: (own?.error ?? 'the run failed').slice(0, 2000) } : {}) };
}
