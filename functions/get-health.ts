import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { json } from './http/responses.js';
import { withErrors } from './http/traced-handler.js';
import { API_VERSION, apiContext } from './http/context.js';

const TIMEOUT_MS = 3_000;

/** GET /api/health — anonymous; 200 when storage answers, 503 (same body, status failing) when not. */
export async function getHealth(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const started = Date.now();
  let storage: { status: 'ok' | 'failing'; latencyMs: number; message?: string };
  try {
    const ctx = await apiContext();
    const table = ctx.storage.clients.table(ctx.config.tables.stores);
    const probe = table.listEntities({ queryOptions: { select: ['RowKey'] } }).byPage({ maxPageSize: 1 }).next();
    await Promise.race([probe, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref())]);
    storage = { status: 'ok', latencyMs: Date.now() - started };
  } catch (error) {
    context.warn('health: storage check failed', error);
    storage = { status: 'failing', latencyMs: Date.now() - started, message: 'storage is unreachable' };
  }
  const status = storage.status;
  return json(status === 'ok' ? 200 : 503, { status, version: API_VERSION, time: new Date().toISOString(), checks: { storage } });
}

app.http('get-health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: withErrors(getHealth) });
