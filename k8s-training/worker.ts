import { parentPort, workerData } from 'node:worker_threads';
import { buildDeps, type AppDeps } from '../core/composition.js';
import type { TrainingWorkerData, TrainingWorkerMessage, TrainingWorkerReply } from '../core/adapters/dispatch/local.js';

/**
 * The `local` backend's worker thread: the in-process twin of a training Job's pod. It builds its deps
 * from the configuration it was started with and runs the same "train these stores" contract.
 */
if (parentPort === null) throw new Error('k8s-training/worker.js runs as a worker thread of the local dispatch backend');
const port = parentPort;
const { config } = workerData as TrainingWorkerData;
let deps: Promise<AppDeps> | undefined;

port.on('message', (message: TrainingWorkerMessage) => {
  deps ??= buildDeps(config);
  const reply = async (): Promise<TrainingWorkerReply> => {
    try {
      const ready = await deps!;
      if (message.warm) return { id: message.id, outcomes: [] };
      return { id: message.id, outcomes: await ready.trainStores(message.request) };
    } catch (error) {
      // Building deps failed (storage unreachable): the next request tries again.
      deps = undefined;
      return { id: message.id, error: error instanceof Error ? error.message : String(error) };
    }
  };
  void reply().then((r) => {
    if (!message.warm) port.postMessage(r);
  });
});
