import { describe, expect, it } from 'vitest';
import { checkSameOrigin } from '../../functions/http/csrf.js';

/**
 * The cross-site rule with FOREACT_APP_ORIGIN (issue 18 item 13): behind the Static Web App (or `npm
 * start`'s web server) the request's own URL names the Function App, so the dashboard's Origin is only
 * "the app's own" through that setting. The HTTP cases without it are in api.test.ts ("cross-site requests").
 */
const FUNCTION_APP = 'https://func-foreact-prod-abc123.azurewebsites.net/api/stores/5/refresh';
const SWA = 'https://nice-sea-0a1b2c3d4.5.azurestaticapps.net';

function outcome(method: string, headers: Record<string, string>, appOrigins: readonly string[] = [SWA]): number {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  try {
    checkSameOrigin({ method, url: FUNCTION_APP, headers: { get: (name: string) => lower.get(name.toLowerCase()) ?? null } }, appOrigins);
    return 200;
  } catch (error) {
    return (error as { status?: number }).status ?? 500;
  }
}

describe('checkSameOrigin with FOREACT_APP_ORIGIN', () => {
  it("accepts the Static Web App's Origin through the proxy, with or without the header", () => {
    expect(outcome('POST', { Origin: SWA, 'X-Requested-With': 'foreact' })).toBe(200);
    expect(outcome('POST', { Origin: SWA })).toBe(200);
    expect(outcome('DELETE', { Origin: 'https://NICE-sea-0a1b2c3d4.5.azurestaticapps.net' })).toBe(200);
  });

  it('refuses any other Origin with 403, the header notwithstanding', () => {
    for (const origin of ['https://evil.example', 'http://nice-sea-0a1b2c3d4.5.azurestaticapps.net', 'https://other-0a1b2c3d4.5.azurestaticapps.net', 'null']) {
      expect(outcome('POST', { Origin: origin, 'X-Requested-With': 'foreact' }), origin).toBe(403);
    }
    // Without the setting, the Static Web App's own page would be refused too: Bicep must set it.
    expect(outcome('POST', { Origin: SWA, 'X-Requested-With': 'foreact' }, [])).toBe(403);
  });

  it('without an Origin, requires the header; reads need nothing', () => {
    expect(outcome('POST', { 'X-Requested-With': 'foreact' })).toBe(200);
    expect(outcome('PATCH', {})).toBe(403);
    expect(outcome('POST', { 'X-Requested-With': 'other' })).toBe(403);
    expect(outcome('GET', { Origin: 'https://evil.example' })).toBe(200);
  });
});
