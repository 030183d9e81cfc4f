import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../static-web/src/api.js';
import { allMyStores, dashboardHeaders, DEFAULT_VIEW_DAYS, forecastsPath, HISTORY_DAYS, transportPath } from '../../bench/dashboard-requests.js';

// static-web/src/state.ts reaches DOM-only modules, which the root tsconfig (Node types) does not compile:
// it is loaded at run time only, typed here by what the test uses.
const STATE_MODULE = resolve(__dirname, '../../static-web/src/state.ts');
const dashboardState = (): Promise<{ DEFAULT_DAYS: number; resolveSelection(selection: 'all', visible: readonly string[]): { stores: string[] } }> => import(STATE_MODULE) as Promise<never>;

/** The dashboard's own client, recording what it would send. */
function recordingApi(): { api: ReturnType<typeof createApi>; sent: { url: string; headers: Record<string, string> }[] } {
  const sent: { url: string; headers: Record<string, string> }[] = [];
  const api = createApi({
    fetch: (url, init) => {
      sent.push({ url, headers: init?.headers as Record<string, string> });
      return Promise.resolve(new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } }));
    },
  });
  return { api, sent };
}

describe('the benches send the requests the dashboard sends', () => {
  it('uses the dashboard\'s historyDays and default days', async () => {
    const { DEFAULT_DAYS } = await dashboardState();
    const app = readFileSync(resolve(__dirname, '../../static-web/src/app.ts'), 'utf8');
    expect(Number(/const HISTORY_DAYS = (\d+);/.exec(app)?.[1])).toBe(HISTORY_DAYS);
    expect(DEFAULT_VIEW_DAYS).toBe(DEFAULT_DAYS);
  });

  it('builds the same forecasts and transport URLs, stores in the same order, with the same headers', async () => {
    const { api, sent } = recordingApi();
    const visible = Array.from({ length: 60 }, (_, i) => String(60 - i)).concat(['a b']);
    const stores = (await dashboardState()).resolveSelection('all', visible).stores;
    expect(stores).toHaveLength(50);
    expect(allMyStores(visible)).toEqual(stores);
    await api.forecasts({ stores, from: '2026-12-08', to: '2027-01-04', historyDays: HISTORY_DAYS });
    await api.transport({ stores, from: '2026-12-08', to: '2027-01-04' });
    expect(sent.map((s) => s.url)).toEqual([forecastsPath(stores, '2026-12-08', '2027-01-04'), transportPath(stores, '2026-12-08', '2027-01-04')]);
    const bench = dashboardHeaders('principal');
    for (const { headers } of sent) {
      expect(Object.keys(bench).filter((k) => k !== 'x-ms-client-principal').sort()).toEqual(Object.keys(headers).sort());
      expect(bench.Accept).toBe(headers.Accept);
      expect(bench['X-Requested-With']).toBe(headers['X-Requested-With']);
      expect(bench.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });
});
