import type { ApiClient, FetchLike, Role } from './api';
import { ApiError } from './api';

export interface User {
  name: string;
  /** The stable id an administrator assigns regions to (`foreact admin assign --user-id`); null when unknown. */
  userId: string | null;
  identityProvider: string | null;
  role: Role | null;
  roles: string[];
  /** Where the identity came from: the Static Web Apps auth endpoint or the API's `/me`. */
  source: 'swa' | 'api';
}

export const LOGIN_URL = '/.auth/login/aad';
export const LOGOUT_URL = '/.auth/logout';

export function loginUrl(returnTo: string): string {
  return `${LOGIN_URL}?post_login_redirect_uri=${encodeURIComponent(returnTo)}`;
}

export function logoutUrl(returnTo = '/'): string {
  return `${LOGOUT_URL}?post_logout_redirect_uri=${encodeURIComponent(returnTo)}`;
}

/** A user's id as an administrator types it (`--user-id`); the provider only when it is not Entra ID (`aad`). */
export function userIdText(user: Pick<User, 'userId' | 'identityProvider'>): string {
  const provider = user.identityProvider ?? 'aad';
  return provider === 'aad' ? (user.userId ?? '') : `${user.userId ?? ''} (provider ${provider})`;
}

export function roleOf(roles: readonly string[]): Role | null {
  if (roles.includes('admin')) return 'admin';
  if (roles.includes('planner')) return 'planner';
  return null;
}

interface SwaPrincipal {
  identityProvider?: string;
  userId?: string;
  userDetails?: string;
  userRoles?: string[];
}

/**
 * The signed-in user: from SWA's `/.auth/me` (production and the SWA CLI emulator), falling back to the
 * API's `/api/me` when `/.auth/me` is absent (e.g. the Vite dev server straight against the local host).
 * Returns null when nobody is signed in.
 */
export async function currentUser(doFetch: FetchLike, api: ApiClient): Promise<User | null> {
  try {
    const response = await doFetch('/.auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const type = response.headers.get('Content-Type') ?? '';
    // A dev server's SPA fallback answers 200 with index.html: only JSON counts.
    if (response.ok && type.includes('json')) {
      const body = (await response.json()) as { clientPrincipal?: SwaPrincipal | null };
      const p = body.clientPrincipal;
      if (!p) return null;
      const roles = p.userRoles ?? [];
      return { name: p.userDetails || p.userId || 'Signed-in user', userId: p.userId || null, identityProvider: p.identityProvider || null, role: roleOf(roles), roles, source: 'swa' };
    }
  } catch {
    // fall through to /api/me
  }
  try {
    const me = await api.me();
    return { name: me.userDetails || me.userId, userId: me.userId || null, identityProvider: me.identityProvider || null, role: me.role, roles: me.roles, source: 'api' };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}
