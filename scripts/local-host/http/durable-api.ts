import type { DurableEngine } from '../durable.js';
import { NotFoundError } from '../durable.js';
import { readBody, sendJson, type HttpHandler } from './util.js';

/**
 * The durable client input binding the extension gives a function: where the client sends its calls.
 * `baseUrl` is the host's address (known once the server listens).
 */
export function durableClientBinding(baseUrl: string, taskHub: string): Record<string, unknown> & { managementUrls: Record<string, string> } {
  const b = `${baseUrl}/runtime/webhooks/durabletask`;
  const q = `taskHub=${taskHub}&connection=Storage`;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: `${b}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${b}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${b}/instances/INSTANCEID?${q}`,
      sendEventPostUri: `${b}/instances/INSTANCEID/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${b}/instances/INSTANCEID/terminate?reason={text}&${q}`,
      rewindPostUri: `${b}/instances/INSTANCEID/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${b}/instances/INSTANCEID?${q}`,
      restartPostUri: `${b}/instances/INSTANCEID/restart?${q}`,
      suspendPostUri: `${b}/instances/INSTANCEID/suspend?reason={text}&${q}`,
      resumePostUri: `${b}/instances/INSTANCEID/resume?reason={text}&${q}`,
    },
    baseUrl: b,
    requiredQueryStringParameters: q,
    // With rpcBaseUrl set, durable-functions 3.x sends every client call to `<rpcBaseUrl>orchestrators/…`
    // and `<rpcBaseUrl>instances/…`, as it does against the real extension's local RPC endpoint.
    rpcBaseUrl: `${b}/`,
    httpBaseUrl: b,
  };
}

/** The Durable extension's HTTP API (paths under /runtime/webhooks/durabletask/), answered by the engine. */
export function durableApiHandler(durable: DurableEngine, clientBinding: () => ReturnType<typeof durableClientBinding>): HttpHandler {
  const managementPayload = (id: string): Record<string, string> => {
    const out: Record<string, string> = { id };
    for (const [k, v] of Object.entries(clientBinding().managementUrls)) if (k !== 'id') out[k] = v.replace('INSTANCEID', encodeURIComponent(id));
    return out;
  };
  return async (req, res, url, parts) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const [kind, a, b, c] = parts.map(decodeURIComponent);
    if (kind === 'orchestrators' && a && method === 'POST') {
      const text = (await readBody(req)).toString('utf8');
      let input: unknown;
      try {
        input = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'The request body is not valid JSON' });
      }
      try {
        const { id, created } = await durable.startNew(a, b, input);
        if (!created) return sendJson(res, 409, { error: `An instance with ID '${id}' already exists and is not in a completed, failed or terminated state.` });
        const p = managementPayload(id);
        return sendJson(res, 202, p, { Location: p.statusQueryGetUri ?? '' });
      } catch (err) {
        if (err instanceof NotFoundError) return sendJson(res, 400, { error: err.message });
        throw err;
      }
    }
    if (kind === 'instances') {
      const q = url.searchParams;
      const filter = {
        runtimeStatus: q.get('runtimeStatus')?.split(',').filter(Boolean),
        createdTimeFrom: q.get('createdTimeFrom') ?? undefined,
        createdTimeTo: q.get('createdTimeTo') ?? undefined,
      };
      if (!a) {
        if (method === 'GET') return sendJson(res, 200, await durable.listInstances(filter));
        if (method === 'DELETE') {
          const n = await durable.purgeBy(filter);
          return n > 0 ? sendJson(res, 200, { instancesDeleted: n }) : sendJson(res, 404, { instancesDeleted: 0 });
        }
      } else if (!b) {
        if (method === 'GET') {
          const s = await durable.getStatus(a, {
            showHistory: q.get('showHistory') === 'true',
            showHistoryOutput: q.get('showHistoryOutput') === 'true',
            showInput: q.get('showInput') !== 'false',
          });
          if (!s) return sendJson(res, 404, { error: `No instance with ID '${a}'` });
          return sendJson(res, s.runtimeStatus === 'Running' || s.runtimeStatus === 'Pending' ? 202 : 200, s);
        }
        if (method === 'DELETE') {
          const n = await durable.purge(a);
          return n > 0 ? sendJson(res, 200, { instancesDeleted: n }) : sendJson(res, 404, { instancesDeleted: 0 });
        }
      } else if (method === 'POST' && (b === 'raiseEvent' || b === 'terminate')) {
        let outcome: 'ok' | 'notFound' | 'gone';
        if (b === 'raiseEvent') {
          if (!c) return sendJson(res, 400, { error: 'Missing event name' });
          const text = (await readBody(req)).toString('utf8');
          outcome = await durable.raiseEvent(a, c, text.trim() === '' ? null : JSON.parse(text));
        } else {
          outcome = await durable.terminate(a, q.get('reason') ?? '');
        }
        if (outcome === 'notFound') return sendJson(res, 404, { error: `No instance with ID '${a}'` });
        if (outcome === 'gone') return sendJson(res, 410, { error: `Instance '${a}' already finished` });
        res.writeHead(202).end();
        return;
      } else if (method === 'POST') {
        return sendJson(res, 501, { error: `'${b}' is not implemented by the local host` });
      }
    }
    sendJson(res, 404, { error: 'Not Found' });
  };
}
