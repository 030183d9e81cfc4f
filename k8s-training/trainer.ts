import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type AppConfig } from '../core/config.js';
import { RUN_TRIGGERS, type RunTrigger } from '../core/domain/model.js';
import { failStoreRun } from '../core/domain/runs.js';
import type { StoreTrainingOutcome, TrainStoresRequest } from '../core/domain/train-and-publish.js';
import type { PooledJobRequest } from '../core/domain/pooled-step.js';
import { runAttributes, withSpan } from '../core/adapters/telemetry.js';
import { createRuntime, type Runtime } from '../core/runtime.js';

/**
 * The trainer a training Job's pod runs for one store or a batch of stores (k8s-training/worker.ts is its
 * twin in a worker thread, for the local backend):
 *   node dist/k8s-training/trainer.js --store=<id> [--store=<id> …] --run=<runId> [--trigger=morning|refresh|ingest|manual]
 *   (the Job spec passes `--name=value`, so an id is never read as an option; `--store <id>` works too)
 *   node dist/k8s-training/trainer.js --stores <id>,<id>,… --run <runId> …
 * Storage and forecast settings come from the environment (see core/config.ts). Stores are trained one
 * after another; each store's outcome is its run record (a failing store is marked failed and keeps its
 * previous forecasts; the next store still trains). Exit 0 when at least one store published (one store:
 * exactly "published"), 1 when none did, so Kubernetes retries a pod that achieved nothing; a retried
 * pod skips the stores that already succeeded in this run.
 */

const USAGE = 'usage: node dist/k8s-training/trainer.js (--store <id> [--store <id> …] | --stores <id>,<id>,…) --run <runId> [--trigger morning|refresh|ingest|manual] [--pooled-version <runId> | --no-pooled]\n       node dist/k8s-training/trainer.js --pooled --run <runId> [--trigger …]';

/** What a trainer process does: train stores, or the morning run's pooled step (`--pooled`). */
export type TrainerJob = TrainStoresRequest | (PooledJobRequest & { mode: 'pooled' });

/**
 * The request comes from the command line; the Job spec also sets the trigger as `FOREACT_RUN_TRIGGER` (a
 * per-Job value, not an app setting). A store job reads the pooled artifact `--pooled-version` names (its
 * morning run's), none with `--no-pooled` (the run's pooled step failed), else the latest.
 */
export function parse(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): TrainerJob {
  const { values } = parseArgs({
    args: [...argv],
    options: { store: { type: 'string', multiple: true }, stores: { type: 'string' }, run: { type: 'string' }, trigger: { type: 'string' }, pooled: { type: 'boolean' }, 'pooled-version': { type: 'string' }, 'no-pooled': { type: 'boolean' } },
    strict: true,
  });
  const stores = [...(values.store ?? []), ...(values.stores ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')];
  const trigger = (values.trigger ?? env.FOREACT_RUN_TRIGGER ?? 'manual') as RunTrigger;
  if (!RUN_TRIGGERS.includes(trigger)) throw new TypeError(`--trigger must be one of ${RUN_TRIGGERS.join(', ')}`);
  if (values.pooled) {
    if (!values.run || stores.length > 0 || values['pooled-version'] !== undefined || values['no-pooled']) throw new TypeError(`--pooled takes --run (and --trigger) only\n${USAGE}`);
    return { mode: 'pooled', runId: values.run, trigger };
  }
  if (stores.length === 0 || !values.run) throw new TypeError(`--store (or --stores) and --run are required\n${USAGE}`);
  if (new Set(stores).size !== stores.length) throw new TypeError(`a store is listed twice\n${USAGE}`);
  if (values['pooled-version'] !== undefined && values['no-pooled']) throw new TypeError(`--pooled-version and --no-pooled exclude each other\n${USAGE}`);
  const pooled = values['pooled-version'] !== undefined ? { pooled: { version: values['pooled-version'] } } : values['no-pooled'] ? { pooled: 'none' as const } : {};
  return { stores, runId: values.run, trigger, ...pooled };
}

function published(o: StoreTrainingOutcome): string {
  const outcome = o.outcome;
  if (!outcome) return `published in ${o.durationMs ?? '?'} ms`;
  return `published ${outcome.items} item forecasts from model ${outcome.servedVersion} (${outcome.decision.reason}) in ${outcome.durationMs} ms${outcome.switched ? '' : '; a run on newer history was already current'}`;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let job: TrainerJob;
  let config: AppConfig;
  try {
    job = parse(argv, env);
    config = loadConfig(env);
  } catch (error) {
    process.stderr.write(`trainer: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 78 : 2;
  }
  // The pod's one runtime: its settings, telemetry and deps.
  const runtime = createRuntime(config);
  if ('mode' in job) return pooledMain(job, runtime, env);
  const request: TrainStoresRequest = job;
  // JSON lines with level, traceId, spanId, runId, store, trigger (ContainerLogV2 parses them), and the
  // same records to Application Insights when it is configured.
  const log = (store: string, message: string, level: 'info' | 'warn' | 'error' = 'info'): void => {
    runtime.telemetry.logger({ runId: request.runId, store, trigger: request.trigger })[level](message);
  };
  let current: string | undefined;
  // Kubernetes sends SIGTERM before killing a pod (deadline, eviction): record why the store's run ended,
  // so the dashboard says "terminated" instead of a run that stays "running" forever. Stores of the batch
  // that had not started are failed by the orchestration (they have no succeeded run record).
  const onTerm = (): void => {
    const store = current ?? request.stores[0]!;
    log(store, 'SIGTERM: marking the run failed');
    void runtime
      .deps()
      .then(({ storage, clock }) => failStoreRun(storage, clock, { store, runId: request.runId, trigger: request.trigger, reason: 'trainer terminated (SIGTERM) before publishing' }))
      .finally(() => void runtime.telemetry.flush().finally(() => process.exit(143)));
  };
  process.once('SIGTERM', onTerm);
  try {
    const ready = await runtime.deps();
    // A child of the dispatching activity's span (the Job's env TRACEPARENT, a per-Job value like the trigger).
    const attributes = { ...runAttributes({ runId: request.runId, trigger: request.trigger, ...(request.stores.length === 1 ? { store: request.stores[0] } : {}) }), stores: request.stores.join(',') };
    return await withSpan('train stores', { traceparent: env.TRACEPARENT, attributes }, async () => {
      const outcomes = await ready.trainStores(request, (store) => {
        current = store;
      });
      for (const o of outcomes) log(o.store, o.status === 'failed' ? `failed: ${o.error ?? ''}` : o.status === 'skipped' ? 'already succeeded in this run: skipped' : published(o), o.status === 'failed' ? 'error' : 'info');
      return outcomes.some((o) => o.status !== 'failed') ? 0 : 1;
    });
  } catch (error) {
    log(current ?? request.stores.join(','), `failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
    return 1;
  } finally {
    process.off('SIGTERM', onTerm);
    // Spans are batched: export them before the pod's process ends.
    await runtime.telemetry.flush();
  }
}

/**
 * The pooled step's pod: every store's history into one fit, the run's artifact written, then the pointer.
 * Exit 0 when the artifact and its pointer are written, 1 otherwise (the Job retries the pod; a retry after
 * the version was recorded only re-points). SIGTERM needs no handling: nothing is half-visible before the
 * pointer, and the orchestration records the step's failure itself.
 */
async function pooledMain(request: PooledJobRequest, runtime: Runtime, env: NodeJS.ProcessEnv): Promise<number> {
  const log = runtime.telemetry.logger({ runId: request.runId, trigger: request.trigger });
  try {
    const ready = await runtime.deps();
    return await withSpan('train pooled', { traceparent: env.TRACEPARENT, attributes: { ...runAttributes({ runId: request.runId, trigger: request.trigger }), mode: 'pooled' } }, async () => {
      const outcome = await ready.trainPooled(request);
      log.info(`pooled artifact ${outcome.version}: ${outcome.stores} store(s), ${outcome.series} series, ${outcome.groups} group(s), ${outcome.rows} rows in ${outcome.durationMs} ms`);
      for (const note of outcome.notes) log.warn(note);
      return 0;
    });
  } catch (error) {
    log.error(`pooled step failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await runtime.telemetry.flush();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`trainer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
