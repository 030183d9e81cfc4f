import { parseArgs } from 'node:util';
import { ConfigError, getConfig, loadConfig, type AppConfig } from '../core/config.js';
import { openStorage } from '../core/adapters/azure/index.js';
import { RUN_TRIGGERS, type RunTrigger } from '../core/domain/model.js';
import { failStoreRun } from '../core/domain/runs.js';
import { trainAndPublishStore as trainAndPublish, type TrainStoreOutcome, type TrainStoreRequest } from '../core/domain/train-and-publish.js';
import { systemClock } from '../core/ports/index.js';

/**
 * The trainer a job pod (or a local worker thread) runs for one store:
 *   node dist/k8s-training/trainer.js --store <id> --run <runId> [--trigger morning|refresh|ingest|manual]
 * Storage and forecast settings come from the environment (see core/config.ts). Exit 0 only when the
 * forecasts are published; otherwise the run is marked failed and the store's previous forecasts stay.
 */

const USAGE = 'usage: node dist/k8s-training/trainer.js --store <id> --run <runId> [--trigger morning|refresh|ingest|manual]';

/** Fault injection for tests and drills (`FOREACT_TRAINER_HOLD_BEFORE_SWITCH_MS`): pause after writing forecasts, before the pointer switch. */
function holdBeforeSwitch(config: AppConfig): (() => Promise<void>) | undefined {
  const ms = config.testHooks.trainerHoldBeforeSwitchMs;
  if (ms <= 0) return undefined;
  return () => new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * In-process entry point (worker-thread backend): trains and publishes one store with the process's
 * configuration. Throws on failure, after recording it.
 */
export async function trainAndPublishStore(request: TrainStoreRequest, config: AppConfig = getConfig()): Promise<TrainStoreOutcome> {
  const storage = await openStorage(config);
  const beforeSwitch = holdBeforeSwitch(config);
  return trainAndPublish(
    { ...storage, clock: systemClock },
    { horizonDays: config.forecast.horizonDays, backtestFolds: config.forecast.backtestFolds, championTolerance: config.forecast.championTolerance },
    request,
    beforeSwitch ? { beforeSwitch } : {},
  );
}

/** The request comes from the command line; the Job spec also sets the trigger as `FOREACT_RUN_TRIGGER` (a per-Job value, not an app setting). */
function parse(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): TrainStoreRequest {
  const { values } = parseArgs({ args: [...argv], options: { store: { type: 'string' }, run: { type: 'string' }, trigger: { type: 'string' } }, strict: true });
  if (!values.store || !values.run) throw new TypeError(`--store and --run are required\n${USAGE}`);
  const trigger = (values.trigger ?? env.FOREACT_RUN_TRIGGER ?? 'manual') as RunTrigger;
  if (!RUN_TRIGGERS.includes(trigger)) throw new TypeError(`--trigger must be one of ${RUN_TRIGGERS.join(', ')}`);
  return { store: values.store, runId: values.run, trigger };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let request: TrainStoreRequest;
  let config: AppConfig;
  try {
    request = parse(argv, env);
    config = loadConfig(env);
  } catch (error) {
    process.stderr.write(`trainer: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 78 : 2;
  }
  const log = (message: string): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), store: request.store, runId: request.runId, message })}\n`);
  };
  // Kubernetes sends SIGTERM before killing a pod (deadline, eviction): record why the run ended, so the
  // dashboard says "terminated" instead of a run that stays "running" forever.
  const onTerm = (): void => {
    log('SIGTERM: marking the run failed');
    void openStorage(config)
      .then((storage) => failStoreRun(storage, systemClock, { ...request, reason: 'trainer terminated (SIGTERM) before publishing' }))
      .finally(() => process.exit(143));
  };
  process.once('SIGTERM', onTerm);
  try {
    const outcome = await trainAndPublishStore(request, config);
    log(`published ${outcome.items} item forecasts from model ${outcome.servedVersion} (${outcome.decision.reason}) in ${outcome.durationMs} ms${outcome.switched ? '' : '; a run on newer history was already current'}`);
    return 0;
  } catch (error) {
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    process.off('SIGTERM', onTerm);
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
