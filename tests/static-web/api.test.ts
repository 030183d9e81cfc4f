import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../static-web/src/api';
import { ApiError, createApi, forecastsPath, newTraceparent, queryString, runPath, transportPath } from '../../static-web/src/api';
import { currentUser, loginUrl, logoutUrl, roleOf, userIdText } from '../../static-web/src/auth';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function recorder(answer: (url: string, init?: RequestInit) => Response | Promise<Response>): { fetch: FetchLike; calls: { url: string; init?: RequestInit }[] } {
  const calls: { url: string; init?: RequestInit }[] = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push({ url, init });
      return Promise.resolve(answer(url, init));
    },
  };
}

describe('API paths', () => {
  it('builds the documented query strings', () => {
    expect(forecastsPath({ stores: ['1', '2'], items: ['7'], from: '2017-07-01', to: '2017-07-28', historyDays: 56 })).toBe('/forecasts?stores=1,2&items=7&from=2017-07-01&to=2017-07-28&historyDays=56');
    expect(forecastsPath({ stores: ['TX_3'], items: [] })).toBe('/forecasts?stores=TX_3');
    expect(transportPath({ stores: ['1'], to: '2017-07-07' })).toBe('/transport?stores=1&to=2017-07-07');
    expect(queryString({ a: 'x y&', b: undefined })).toBe('?a=x%20y%26');
    expect(runPath('/api/runs/abc')).toBe('/api/runs/abc');
    expect(runPath('/runs/abc')).toBe('/api/runs/abc');
    expect(runPath('refresh:1/x')).toBe('/api/runs/refresh%3A1%2Fx');
  });
});

describe('API client', () => {
  it('asks for JSON and returns the body', async () => {
    const r = recorder(() => json(200, { stores: [] }));
    await expect(createApi({ fetch: r.fetch }).stores()).resolves.toEqual({ stores: [] });
    expect(r.calls[0]!.url).toBe('/api/stores');
    expect((r.calls[0]!.init!.headers as Record<string, string>).Accept).toBe('application/json');
  });

  it('posts a refresh and follows the status URL it returns', async () => {
    const r = recorder((url) => (url.endsWith('/refresh') ? json(202, { runId: 'r1', statusUrl: '/api/runs/r1', store: '1', status: 'queued', joined: false }) : json(200, { runId: 'r1' })));
    const api = createApi({ fetch: r.fetch });
    const accepted = await api.refresh('1');
    await api.run(accepted.statusUrl);
    expect(r.calls.map((c) => `${c.init?.method ?? 'GET'} ${c.url}`)).toEqual(['POST /api/stores/1/refresh', 'GET /api/runs/r1']);
  });

  it("turns the API's error body into an ApiError with its code and message", async () => {
    const r = recorder(() => json(400, { error: { code: 'bad_request', message: '"from" must be a date.', details: { issues: [{ path: 'from', message: 'bad' }] } } }));
    const e = await createApi({ fetch: r.fetch }).forecasts({ stores: ['1'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'bad_request', message: '"from" must be a date.' });
  });

  it('reads Retry-After on 429 and falls back to plain words for bodies it cannot read', async () => {
    const r = recorder(() => json(429, { error: { code: 'rate_limited', message: 'Too many refreshes.' } }, { 'Retry-After': '30' }));
    await expect(createApi({ fetch: r.fetch }).refresh('1')).rejects.toMatchObject({ status: 429, retryAfterSeconds: 30 });
    const html = recorder(() => new Response('<html>oops</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }));
    await expect(createApi({ fetch: html.fetch }).stores()).rejects.toMatchObject({ status: 502, code: 'http_502', message: 'The Foreact service is not reachable right now. Please try again shortly.' });
  });

  it('reports network failures and timeouts in plain words', async () => {
    const down: FetchLike = () => Promise.reject(new TypeError('fetch failed'));
    await expect(createApi({ fetch: down }).stores()).rejects.toMatchObject({ status: 0, code: 'network' });
    const hang: FetchLike = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    await expect(createApi({ fetch: hang, timeoutMs: 20 }).stores()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('passes a caller abort through untouched', async () => {
    const hang: FetchLike = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const controller = new AbortController();
    const pending = createApi({ fetch: hang }).forecasts({ stores: ['1'] }, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('treats a redirect to the sign-in page as an ended session', async () => {
    const redirected = new Response('<html>login</html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    Object.defineProperty(redirected, 'redirected', { value: true });
    await expect(createApi({ fetch: () => Promise.resolve(redirected) }).stores()).rejects.toMatchObject({ status: 401 });
  });
});

describe('signed-in user', () => {
  const api = (status = 200) =>
    createApi({
      fetch: () => Promise.resolve(status === 200 ? json(200, { userId: 'u', userDetails: 'Bob', identityProvider: 'aad', roles: ['authenticated', 'admin'], role: 'admin', regions: [], stores: [] }) : json(status, { error: { code: 'unauthenticated', message: 'Sign in.' } })),
    });

  it('uses SWA /.auth/me when it answers JSON', async () => {
    const swa: FetchLike = () => Promise.resolve(json(200, { clientPrincipal: { identityProvider: 'aad', userId: 'u', userDetails: 'ann@contoso.com', userRoles: ['anonymous', 'authenticated', 'planner'] } }));
    await expect(currentUser(swa, api())).resolves.toEqual({ name: 'ann@contoso.com', userId: 'u', identityProvider: 'aad', role: 'planner', roles: ['anonymous', 'authenticated', 'planner'], source: 'swa' });
    const nobody: FetchLike = () => Promise.resolve(json(200, { clientPrincipal: null }));
    await expect(currentUser(nobody, api())).resolves.toBeNull();
  });

  it('shows the user id the way an administrator types it (the provider only when not aad)', () => {
    expect(userIdText({ userId: '8f3c0a', identityProvider: 'aad' })).toBe('8f3c0a');
    expect(userIdText({ userId: '8f3c0a', identityProvider: 'github' })).toBe('8f3c0a (provider github)');
  });

  it('falls back to /api/me when /.auth/me is absent or is the SPA fallback page', async () => {
    const missing: FetchLike = () => Promise.resolve(new Response('not found', { status: 404 }));
    await expect(currentUser(missing, api())).resolves.toMatchObject({ name: 'Bob', userId: 'u', identityProvider: 'aad', role: 'admin', source: 'api' });
    const spa: FetchLike = () => Promise.resolve(new Response('<!doctype html>', { status: 200, headers: { 'Content-Type': 'text/html' } }));
    await expect(currentUser(spa, api())).resolves.toMatchObject({ source: 'api' });
    await expect(currentUser(missing, api(401))).resolves.toBeNull();
  });

  it('knows roles and sign-in links', () => {
    expect(roleOf(['authenticated', 'planner', 'admin'])).toBe('admin');
    expect(roleOf(['authenticated'])).toBeNull();
    expect(loginUrl('http://x/?stores=1,2')).toBe('/.auth/login/aad?post_login_redirect_uri=http%3A%2F%2Fx%2F%3Fstores%3D1%2C2');
    expect(logoutUrl()).toBe('/.auth/logout?post_logout_redirect_uri=%2F');
  });
});

describe('trace context', () => {
  it('sends a fresh W3C traceparent with every API call', async () => {
    const r = recorder(() => json(200, { stores: [] }));
    const api = createApi({ fetch: r.fetch });
    await api.stores();
    await api.stores();
    const sent = r.calls.map((c) => (c.init!.headers as Record<string, string>).traceparent);
    for (const t of sent) expect(t).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(sent[0]!.slice(3, 35)).not.toBe(sent[1]!.slice(3, 35));
  });

  it('never makes an all-zero id', () => {
    expect(newTraceparent((b) => b)).toBe(`00-${'0'.repeat(31)}1-${'0'.repeat(15)}1-01`);
  });
});
