import type { Registration } from '../registry.js';
import { readBody, safeEqual, sendJson, type HttpHandler } from './util.js';

export interface AdminApiOptions {
  masterKey: string;
  functionsByName: ReadonlyMap<string, Registration>;
  /** Runs a non-HTTP function with this input (in the background: the API answers 202 at once). */
  invoke: (reg: Registration, input: unknown) => Promise<unknown>;
}

/** The real host's admin API (paths under /admin/), master key only: status, the function list, fire a function. */
export function adminApiHandler({ masterKey, functionsByName, invoke }: AdminApiOptions): HttpHandler {
  return async (req, res, _url, parts) => {
    const key = req.headers['x-functions-key'] as string | undefined;
    if (!safeEqual(key, masterKey)) return sendJson(res, 401, { error: 'Unauthorized' });
    if (parts[0] === 'host' && parts[1] === 'status') return sendJson(res, 200, { state: 'Running', version: 'foreact-local-host' });
    // As the real host's admin API: what was registered, with the bindings (name + config.bindings).
    if (parts[0] === 'functions' && parts.length === 1 && req.method === 'GET') {
      return sendJson(res, 200, [...functionsByName.values()].map((reg) => ({ name: reg.name, config: { bindings: Object.entries(reg.bindings).map(([name, b]) => ({ ...b, name })) } })));
    }
    if (parts[0] === 'functions' && parts[1] && req.method === 'POST') {
      const reg = functionsByName.get(decodeURIComponent(parts[1]).toLowerCase());
      if (!reg || reg.trigger.type === 'httpTrigger') return sendJson(res, 404, { error: 'No such non-HTTP function' });
      const text = (await readBody(req)).toString('utf8');
      let input: unknown;
      try {
        input = text ? (JSON.parse(text) as { input?: unknown }).input : undefined;
      } catch {
        return sendJson(res, 400, { error: 'Body must be JSON like {"input": ...}' });
      }
      // Like the real host: accepted now, run in the background.
      void invoke(reg, input).catch(() => undefined);
      res.writeHead(202).end();
      return;
    }
    sendJson(res, 404, { error: 'Not Found' });
  };
}
