import { parentPort, workerData } from 'node:worker_threads';
import type { TrainingWorkerData, TrainingWorkerMessage, TrainingWorkerReply, TrainingWorkerSpans } from '../core/adapters/dispatch/local.js';
import { runAttributes, withSpan } from '../core/adapters/telemetry.js';
import { createRuntime } from '../core/runtime.js';

/**
 * The `local` backend's worker thread: the in-process twin of a training Job's pod. Its runtime is built
 * from the configuration it was started with; it runs the same "train these stores" contract.
 */
if (parentPort === null) throw new Error('k8s-training/worker.js runs as a worker thread of the local dispatch backend');
const port = parentPort;
const { config } = workerData as TrainingWorkerData;
// This thread's spans go to the parent, which exports them (console, OTLP, a test's exporter) with its own.
const runtime = createRuntime(config, { telemetry: { forward: (spans) => port.postMessage({ spans } satisfies TrainingWorkerSpans) } });
const { logger } = runtime.telemetry;

port.on('message', (message: TrainingWorkerMessage) => {
  const reply = async (): Promise<TrainingWorkerReply> => {
    try {
      const ready = await runtime.deps();
      if (message.warm) return { id: message.id, outcomes: [] };
      if ('pooled' in message) {
        const { pooled } = message;
        const attributes = { ...runAttributes({ runId: pooled.runId, trigger: pooled.trigger }), mode: 'pooled' };
        // A child of the dispatching activity's span, like a store job's; its steps (load, fit, write) nest under it.
        const outcome = await withSpan('train pooled', { traceparent: message.traceparent, attributes }, () => ready.trainPooled(pooled));
        logger({ runId: pooled.runId, trigger: pooled.trigger }).info(`pooled artifact ${outcome.version}: ${outcome.stores} store(s), ${outcome.groups} group(s), ${outcome.rows} rows in ${outcome.durationMs} ms`, { left: outcome.left.length });
        return { id: message.id, pooled: outcome };
      }
      const { request } = message;
      const run = { runId: request.runId, trigger: request.trigger };
      const attributes = { ...runAttributes({ ...run, ...(request.stores.length === 1 ? { store: request.stores[0] } : {}) }), stores: request.stores.join(',') };
      // A child of the dispatching activity's span: the store steps (load history … publish) nest under it.
      const outcomes = await withSpan('train stores', { traceparent: message.traceparent, attributes }, () => ready.trainStores(request));
      for (const o of outcomes) logger({ ...run, store: o.store })[o.status === 'failed' ? 'warn' : 'info'](o.status === 'failed' ? `failed: ${o.error ?? ''}` : o.status, { durationMs: o.durationMs });
      return { id: message.id, outcomes };
    } catch (error) {
      // Building deps failed (storage unreachable): the runtime tries again on the next request.
      return { id: message.id, error: error instanceof Error ? error.message : String(error) };
    }
  };
  void reply().then((r) => {
    if (!message.warm) port.postMessage(r);
  });
});
