import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the compiled entry points and shipped files are, in every layout Foreact runs from: the
 * repository (sources under vitest, or `dist/`), the unpacked Function App zip and the training image.
 * Each of them has the app's package.json at its root, beside `dist/` and `k8s-training/job.yaml`, so
 * the root is found by walking up, never by guessing how deep `dist/` is.
 */
export interface EntryPoints {
  /** The package root (holds package.json). */
  root: string;
  /** Compiled trainer: what a training Job's pod runs. */
  trainerModule: string;
  /** Compiled worker-thread entry of the `local` backend (the same contract as the trainer, in a thread). */
  trainingWorker: string;
  /** Compiled worker-thread entry of the batch CLI (`foreact forecast` trains stores in parallel). */
  forecastWorker: string;
  /** The Job template the `aks` backend fills (shipped in the zip beside `dist/`). */
  jobTemplate: string;
}

const PACKAGE_NAME = 'foreact';

export function packageRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === PACKAGE_NAME) return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json at or above ${from}`);
  }
}

export function entryPoints(root: string = packageRoot()): EntryPoints {
  return {
    root,
    trainerModule: join(root, 'dist', 'k8s-training', 'trainer.js'),
    trainingWorker: join(root, 'dist', 'k8s-training', 'worker.js'),
    forecastWorker: join(root, 'dist', 'cli', 'train-worker.js'),
    jobTemplate: join(root, 'k8s-training', 'job.yaml'),
  };
}
