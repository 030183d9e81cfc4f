import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../invocation.js';
import { sendJson, type HttpHandler } from './util.js';

export interface HttpFrontOptions {
  routePrefix: string;
  functions: HttpHandler;
  durableApi: HttpHandler;
  admin: HttpHandler;
  log: Logger;
}

export interface HttpFront {
  /** Resolves with the bound port and the base URL clients use. */
  listen(port: number, hostname: string): Promise<{ port: number; baseUrl: string }>;
  close(): Promise<void>;
}

/**
 * The host's one HTTP server: /runtime/webhooks/durabletask/ goes to the Durable API, /admin/ to the
 * admin API, paths under the route prefix to the app's HTTP triggers. A handler that fails gives 500.
 */
export function createHttpFront({ routePrefix, functions, durableApi, admin, log }: HttpFrontOptions): HttpFront {
  let baseUrl = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl || 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    let work: Promise<void>;
    if (parts[0] === 'runtime' && parts[1] === 'webhooks' && parts[2] === 'durabletask') work = durableApi(req, res, url, parts.slice(3));
    else if (parts[0] === 'admin') work = admin(req, res, url, parts.slice(1));
    else if (routePrefix === '' || parts[0]?.toLowerCase() === routePrefix.toLowerCase()) work = functions(req, res, url, routePrefix === '' ? parts : parts.slice(1));
    else work = Promise.resolve(sendJson(res, 404, { error: 'Not Found' }));
    work.catch((err: unknown) => {
      log('error', `Host error on ${req.method} ${url.pathname}`, err);
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal Server Error' });
      else res.end();
    });
  });
  return {
    async listen(port, hostname) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          reject(err.code === 'EADDRINUSE' ? new Error(`Port ${port} is already in use; pass another port (--port / FOREACT_API_PORT)`) : err);
        });
        server.listen(port, hostname, () => resolve());
      });
      const bound = (server.address() as AddressInfo).port;
      baseUrl = `http://${hostname && hostname !== '0.0.0.0' ? hostname : '127.0.0.1'}:${bound}`;
      return { port: bound, baseUrl };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
