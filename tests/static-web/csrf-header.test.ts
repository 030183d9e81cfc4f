import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../../static-web/src/api';
import { createApi } from '../../static-web/src/api';

/** The API refuses a state-changing request without `X-Requested-With: foreact` (functions/http/csrf.ts). */
describe('the dashboard proves its requests are its own', () => {
  it('sends X-Requested-With: foreact on a refresh (and on reads, harmlessly)', async () => {
    const sent: { url: string; init?: RequestInit }[] = [];
    const fetch: FetchLike = (url, init) => {
      sent.push({ url, init });
      const body = url.endsWith('/refresh') ? { runId: 'refresh-1.2', statusUrl: '/api/runs/refresh-1.2', store: '2', status: 'queued', joined: false } : { stores: [] };
      return Promise.resolve(new Response(JSON.stringify(body), { status: url.endsWith('/refresh') ? 202 : 200, headers: { 'Content-Type': 'application/json' } }));
    };
    const api = createApi({ fetch });
    await api.refresh('2');
    await api.stores();
    expect(sent.map((c) => [c.init?.method ?? 'GET', (c.init!.headers as Record<string, string>)['X-Requested-With']])).toEqual([
      ['POST', 'foreact'],
      ['GET', 'foreact'],
    ]);
  });
});
