import { describe, expect, test } from 'vitest';
import { decodePrincipal, encodePrincipal, requirePrincipal } from '../../../functions/http/principal.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** What App Service authentication forwards for an app-only Entra token (claims as in the v2 token). */
const appOnly = (extra: { typ: string; val: string }[] = []) => ({
  auth_typ: 'aad',
  name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  claims: [
    { typ: 'aud', val: 'api://11111111-2222-3333-4444-555555555555' },
    { typ: 'azp', val: 'deploy-client-id' },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-of-deployer' },
    ...extra,
  ],
});

describe('the caller, from the platform headers', () => {
  test('Static Web Apps principals keep their roles', () => {
    const planner = { identityProvider: 'aad', userId: 'u-1', userDetails: 'pat@contoso.com', userRoles: ['authenticated', 'planner'] };
    expect(decodePrincipal(encodePrincipal(planner))).toEqual(planner);
  });

  test("App Service's app-only principal (the deploy identity, admitted by authsettingsV2) acts as an admin", () => {
    expect(decodePrincipal(b64(appOnly()), 'aad')).toEqual({ identityProvider: 'aad-app', userId: 'oid-of-deployer', userDetails: 'app:deploy-client-id', userRoles: ['authenticated', 'admin'] });
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
