import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import type { Logger } from '../invocation.js';
import type { Registration } from '../registry.js';
import { matchRoute, type HttpRoute } from './routes.js';
import { readBody, safeEqual, sendJson, type HttpHandler } from './util.js';

export interface HttpTriggerOptions {
  routes: HttpRoute[];
  keys: { functionKey: string; masterKey: string };
  newContext: (reg: Registration, triggerMetadata: Record<string, unknown>) => InvocationContext;
  log: Logger;
}

/**
 * The app's HTTP triggers (paths under the route prefix): route and method matching, `authLevel` keys,
 * the library's own HttpRequest in, whatever the handler returns written back.
 */
export function httpTriggerHandler({ routes, keys, newContext, log }: HttpTriggerOptions): HttpHandler {
  return async (req, res, url, parts) => {
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    for (const route of routes) {
      const params = matchRoute(route.segments, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.methods && !route.methods.includes(method)) continue;
      const key = url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined);
      if (route.authLevel === 'admin' && !safeEqual(key, keys.masterKey)) return sendJson(res, 401, { error: 'Unauthorized' });
      if (route.authLevel === 'function' && !safeEqual(key, keys.functionKey) && !safeEqual(key, keys.masterKey)) return sendJson(res, 401, { error: 'Unauthorized' });
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const request = new HttpRequest({
        method,
        url: url.href,
        headers,
        query: Object.fromEntries(url.searchParams.entries()),
        params,
        body: body.length > 0 ? { bytes: body } : undefined,
      });
      const ctx = newContext(route.reg, { Query: Object.fromEntries(url.searchParams.entries()), Headers: headers, ...params });
      let result: unknown;
      try {
        result = await route.reg.handler(request, ctx);
      } catch (err) {
        log('error', `Function ${route.reg.name} (invocation ${ctx.invocationId}) threw`, err);
        return sendJson(res, 500, { error: 'Internal Server Error', invocationId: ctx.invocationId });
      }
      return writeResult(res, result);
    }
    sendJson(res, pathMatched ? 405 : 404, { error: pathMatched ? 'Method Not Allowed' : 'Not Found' });
  };
}

function isHttpResponseLike(v: unknown): v is HttpResponse {
  return v instanceof HttpResponse || (typeof v === 'object' && v !== null && typeof (v as HttpResponse).arrayBuffer === 'function' && 'headers' in v && 'status' in v);
}

/** A handler's `HttpResponseInit` or `HttpResponse`: status, headers, cookies, body. */
async function writeResult(res: http.ServerResponse, result: unknown): Promise<void> {
  if (result === undefined || result === null) {
    res.writeHead(204).end();
    return;
  }
  const response = isHttpResponseLike(result) ? result : new HttpResponse(result);
  const outHeaders: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    outHeaders[k] = v;
  });
  const cookies = response.cookies.map((c) => {
    let s = `${c.name}=${c.value}`;
    if (c.path) s += `; Path=${c.path}`;
    if (c.domain) s += `; Domain=${c.domain}`;
    if (c.maxAge !== undefined) s += `; Max-Age=${c.maxAge}`;
    if (c.expires) s += `; Expires=${new Date(c.expires).toUTCString()}`;
    if (c.secure) s += '; Secure';
    if (c.httpOnly) s += '; HttpOnly';
    if (c.sameSite) s += `; SameSite=${c.sameSite}`;
    return s;
  });
  if (cookies.length > 0) outHeaders['set-cookie'] = cookies;
  // Streamed as the function produces it (a CSV answer is a stream), as the real host does with
  // `app.setup({ enableHttpStream: true })`; a client that goes away stops the stream.
  res.writeHead(response.status, outHeaders);
  if (response.body === null) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res).catch((err: unknown) => {
    if (!res.destroyed) throw err;
  });
}
