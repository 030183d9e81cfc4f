import { APP_PROVIDER, type Principal } from '../../core/domain/api-access.js';
import { forbidden, unauthenticated } from './errors.js';

/**
 * Who is calling, from the headers the platform sets. Two shapes reach the Function App:
 * - Static Web Apps' `x-ms-client-principal` (base64 JSON with identityProvider, userId, userDetails,
 *   userRoles) for planners signed in to the dashboard;
 * - App Service authentication's own (`auth_typ`, `claims`, with `x-ms-client-principal-idp: aad`) for an
 *   app-only Entra token. Whatever the platform admits (an empty `allowedApplications` admits every app
 *   of the tenant), the API itself accepts such a caller only when its client id (`azp`/`appid`) is in
 *   FOREACT_TRUSTED_APP_IDS, and then as an `operator` (the smoke test and the deploy gate), never an admin;
 *   any other app gets 403.
 * In Azure the platform strips these headers from what a client sends; a direct call without a valid
 * token never reaches this code (bicep/modules/static-web-app-backend.bicep).
 */

const MAX_HEADER = 16_000;
const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const APP_ID_CLAIMS = ['azp', 'appid'];

type Claims = { typ: string; val: string }[];

function appServicePrincipal(p: Record<string, unknown>, trustedAppIds: readonly string[]): Principal | undefined {
  if (!Array.isArray(p.claims)) return undefined;
  const claims: Claims = p.claims.filter((c): c is { typ: string; val: string } => typeof c === 'object' && c !== null && typeof (c as { typ?: unknown }).typ === 'string' && typeof (c as { val?: unknown }).val === 'string');
  const claim = (types: readonly string[]): string | undefined => claims.find((c) => types.includes(c.typ))?.val;
  const objectId = claim(OBJECT_ID_CLAIMS);
  const appId = claim(APP_ID_CLAIMS);
  // Only app-only tokens are admitted by the Entra provider; anything with a user's scope is not one.
  if (objectId === undefined || appId === undefined || claims.some((c) => c.typ === 'scp' || c.typ === 'http://schemas.microsoft.com/identity/claims/scope')) return undefined;
  if (!trustedAppIds.includes(appId.toLowerCase())) throw forbidden('This application is not allowed to call the API (its client id is not in FOREACT_TRUSTED_APP_IDS).');
  return { identityProvider: APP_PROVIDER, userId: objectId, userDetails: `app:${appId}`, userRoles: ['authenticated', 'operator'] };
}

/**
 * Decodes the header; undefined when absent or undecodable (the caller answers 401). An app-only caller
 * whose client id is not in `trustedAppIds` (lower case) is refused with a 403 ApiError.
 */
export function decodePrincipal(header: string | null | undefined, idp?: string | null, trustedAppIds: readonly string[] = []): Principal | undefined {
  if (header === null || header === undefined || header.length === 0 || header.length > MAX_HEADER) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const p = parsed as Record<string, unknown>;
  if (idp === 'aad' && 'claims' in p) return appServicePrincipal(p, trustedAppIds);
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const userId = str(p.userId);
  const userDetails = str(p.userDetails);
  if (userId === undefined || userId.length === 0 || userDetails === undefined || userDetails.length === 0) return undefined;
  // Only appServicePrincipal names an app caller; a user principal claiming to be one is not a principal.
  if (str(p.identityProvider)?.trim().toLowerCase() === APP_PROVIDER) return undefined;
  const roles = Array.isArray(p.userRoles) ? p.userRoles.filter((r): r is string => typeof r === 'string') : [];
  return { identityProvider: str(p.identityProvider) ?? 'unknown', userId, userDetails, userRoles: roles };
}

export function encodePrincipal(p: Principal): string {
  return Buffer.from(JSON.stringify(p), 'utf8').toString('base64');
}

export function requirePrincipal(header: string | null | undefined, idp?: string | null, trustedAppIds: readonly string[] = []): Principal {
  const p = decodePrincipal(header, idp, trustedAppIds);
  if (p === undefined) throw unauthenticated();
  return p;
}
