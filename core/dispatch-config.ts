import { z } from 'zod';

/**
 * Settings of the orchestrations and training dispatch, read once and validated with zod so a typo in an
 * app setting stops the worker at start-up with the setting's name. Kept apart from core/config.ts
 * (storage and model settings) because only the orchestration side needs them.
 */

function intSetting(fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v.trim()))
    .pipe(z.string().regex(/^\d+$/, 'must be a whole number'))
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

function numberSetting(fallback: number, min: number, max: number) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v.trim()))
    .pipe(z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative number'))
    .transform(Number)
    .pipe(z.number().min(min).max(max));
}

function text(fallback?: string) {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()));
}

export const dispatchSettingsSchema = z.object({
  FOREACT_DISPATCH: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'local' : v.trim()))
    .pipe(z.enum(['local', 'aks'])),
  /** Sub-orchestrations (and so Jobs) running at once in the morning run. */
  FOREACT_MORNING_CONCURRENCY: intSetting(50, 1, 10_000),
  FOREACT_REFRESH_DEADLINE_SECONDS: intSetting(240, 10, 3600),
  /** A morning-run store whose job has not finished after this is failed (kept stale). */
  FOREACT_TRAINING_TIMEOUT_SECONDS: intSetting(1800, 10, 86_400),
  FOREACT_POLL_SECONDS: numberSetting(5, 0.05, 600),
  FOREACT_LOCAL_WORKERS: intSetting(0, 0, 256),
  FOREACT_LOCAL_TRAINER_MODULE: text(),
  FOREACT_AKS_SUBSCRIPTION_ID: text(),
  FOREACT_AKS_RESOURCE_GROUP: text(),
  FOREACT_AKS_CLUSTER: text(),
  FOREACT_AKS_POOL: text('training'),
  FOREACT_AKS_NAMESPACE: text('foreact'),
  FOREACT_AKS_IMAGE: text(),
  FOREACT_AKS_SERVICE_ACCOUNT: text('foreact-trainer'),
  FOREACT_AKS_WORKLOAD_CLIENT_ID: text(),
  FOREACT_AKS_POOL_MIN: intSetting(0, 0, 1000),
  FOREACT_AKS_POOL_MAX: intSetting(20, 1, 1000),
  FOREACT_AKS_PODS_PER_NODE: intSetting(4, 1, 250),
  /** Seconds the morning run may take on the training pool; sizes the pool with the seconds per store. */
  FOREACT_AKS_WINDOW_SECONDS: intSetting(1800, 60, 86_400),
  /** Used until a morning run has measured it. */
  FOREACT_SECONDS_PER_STORE: numberSetting(5, 0.01, 3600),
  FOREACT_K8S_REQUEST_TIMEOUT_MS: intSetting(15_000, 100, 600_000),
  /** Optional ARM endpoint override (sovereign clouds; a fake ARM server in tests). */
  FOREACT_ARM_ENDPOINT: text(),
});

export interface DispatchConfig {
  backend: 'local' | 'aks';
  morningConcurrency: number;
  refreshDeadlineSeconds: number;
  trainingTimeoutSeconds: number;
  pollSeconds: number;
  local: { workers: number; trainerModule: string | undefined };
  aks: {
    subscriptionId: string | undefined;
    resourceGroup: string | undefined;
    cluster: string | undefined;
    pool: string;
    namespace: string;
    image: string | undefined;
    serviceAccount: string;
    workloadClientId: string | undefined;
    poolMin: number;
    poolMax: number;
    podsPerNode: number;
    windowSeconds: number;
    requestTimeoutMs: number;
    armEndpoint: string | undefined;
  };
  secondsPerStore: number;
}

export class DispatchConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`configuration: ${setting}: ${message}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadDispatchConfig(env: Env = process.env): DispatchConfig {
  const parsed = dispatchSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? '(unknown)');
    throw new DispatchConfigError(setting, `${issue.message} (got "${env[setting] ?? ''}")`);
  }
  const s = parsed.data;
  if (s.FOREACT_DISPATCH === 'aks') {
    for (const name of ['FOREACT_AKS_SUBSCRIPTION_ID', 'FOREACT_AKS_RESOURCE_GROUP', 'FOREACT_AKS_CLUSTER', 'FOREACT_AKS_IMAGE'] as const) {
      if (s[name] === undefined) throw new DispatchConfigError(name, 'is required when FOREACT_DISPATCH=aks');
    }
  }
  if (s.FOREACT_AKS_POOL_MIN > s.FOREACT_AKS_POOL_MAX) throw new DispatchConfigError('FOREACT_AKS_POOL_MIN', 'must not exceed FOREACT_AKS_POOL_MAX');
  return {
    backend: s.FOREACT_DISPATCH,
    morningConcurrency: s.FOREACT_MORNING_CONCURRENCY,
    refreshDeadlineSeconds: s.FOREACT_REFRESH_DEADLINE_SECONDS,
    trainingTimeoutSeconds: s.FOREACT_TRAINING_TIMEOUT_SECONDS,
    pollSeconds: s.FOREACT_POLL_SECONDS,
    local: { workers: s.FOREACT_LOCAL_WORKERS, trainerModule: s.FOREACT_LOCAL_TRAINER_MODULE },
    aks: {
      subscriptionId: s.FOREACT_AKS_SUBSCRIPTION_ID,
      resourceGroup: s.FOREACT_AKS_RESOURCE_GROUP,
      cluster: s.FOREACT_AKS_CLUSTER,
      pool: s.FOREACT_AKS_POOL ?? 'training',
      namespace: s.FOREACT_AKS_NAMESPACE ?? 'foreact',
      image: s.FOREACT_AKS_IMAGE,
      serviceAccount: s.FOREACT_AKS_SERVICE_ACCOUNT ?? 'foreact-trainer',
      workloadClientId: s.FOREACT_AKS_WORKLOAD_CLIENT_ID,
      poolMin: s.FOREACT_AKS_POOL_MIN,
      poolMax: s.FOREACT_AKS_POOL_MAX,
      podsPerNode: s.FOREACT_AKS_PODS_PER_NODE,
      windowSeconds: s.FOREACT_AKS_WINDOW_SECONDS,
      requestTimeoutMs: s.FOREACT_K8S_REQUEST_TIMEOUT_MS,
      armEndpoint: s.FOREACT_ARM_ENDPOINT,
    },
    secondsPerStore: s.FOREACT_SECONDS_PER_STORE,
  };
}

let cached: DispatchConfig | undefined;

export function getDispatchConfig(): DispatchConfig {
  cached ??= loadDispatchConfig();
  return cached;
}

export function resetDispatchConfigCache(): void {
  cached = undefined;
}
