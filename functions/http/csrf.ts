import { forbidden } from './errors.js';

/**
 * Cross-site request check for every state-changing request (POST, PUT, PATCH, DELETE). A page on another
 * site can make the browser send a "simple" POST with the planner's cookies, but it cannot add
 * `X-Requested-With` (a custom header needs a CORS preflight, which the API never grants to another site)
 * nor forge `Origin`. So such a request is accepted only when it carries `X-Requested-With: foreact` (the
 * dashboard and the scripts send it) or an `Origin` that is the app's own: the origin the request was
 * addressed to, or one of FOREACT_APP_ORIGIN (the Static Web App's host, whose `/api` reaches the Function
 * App through a proxy, so the request's own URL names the Function App instead). Anything else — a
 * foreign `Origin` without the header, or neither — is refused with 403.
 */

export const CSRF_HEADER = 'x-requested-with';
export const CSRF_VALUE = 'foreact';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export function checkSameOrigin(request: { method: string; url: string; headers: { get(name: string): string | null } }, appOrigins: readonly string[]): void {
  if (!UNSAFE.has(request.method.toUpperCase())) return;
  const marker = request.headers.get(CSRF_HEADER);
  if (marker !== null && marker.trim().toLowerCase() === CSRF_VALUE) return;
  const origin = request.headers.get('origin');
  if (origin === null || origin.trim() === '') throw forbidden(`Cross-site request refused: send the header "X-Requested-With: ${CSRF_VALUE}" (the dashboard does).`);
  const given = origin.trim().toLowerCase();
  if (given === originOf(request.url) || appOrigins.includes(given)) return;
  throw forbidden(`Cross-site request refused: its Origin is not this app's (send "X-Requested-With: ${CSRF_VALUE}" from the app itself).`);
}
