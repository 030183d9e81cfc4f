/**
 * A stand-in for the Foreact API inside the Vite dev server, for working on the dashboard without the
 * local Functions host: `FOREACT_MOCK_API=1 npm run web:dev`. Answers follow docs/openapi.yaml.
 * `FOREACT_MOCK_ROLE=admin` signs in as an admin; a refresh of store 4 always fails (to see that path).
 * Drivers: the South stores are closed on Sundays and on Independence Day (4 July, an event everywhere
 * else); items 1–6 of every store are on promotion on Thursdays and Fridays of every other week; the
 * North stores have a store-wide "Summer sale" on 14–16 July. Forecasts follow them (0 when closed,
 * +40 % on promotion).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import type { DriverMarker, ItemForecast, Run, RunStatus, ServiceLevel, Store, StoreForecast, TransportUnit } from '../src/api';
import { SERVICE_LEVELS, TRANSPORT_UNITS } from '../src/api';
import { addDays, daysBetween } from '../src/dates';
import { sliceBand, sumBands } from '../src/series';
import { MockOverrides, mockAttention, mockTransportExtras, readJson } from './mock-planner';

const ORIGIN = '2017-06-30';
const HORIZON = 90;
const REGIONS: Record<string, string> = { '1': 'North', '2': 'North', '3': 'North', '4': 'South', '5': 'South', '6': 'South', '7': 'East', '8': 'East' };
const NAMES: Record<string, string | null> = { '1': 'Harbour', '2': null, '3': 'Old Town', '4': 'Riverside', '5': null, '6': 'Airport', '7': null, '8': 'Mall' };

const PROMO_ITEMS = ['1', '2', '3', '4', '5', '6'];
const HOLIDAY = { date: '2017-07-04', label: 'Independence Day' };

/** The drivers of one store on one day (days after ORIGIN: 1 = first forecast day), sorted by kind. */
function driversOn(s: string, date: string): DriverMarker[] {
  const d = daysBetween(ORIGIN, date);
  const weekday = (d + 5) % 7; // 0 = Sunday (ORIGIN, 2017-06-30, is a Friday)
  const south = REGIONS[s] === 'South';
  const out: DriverMarker[] = [];
  if (south && weekday === 0) out.push({ date, kind: 'closed', label: 'Closed' });
  else if (south && date === HOLIDAY.date) out.push({ date, kind: 'closed', label: HOLIDAY.label });
  if (date === HOLIDAY.date && !south) out.push({ date, kind: 'event', label: HOLIDAY.label });
  if (out.some((m) => m.kind === 'closed')) return out;
  if (REGIONS[s] === 'North' && date >= '2017-07-14' && date <= '2017-07-16') out.push({ date, kind: 'promotion', label: 'Summer sale' });
  else if ((weekday === 4 || weekday === 5) && Math.floor(d / 7) % 2 === 0) out.push({ date, kind: 'promotion', label: 'Promotion', items: PROMO_ITEMS });
  return out;
}

const isClosed = (s: string, date: string): boolean => driversOn(s, date).some((m) => m.kind === 'closed');
const onPromotion = (s: string, date: string, item: string): boolean => driversOn(s, date).some((m) => m.kind === 'promotion' && (m.items === undefined || m.items.includes(item)));

interface MockRun {
  run: Run;
  started: number;
  fail: boolean;
}

export function mockApi(): Plugin {
  const role = process.env.FOREACT_MOCK_ROLE === 'admin' ? 'admin' : 'planner';
  const visible = Object.keys(REGIONS).filter((s) => role === 'admin' || ['North', 'South'].includes(REGIONS[s]!));
  const generation = new Map<string, number>(visible.map((s) => [s, 0]));
  const generatedAt = new Map<string, string>(visible.map((s) => [s, '2017-07-01T05:12:31.000Z']));
  const runs = new Map<string, MockRun>();
  const overrides = new MockOverrides(ORIGIN, HORIZON, role === 'admin' ? 'alex.admin@contoso.com' : 'pat.planner@contoso.com');

  const freshness = (s: string): Store['freshness'] => ({
    currentRunId: `run-${s}-${generation.get(s)}`,
    generatedAt: generatedAt.get(s) ?? null,
    origin: ORIGIN,
    forecastFrom: addDays(ORIGIN, 1),
    forecastTo: addDays(ORIGIN, HORIZON),
    stale: s === '5',
    staleReason: s === '5' ? 'The 05:00 training failed for this store; showing yesterday’s forecast.' : null,
  });
  const accuracy = (s: string): Store['accuracy'] => (s === '6' ? { rmsse: 0.93, smape: null, horizon: 28, folds: 3 } : { rmsse: 0.7, smape: 11 + Number(s) * 1.7, horizon: 90, folds: 3 });

  const item = (s: string, i: number, from: string, days: number): ItemForecast => {
    const level = (8 + ((i * 7) % 23)) * (1 + Number(s) / 10) * (1 + 0.15 * (generation.get(s) ?? 0));
    const start = daysBetween(ORIGIN, from);
    const forecast = Array.from({ length: days }, (_, k) => {
      const d = start + k;
      const date = addDays(from, k);
      if (isClosed(s, date)) return 0;
      const weekly = [0.8, 0.85, 0.9, 0.95, 1.1, 1.3, 1.2][(d + 5) % 7]!;
      const promo = onPromotion(s, date, String(i)) ? 1.4 : 1;
      return Math.round(level * weekly * promo * (1 + 0.002 * d) * 10) / 10;
    });
    return { item: String(i), firstDate: from, forecast, p10: forecast.map((v) => Math.round(v * 0.78 * 10) / 10), p90: forecast.map((v) => Math.round(v * 1.24 * 10) / 10) };
  };

  const storeForecast = (s: string, from?: string, to?: string, historyDays = 56): StoreForecast => {
    const first = addDays(ORIGIN, 1);
    const start = from && from > first ? from : first;
    const last = to && to < addDays(ORIGIN, HORIZON) ? to : addDays(ORIGIN, HORIZON);
    const days = Math.max(0, daysBetween(start, last) + 1);
    const items = days > 0 ? Array.from({ length: 20 }, (_, i) => item(s, i + 1, start, days)) : [];
    const hist = Array.from({ length: historyDays }, (_, k) => {
      const d = k - historyDays;
      if (REGIONS[s] === 'South' && (((daysBetween(ORIGIN, addDays(first, d)) + 5) % 7) + 7) % 7 === 0) return 0; // closed on Sundays
      return Math.round(20 * 17 * (1 + Number(s) / 10) * [0.8, 0.85, 0.9, 0.95, 1.1, 1.3, 1.2][(((d + 5) % 7) + 7) % 7]! * (0.9 + 0.2 * Math.abs(Math.sin(k))));
    });
    return overrides.apply({
      store: s,
      freshness: freshness(s),
      accuracy: accuracy(s),
      history: historyDays > 0 ? { firstDate: addDays(first, -historyDays), sales: hist } : null,
      total: sumBands(items),
      items,
      markers: Array.from({ length: days }, (_, k) => driversOn(s, addDays(start, k))).flat(),
    });
  };

  const runState = (m: MockRun): Run => {
    const elapsed = Date.now() - m.started;
    const bounds = [1500, 3000, 9000, 11000];
    const names = ['queued', 'dispatched', 'training', 'publishing'] as const;
    let at = bounds.findIndex((b) => elapsed < b);
    const failAt = 2;
    let status: RunStatus = at === -1 ? 'done' : names[at]!;
    if (m.fail && (at === -1 || at > failAt || (at === failAt && elapsed > 6000))) {
      status = 'failed';
      at = failAt;
    }
    const iso = (ms: number): string => new Date(m.started + ms).toISOString();
    const stages = names.map((name, i) => {
      const begin = i === 0 ? 0 : bounds[i - 1]!;
      const finished = status === 'done' || i < at;
      const running = !finished && i === at;
      const failed = status === 'failed' && i === failAt;
      return { name, status: failed ? ('failed' as const) : finished ? ('done' as const) : running ? ('running' as const) : ('pending' as const), startedAt: finished || running || failed ? iso(begin) : null, finishedAt: finished ? iso(bounds[i]!) : failed ? iso(6000) : null, durationMs: finished ? bounds[i]! - begin : null };
    });
    const done = status === 'done';
    const items = status === 'training' ? Math.min(20, Math.floor(((elapsed - 3000) / 6000) * 20)) : done || status === 'publishing' ? 20 : 0;
    if (done && m.run.status !== 'done') {
      const s = m.run.stores[0]!;
      generation.set(s, (generation.get(s) ?? 0) + 1);
      generatedAt.set(s, new Date().toISOString());
    }
    m.run = {
      ...m.run,
      status,
      updatedAt: new Date().toISOString(),
      finishedAt: done || status === 'failed' ? new Date().toISOString() : null,
      progress: { fraction: done ? 1 : Math.min(0.99, elapsed / 11000), message: status === 'training' ? `training ${items} of 20 items` : null, itemsDone: items, itemsTotal: 20 },
      stages,
      error: status === 'failed' ? { code: 'training_failed', message: 'The training job for this store ran out of memory (mock failure).', stage: 'training' } : null,
      ...(done ? { result: { generatedAt: generatedAt.get(m.run.stores[0]!)!, itemCount: 20 } } : {}),
    };
    return m.run;
  };

  const activeRun = (s: string): Store['activeRun'] => {
    for (const m of runs.values()) {
      const r = runState(m);
      if (r.stores[0] === s && r.status !== 'done' && r.status !== 'failed') return { runId: r.runId, status: r.status, statusUrl: `/api/runs/${r.runId}` };
    }
    return null;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, code: string, message: string, details?: object): void => send(res, status, { error: { code, message, ...(details ? { details } : {}) } });

  const storesParam = (res: ServerResponse, q: URLSearchParams): string[] | undefined => {
    const ids = (q.get('stores') ?? '').split(',').filter(Boolean);
    if (ids.length === 0) return void error(res, 400, 'bad_request', '"stores" is required.');
    const unknown = ids.filter((s) => !(s in REGIONS));
    if (unknown.length) return void error(res, 400, 'unknown_store', `Unknown store: ${unknown.join(', ')}.`, { stores: unknown });
    const forbidden = ids.filter((s) => !visible.includes(s));
    if (forbidden.length) return void error(res, 403, 'forbidden', `Store ${forbidden.join(', ')} is outside your regions.`, { stores: forbidden });
    return ids;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const path = url.pathname;
    if (path === '/.auth/me') return send(res, 200, { clientPrincipal: { identityProvider: 'aad', userId: 'mock-user', userDetails: role === 'admin' ? 'alex.admin@contoso.com' : 'pat.planner@contoso.com', userRoles: ['anonymous', 'authenticated', role] } });
    if (path === '/api/me') return send(res, 200, { userId: 'mock-user', userDetails: 'pat.planner@contoso.com', identityProvider: 'aad', roles: ['authenticated', role], role, regions: role === 'admin' ? ['North', 'South', 'East'] : ['North', 'South'], stores: visible });
    if (path === '/api/health') return send(res, 200, { status: 'ok', version: 'mock', time: new Date().toISOString(), checks: { storage: { status: 'ok', latencyMs: 1 } } });
    if (path === '/api/stores') return send(res, 200, { stores: visible.map((s) => ({ store: s, name: NAMES[s] ?? null, region: REGIONS[s]!, itemCount: 20, freshness: freshness(s), accuracy: accuracy(s), activeRun: activeRun(s) })) });
    if (path === '/api/forecasts') {
      const ids = storesParam(res, q);
      if (!ids) return;
      return send(res, 200, { from: q.get('from'), to: q.get('to'), stores: ids.map((s) => storeForecast(s, q.get('from') ?? undefined, q.get('to') ?? undefined, Number(q.get('historyDays') ?? 56))) });
    }
    if (path === '/api/transport') {
      const ids = storesParam(res, q);
      if (!ids) return;
      const level = (SERVICE_LEVELS as readonly string[]).includes(q.get('level') ?? '') ? (q.get('level') as ServiceLevel) : 'p50';
      const unit = (TRANSPORT_UNITS as readonly string[]).includes(q.get('unit') ?? '') ? (q.get('unit') as TransportUnit) : 'units';
      const stores = ids.map((s) => {
        const sf = storeForecast(s, q.get('from') ?? undefined, q.get('to') ?? undefined, 0);
        const t = sf.total ? sliceBand(sf.total) : null;
        const closed = (sf.markers ?? []).filter((m) => m.kind === 'closed').map((m) => m.date);
        return { store: s, freshness: sf.freshness, firstDate: t?.firstDate ?? null, units: t?.forecast ?? [], p10: t?.p10 ?? [], p90: t?.p90 ?? [], closed, ...(sf.total?.adjusted ? { adjusted: sf.total.adjusted } : {}) };
      });
      const totals = sumBands(stores.filter((s) => s.firstDate).map((s) => ({ firstDate: s.firstDate!, forecast: s.units, p10: s.p10, p90: s.p90 })));
      const body = mockTransportExtras({ from: q.get('from'), to: q.get('to'), stores, totals: totals ? { firstDate: totals.firstDate, units: totals.forecast, p10: totals.p10, p90: totals.p90 } : null }, level, unit);
      if ((req.headers.accept ?? '').includes('text/csv')) {
        const lines = ['date,store,level,unit,value,units,p10,p90,over_limit'];
        for (const st of body.stores) st.units.forEach((u, i) => lines.push([addDays(st.firstDate!, i), st.store, level, unit, st.value?.[i] ?? u, u, st.p10[i], st.p90[i], st.overLimit?.includes(addDays(st.firstDate!, i)) ? 1 : 0].join(',')));
        res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8' });
        res.end(`${lines.join('\r\n')}\r\n`);
        return;
      }
      return send(res, 200, body);
    }
    if (path === '/api/attention') return send(res, 200, { from: addDays(ORIGIN, 1), to: addDays(ORIGIN, HORIZON), thresholds: { heightenedPercent: 30, minUnits: 10, changedPercent: 20, maxItemEntries: 10 }, items: mockAttention(ORIGIN, visible, REGIONS) });
    if (path === '/api/value-added') {
      const ids = storesParam(res, q);
      if (!ids) return;
      return send(res, 200, overrides.valueAdded(ids));
    }
    const overrideMatch = /^\/api\/stores\/([^/]+)\/overrides(?:\/([^/]+))?$/.exec(path);
    if (overrideMatch) {
      const s = decodeURIComponent(overrideMatch[1]!);
      const sub = overrideMatch[2] === undefined ? undefined : decodeURIComponent(overrideMatch[2]);
      if (!(s in REGIONS)) return error(res, 404, 'not_found', `There is no store ${s}.`);
      if (!visible.includes(s)) return error(res, 403, 'forbidden', `Store ${s} is outside your regions.`);
      if (req.method !== 'GET' && req.headers['x-requested-with'] !== 'foreact') return error(res, 403, 'cross_site', 'Refused: the request did not come from the dashboard.');
      if (req.method === 'GET' && sub === 'history') return send(res, 200, { entries: overrides.history(s).slice(-500), truncated: overrides.history(s).length > 500, total: overrides.history(s).length });
      if (req.method === 'GET' && sub === undefined) return send(res, 200, { overrides: overrides.inForce(s) });
      if (req.method === 'DELETE' && sub !== undefined) {
        const done = overrides.remove(s, sub);
        if (!done) return error(res, 404, 'not_found', 'There is no such override.');
        res.writeHead(204);
        res.end();
        return;
      }
      if ((req.method === 'POST' && sub === undefined) || (req.method === 'PUT' && sub !== undefined)) {
        void readJson(req).then((body) => {
          const result = overrides.save(s, body, sub);
          if ('error' in result) return error(res, result.status, 'bad_request', result.error, { issues: result.issues });
          send(res, sub === undefined ? 201 : 200, result.override);
        });
        return;
      }
      return error(res, 405, 'method_not_allowed', 'Not allowed.');
    }
    const refresh = /^\/api\/stores\/([^/]+)\/refresh$/.exec(path);
    if (refresh && req.method === 'POST') {
      const s = decodeURIComponent(refresh[1]!);
      if (!(s in REGIONS)) return error(res, 404, 'not_found', `There is no store ${s}.`);
      if (!visible.includes(s)) return error(res, 403, 'forbidden', `Store ${s} is outside your regions.`);
      const active = activeRun(s);
      if (active) return send(res, 202, { runId: active.runId, statusUrl: active.statusUrl, store: s, status: active.status, joined: true }, { Location: active.statusUrl });
      const runId = `refresh-${s}-${Date.now()}`;
      const now = new Date().toISOString();
      runs.set(runId, { started: Date.now(), fail: s === '4', run: { runId, kind: 'refresh', stores: [s], status: 'queued', createdAt: now, updatedAt: now, finishedAt: null, progress: { fraction: 0, message: null }, stages: [], error: null } });
      return send(res, 202, { runId, statusUrl: `/api/runs/${runId}`, store: s, status: 'queued', joined: false }, { Location: `/api/runs/${runId}` });
    }
    const runMatch = /^\/api\/runs\/([^/]+)$/.exec(path);
    if (runMatch) {
      const m = runs.get(decodeURIComponent(runMatch[1]!));
      return m ? send(res, 200, runState(m)) : error(res, 404, 'not_found', 'There is no such run.');
    }
    error(res, 404, 'not_found', `No API route ${path}.`);
  };

  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/api/') || path === '/.auth/me') handle(req, res);
    else next();
  };
  return {
    name: 'foreact-mock-api',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
