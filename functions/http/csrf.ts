import { forbidden } from './errors.js';

/**
 * Cross-site request check for every state-changing request (POST, PUT, PATCH, DELETE). A page on another
 * site can make the browser send a "simple" POST with the planner's cookies, but it cannot add
 * `X-Requested-With` (a custom header needs a CORS preflight, which the API never grants to another site)
 * nor forge `Origin`. The rules, in this order:
 * - an `Origin` that is not the app's own is refused with 403, WITH the header too: a browser always names
 *   the page's site there, so a foreign one means another site's page sent it, whatever else it carries
 *   (a CORS grant on a misconfigured proxy, or a header the browser let through, must not be enough);
 * - the app's own `Origin` is accepted: the origin the request was addressed to, or one of
 *   FOREACT_APP_ORIGIN (the Static Web App's host, set by Bicep: its `/api` reaches the Function App
 *   through a proxy, so the request's own URL names the Function App instead; `npm start` sets the local
 *   dashboard's);
 * - without `Origin` (curl, the scripts, the smoke test), `X-Requested-With: foreact` is required.
 */

export const CSRF_HEADER = 'x-requested-with';
export const CSRF_VALUE = 'foreact';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether `checkSameOrigin` applies to a request with this method (callers skip its work otherwise). */
export function changesState(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export function checkSameOrigin(request: { method: string; url: string; headers: { get(name: string): string | null } }, appOrigins: readonly string[]): void {
  if (!changesState(request.method)) return;
  const origin = request.headers.get('origin');
  if (origin !== null && origin.trim() !== '') {
    const given = origin.trim().toLowerCase();
    if (given === originOf(request.url) || appOrigins.includes(given)) return;
    throw forbidden(`Cross-site request refused: its Origin "${origin.trim().slice(0, 100)}" is not this app's (set FOREACT_APP_ORIGIN to the dashboard's origin if it is).`);
  }
  const marker = request.headers.get(CSRF_HEADER);
  if (marker !== null && marker.trim().toLowerCase() === CSRF_VALUE) return;
  throw forbidden(`Cross-site request refused: send the header "X-Requested-With: ${CSRF_VALUE}" (the dashboard does).`);
}
