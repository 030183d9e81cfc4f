import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { Readable } from 'node:stream';
import { apiErrorOf, errorBody } from './errors.js';
import { statusOf } from '../../core/adapters/azure/clients.js';
import { currentIds, type Logger } from '../../core/adapters/telemetry.js';

/** What every HTTP function answers with: JSON, streamed CSV, and errors mapped to statuses. */

// Response bodies (CSV) are streamed: in Azure the worker then sends them over its HTTP proxy as they are
// produced instead of buffering them into one RPC message (needs Functions host 4.28+, which the
// deployment runs). Request bodies are not read by the API. It runs at import because setup is refused
// once the app has started: every HTTP function imports this module before it registers itself, so the
// call comes first whichever function loads first; it lives beside csvStream, the reason for it.
// Harmless where unsupported: then nothing changes.
try {
  app.setup({ enableHttpStream: true });
} catch {
  // Already started (a module loaded late) or an older host: bodies are buffered, as before.
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } };
}

/** The `X-Foreact-Runs` header: the run each store's answer came from (`store=runId`, comma-separated). */
export function runsHeader(stores: readonly { store: string; runId: string | null }[]): string {
  return stores.map((s) => `${s.store}=${s.runId ?? ''}`).join(',');
}

/** Lines joined into chunks of about this many characters as a CSV body streams out. */
const CSV_CHUNK_CHARS = 64 * 1024;

/**
 * A CSV body streamed from its lines: produced chunk by chunk as the client reads (back-pressure through
 * the stream), so a large answer is never one string in memory.
 */
export function csvStream(lines: Iterable<string>): Readable {
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= CSV_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return Readable.from(chunks(), { objectMode: false, encoding: 'utf8' });
}

/** A CSV answer (never cached), with the runs header and, when given, a download file name. */
export function csv(body: string | Readable, runs: string, filename?: string): HttpResponseInit {
  return { status: 200, body, headers: { 'content-type': 'text/csv; charset=utf-8', 'x-foreact-runs': runs, 'cache-control': 'no-store', ...(filename ? { 'content-disposition': `attachment; filename="${filename}"` } : {}) } };
}

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(code)) return true;
  const status = statusOf(error);
  return status === 503 || status === 502 || status === 504;
}

/**
 * The one error mapper: ApiError as is, domain refusals by kind; storage outages 503; anything else 500
 * with the request's trace id (App Insights' operation id; the invocation id outside a span) and no stack,
 * logged on `log`.
 */
export function toErrorResponse(error: unknown, context: InvocationContext, log: Logger): HttpResponseInit {
  const refusal = apiErrorOf(error);
  if (refusal !== undefined) return json(refusal.status, errorBody(refusal.code, refusal.message, refusal.details), refusal.headers);
  const traceId = currentIds()?.traceId ?? context.invocationId;
  context.error(`request failed (trace ${traceId})`, error);
  log.with({ function: context.functionName }).error('request failed', { error: error instanceof Error ? error.message : String(error) });
  if (isUnavailable(error)) return json(503, errorBody('unavailable', 'Storage is unreachable right now; try again in a minute.', { traceId }), { 'retry-after': '30' });
  return json(500, errorBody('internal', 'Something went wrong on our side; the error is logged with this trace id.', { traceId }));
}
