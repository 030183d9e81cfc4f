import { describe, expect, test } from 'vitest';
import { decodePrincipal, encodePrincipal, requirePrincipal } from '../../../functions/http/principal.js';
import { roleOf } from '../../../core/domain/api-access.js';

const DEPLOY_APP = '0a1b2c3d-0000-4000-8000-00000000d3b1';
const OTHER_APP = '9f8e7d6c-0000-4000-8000-0000000000aa';
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** What App Service authentication forwards for an app-only Entra token (claims as in the v2 token). */
const appOnly = (extra: { typ: string; val: string }[] = []) => ({
  auth_typ: 'aad',
  name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  claims: [
    { typ: 'aud', val: 'api://11111111-2222-3333-4444-555555555555' },
    { typ: 'azp', val: DEPLOY_APP },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-of-deployer' },
    ...extra,
  ],
});

describe('the caller, from the platform headers', () => {
  test('Static Web Apps principals keep their roles', () => {
    const planner = { identityProvider: 'aad', userId: 'u-1', userDetails: 'pat@contoso.com', userRoles: ['authenticated', 'planner'] };
    expect(decodePrincipal(encodePrincipal(planner))).toEqual(planner);
  });

  test("an app-only principal on FOREACT_TRUSTED_APP_IDS is an operator, never an admin", () => {
    const p = decodePrincipal(b64(appOnly()), 'aad', [DEPLOY_APP]);
    expect(p).toEqual({ identityProvider: 'aad-app', userId: 'oid-of-deployer', userDetails: `app:${DEPLOY_APP}`, userRoles: ['authenticated', 'operator'] });
    expect(roleOf(p!)).toBe('operator');
    // Client ids are compared without regard to case (the setting is stored lower case).
    expect(decodePrincipal(b64({ ...appOnly(), claims: appOnly().claims.map((c) => (c.typ === 'azp' ? { ...c, val: DEPLOY_APP.toUpperCase() } : c)) }), 'aad', [DEPLOY_APP])).toBeDefined();
  });

  test('an app-only principal not on the list (or with no list: the default) is refused with 403', () => {
    expect(() => requirePrincipal(b64(appOnly()), 'aad', [OTHER_APP])).toThrow(expect.objectContaining({ status: 403, code: 'forbidden' }));
    expect(() => requirePrincipal(b64(appOnly()), 'aad')).toThrow(expect.objectContaining({ status: 403 }));
    const appid = appOnly().claims.map((c) => (c.typ === 'azp' ? { typ: 'appid', val: OTHER_APP } : c));
    expect(() => requirePrincipal(b64({ ...appOnly(), claims: appid }), 'aad', [DEPLOY_APP])).toThrow(expect.objectContaining({ status: 403 }));
  });

  test('no user becomes an operator: not by a role of that name, not by naming the app provider', () => {
    const user = { identityProvider: 'aad', userId: 'u-1', userDetails: 'pat@contoso.com', userRoles: ['authenticated', 'operator'] };
    expect(roleOf(decodePrincipal(encodePrincipal(user))!)).toBeNull();
    expect(decodePrincipal(encodePrincipal({ ...user, identityProvider: 'aad-app' }))).toBeUndefined();
  });

  test('a delegated (user) token in that shape is not an app caller, and the shape without the idp header is not trusted', () => {
    expect(decodePrincipal(b64(appOnly([{ typ: 'scp', val: 'user_impersonation' }])), 'aad')).toBeUndefined();
    expect(decodePrincipal(b64(appOnly()))).toBeUndefined();
    expect(() => requirePrincipal(b64(appOnly()))).toThrow(expect.objectContaining({ status: 401 }));
  });

  test('garbage and oversized headers are refused', () => {
    expect(decodePrincipal('%%%')).toBeUndefined();
    expect(decodePrincipal(b64({ userId: 'x' }))).toBeUndefined();
    expect(decodePrincipal('a'.repeat(20_000))).toBeUndefined();
  });
});
