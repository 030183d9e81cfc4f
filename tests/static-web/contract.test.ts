/**
 * docs/openapi.yaml is the contract between the dashboard and the API: it must be a valid document, and
 * the shapes the dashboard is tested with (fixtures.ts, typed by static-web/src/api.ts) must validate
 * against its schemas — so api.ts and the document cannot drift apart unnoticed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { applyOverrides, FakeApi, FIRST_DAY, run, SAMPLE_MARKERS, store, storeForecast, transportFrom, withValues } from './fixtures';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>; parameters?: unknown[] }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> };
};

const doc = parse(readFileSync(fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url)), 'utf8')) as Doc;

function validator(): (name: string, value: unknown) => string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components });
  return (name, value) => {
    const validate = ajv.getSchema(`openapi#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  };
}

describe('docs/openapi.yaml', () => {
  const check = validator();

  it('is OpenAPI 3.1 and describes every endpoint of the API', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/attention', '/forecasts', '/health', '/me', '/runs/{id}', '/stores', '/stores/{store}/check-run', '/stores/{store}/overrides', '/stores/{store}/overrides/history', '/stores/{store}/overrides/{id}', '/stores/{store}/refresh', '/transport', '/value-added']);
    expect(Object.keys(doc.paths['/stores/{store}/refresh']!)).toEqual(['post']);
  });

  it('gives every 4xx/5xx response (but /health) the one error shape', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || path === '/health') continue;
          const name = response.$ref?.split('/').pop();
          const resolved = name ? doc.components.responses[name] : response;
          expect(resolved?.content?.['application/json']?.schema, `${path} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
  });

  it('accepts the error shape and rejects anything else', () => {
    expect(check('Error', { error: { code: 'bad_request', message: '"from" must be a date.', details: { issues: [{ path: 'from', message: 'bad' }] } } })).toEqual([]);
    expect(check('Error', { error: { message: 'no code' } })).not.toEqual([]);
    expect(check('Error', { message: 'flat' })).not.toEqual([]);
  });

  it('matches the stores the dashboard is tested with', () => {
    expect(check('StoreList', { stores: [store('1'), store('2', { name: 'Main St', activeRun: { runId: 'refresh-2-1', status: 'training', statusUrl: '/api/runs/refresh-2-1' } })] })).toEqual([]);
    const never = store('3', { accuracy: null, freshness: { currentRunId: null, generatedAt: null, origin: null, forecastFrom: null, forecastTo: null, stale: true, staleReason: 'No forecast yet.' } });
    expect(check('Store', never)).toEqual([]);
    expect(check('Store', { ...store('1'), extra: 1 })).not.toEqual([]);
    expect(check('Store', { ...store('1'), store: 'a b' })).not.toEqual([]);
  });

  it('matches forecasts and transport responses', () => {
    const forecasts = [storeForecast('1'), storeForecast('2', { items: 0 })];
    forecasts[1]!.total = null;
    expect(check('ForecastResponse', { from: FIRST_DAY, to: null, stores: forecasts })).toEqual([]);
    // Since issue 21 every answer names its level and unit and carries `value` (the defaults: p50, units).
    expect(check('TransportResponse', withValues(transportFrom(forecasts), 'p50', 'units'))).toEqual([]);
    expect(check('ItemForecast', { item: '1', firstDate: '2017-13-01', forecast: [], p10: [], p90: [] })).not.toEqual([]);
    expect(check('ItemForecast', { item: '1', firstDate: FIRST_DAY, forecast: [-1], p10: [0], p90: [0] })).not.toEqual([]);
  });

  it('matches forecasts with drivers (markers) and transport with closed days, both optional', () => {
    const forecasts = [storeForecast('1', { markers: SAMPLE_MARKERS }), storeForecast('2')];
    expect(forecasts[0]!.markers).toHaveLength(SAMPLE_MARKERS.length);
    expect(forecasts[1]!.markers).toBeUndefined(); // today's backend: no markers at all
    expect(check('ForecastResponse', { from: FIRST_DAY, to: null, stores: forecasts })).toEqual([]);
    const transport = withValues(transportFrom(forecasts), 'p50', 'units');
    expect(transport.stores[0]!.closed).toEqual(['2017-07-02']);
    expect(check('TransportResponse', transport)).toEqual([]);
    expect(check('StoreForecast', { ...forecasts[1], markers: [] })).toEqual([]);
    for (const m of SAMPLE_MARKERS) expect(check('DriverMarker', m), JSON.stringify(m)).toEqual([]);
    expect(check('DriverMarker', { date: FIRST_DAY, kind: 'holiday', label: 'X' })).not.toEqual([]);
    expect(check('DriverMarker', { date: FIRST_DAY, kind: 'event', label: '' })).not.toEqual([]);
    expect(check('DriverMarker', { date: FIRST_DAY, kind: 'promotion', label: 'Promotion', items: [] })).not.toEqual([]);
    expect(check('DriverMarker', { date: FIRST_DAY, kind: 'closed', label: 'Closed', open: 0 })).not.toEqual([]);
    expect(check('TransportStore', { ...transport.stores[0], closed: ['2017-02-30x'] })).not.toEqual([]);
  });

  it('documents the drivers columns of the CSV answers', () => {
    const csv = (path: string): string => JSON.stringify(doc.paths[path]!.get!.responses['200']!.content!['text/csv']);
    expect(csv('/forecasts')).toContain('date,store,item,forecast,p10,p90,closed,promotion,events');
    expect(csv('/transport')).toContain('date,store,units,p10,p90,closed');
  });

  it('matches runs in every status, and refresh answers', () => {
    for (const status of ['queued', 'dispatched', 'training', 'publishing', 'done'] as const) expect(check('Run', run(status)), status).toEqual([]);
    expect(check('Run', run('failed', { error: { code: 'training_failed', message: 'Training job ran out of memory.', stage: 'training' } }))).toEqual([]);
    expect(check('Run', { ...run('queued'), status: 'running' })).not.toEqual([]);
    expect(check('RefreshAccepted', { runId: 'refresh-1-1', statusUrl: '/api/runs/refresh-1-1', store: '1', status: 'queued', joined: true })).toEqual([]);
  });

  it('matches /me', () => {
    expect(check('Me', { userId: 'u', userDetails: 'ann', identityProvider: 'aad', roles: ['authenticated', 'planner'], role: 'planner', regions: ['North'], stores: ['1', '3'] })).toEqual([]);
    expect(check('Me', { userId: 'u', userDetails: 'bob', identityProvider: 'aad', roles: ['authenticated'], role: null, regions: [], stores: [] })).toEqual([]);
  });

  it('matches the planner\'s loop: attention, overrides and their history, adjusted forecasts, value added', async () => {
    const attention = new FakeApi({ stores: [store('1')] });
    attention.attentionItems = [{ store: '1', date: FIRST_DAY, kind: 'heightened', change: 0.45, units: 120, reason: 'Promotion', cause: 'promotion', link: '?store=1&date=2017-07-01' }];
    expect(check('AttentionResponse', await attention.attention())).toEqual([]);
    expect(check('AttentionEntry', { store: '1', date: FIRST_DAY, kind: 'soaring', change: 0.45, units: 120, reason: null, cause: null, link: '?store=1&date=2017-07-01' })).not.toEqual([]);
    const api = new FakeApi({ stores: [store('1')] });
    const created = await api.createOverride('1', { from: '2017-07-03', to: '2017-07-04', items: ['2'], kind: 'percent', value: 20, note: 'Festival' });
    await api.editOverride('1', created.id, { from: '2017-07-03', to: '2017-07-04', kind: 'absolute', value: 30, note: 'More' });
    expect(check('OverrideList', { store: '1', ...(await api.overrides('1')) })).toEqual([]);
    expect(check('OverrideHistory', { store: '1', ...(await api.overrideHistory('1')) })).toEqual([]);
    const adjusted = applyOverrides(storeForecast('1'), (await api.overrides('1')).overrides);
    expect(adjusted.items[1]!.adjusted).toBeDefined();
    expect(check('ForecastResponse', { from: FIRST_DAY, to: null, stores: [adjusted] })).toEqual([]);
    for (const unit of ['units', 'pallets', 'trucks'] as const) expect(check('TransportResponse', withValues(transportFrom([storeForecast('1'), storeForecast('2')]), 'p90', unit, ['2'])), unit).toEqual([]);
    expect(check('ValueAddedResponse', { stores: [{ store: '1', weeks: { '4': { model: 0.2, adjusted: 0.15, days: 9 }, '13': { model: null, adjusted: null, days: 0 } } }], planners: [{ planner: 'ann@contoso.com', weeks: { '4': { model: 0.2, adjusted: 0.15, days: 9 }, '13': { model: 0.2, adjusted: 0.15, days: 9 } } }] })).toEqual([]);
  });
});
