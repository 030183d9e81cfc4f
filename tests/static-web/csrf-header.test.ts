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

  it('sends it, with a JSON body, on creating, editing and deleting an override', async () => {
    const sent: { url: string; init?: RequestInit }[] = [];
    const fetch: FetchLike = (url, init) => {
      sent.push({ url, init });
      if (init?.method === 'DELETE') return Promise.resolve(new Response(null, { status: 204, headers: { Location: '/api/runs/refresh-2-9' } }));
      return Promise.resolve(new Response(JSON.stringify({ id: 'o1' }), { status: init?.method === 'POST' ? 201 : 200, headers: { 'Content-Type': 'application/json' } }));
    };
    const api = createApi({ fetch });
    const input = { from: '2017-07-03', to: '2017-07-04', kind: 'percent' as const, value: 20, note: 'Festival' };
    await api.createOverride('2', input);
    await api.editOverride('2', 'o1', { ...input, value: 30 });
    // A deleted promotion's rerun is in the 204's Location.
    await expect(api.deleteOverride('2', 'o1')).resolves.toEqual({ rerun: '/api/runs/refresh-2-9' });
    expect(sent.map((c) => [c.init?.method, c.url, (c.init!.headers as Record<string, string>)['X-Requested-With'], (c.init!.headers as Record<string, string>)['Content-Type'] ?? null, c.init?.body ?? null])).toEqual([
      ['POST', '/api/stores/2/overrides', 'foreact', 'application/json', JSON.stringify(input)],
      ['PUT', '/api/stores/2/overrides/o1', 'foreact', 'application/json', JSON.stringify({ ...input, value: 30 })],
      ['DELETE', '/api/stores/2/overrides/o1', 'foreact', null, null],
    ]);
  });
});
