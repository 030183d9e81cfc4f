/**
 * The planner's loop in the dev stand-in (issue 21): overrides with their audit trail, what needs attention,
 * and the transport view's service levels and units. Rules kept close to the API's so the dashboard shows
 * its 400s: a note is required, values are not negative, dates lie within the horizon, ranges do not overlap.
 */
import type { IncomingMessage } from 'node:http';
import type { AttentionEntry, Override, OverrideHistoryEntry, ServiceLevel, StoreForecast, TransportResponse, TransportUnit, ValueAddedResponse } from '../src/api';
import { addDays } from '../src/dates';

export function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
  });
}

type SaveResult = { override: Override } | { status: number; error: string; issues: { path: string; message: string }[] };

export class MockOverrides {
  private readonly byStore = new Map<string, Override[]>();
  private readonly log: OverrideHistoryEntry[] = [];
  private next = 1;

  constructor(
    private readonly origin: string,
    private readonly horizon: number,
    private readonly user: string,
  ) {}

  inForce(store: string): Override[] {
    return this.byStore.get(store) ?? [];
  }

  history(store: string): OverrideHistoryEntry[] {
    return this.log.filter((e) => (e.after ?? e.before)?.store === store);
  }

  save(store: string, body: unknown, id?: string): SaveResult {
    const b = (body ?? {}) as Record<string, unknown>;
    const bad = (path: string, message: string): SaveResult => ({ status: 400, error: message, issues: [{ path, message }] });
    const first = addDays(this.origin, 1);
    const last = addDays(this.origin, this.horizon);
    if (typeof b.from !== 'string' || b.from < first) return bad('from', `"from" must be a date from ${first} on: the past cannot be adjusted.`);
    if (typeof b.to !== 'string' || b.to < b.from) return bad('to', '"to" must be a date on or after "from".');
    if (b.to > last) return bad('to', `"to" lies beyond the forecast horizon (${last}).`);
    if (b.kind !== 'percent' && b.kind !== 'absolute' && b.kind !== 'promotion') return bad('kind', '"kind" must be "percent", "absolute" or "promotion".');
    if (b.kind === 'promotion' && b.value === undefined) b.value = 1;
    if (typeof b.value !== 'number' || !Number.isFinite(b.value)) return bad('value', '"value" must be a number.');
    if (b.kind === 'absolute' && b.value < 0) return bad('value', 'An absolute value cannot be negative.');
    if (b.kind === 'percent' && b.value < -100) return bad('value', 'A percentage below −100 % would make the forecast negative.');
    if (typeof b.note !== 'string' || b.note.trim() === '') return bad('note', 'A note saying why is required.');
    const items = Array.isArray(b.items) ? b.items.map(String) : undefined;
    const unknown = items?.filter((i) => !/^([1-9]|1\d|20)$/.test(i)) ?? [];
    if (unknown.length > 0) return bad('items', `Unknown items: ${unknown.join(', ')}.`);
    const list = this.byStore.get(store) ?? [];
    const clash = list.find((o) => o.id !== id && o.from <= (b.to as string) && (b.from as string) <= o.to && (!o.items || !items || o.items.some((i) => items.includes(i))));
    if (clash) return bad('from', `Overlaps the adjustment of ${clash.from} – ${clash.to}; edit that one instead.`);
    const before = id === undefined ? null : (list.find((o) => o.id === id) ?? null);
    if (id !== undefined && !before) return { status: 404, error: 'There is no such override.', issues: [] };
    const after: Override = { id: before?.id ?? `ovr-${this.next++}`, store, from: b.from, to: b.to, ...(items && items.length > 0 ? { items } : {}), kind: b.kind, value: b.value, note: b.note.trim(), by: this.user, at: new Date().toISOString(), version: (before?.version ?? 0) + 1 };
    this.byStore.set(store, before ? list.map((o) => (o.id === after.id ? after : o)) : [...list, after]);
    this.record(before ? 'edit' : 'create', before, after, after.note);
    // The stand-in trains nothing: a promotion says it could not rerun the store, as the API does then.
    if (after.kind === 'promotion') return { override: { ...after, driver: 'promo', refresh: { runId: null, statusUrl: null, error: 'the dev stand-in does not rerun stores' } } };
    return { override: after };
  }

  remove(store: string, id: string): boolean {
    const list = this.byStore.get(store) ?? [];
    const before = list.find((o) => o.id === id);
    if (!before) return false;
    this.byStore.set(store, list.filter((o) => o.id !== id));
    this.record('delete', before, null, before.note);
    return true;
  }

  private record(action: OverrideHistoryEntry['action'], before: Override | null, after: Override | null, note: string): void {
    const o = (after ?? before)!;
    this.log.push({ id: `audit-${this.log.length + 1}`, override: o.id, action, at: new Date().toISOString(), by: this.user, note, before, after, from: o.from, to: o.to, ...(o.items ? { items: o.items } : {}) });
  }

  /** The store's forecast with the overrides in force applied (see applyOverrides). */
  apply(sf: StoreForecast): StoreForecast {
    return applyOverrides(sf, this.inForce(sf.store));
  }

  valueAdded(stores: readonly string[]): ValueAddedResponse {
    const row = (s: string): ValueAddedResponse['stores'][number] => ({ store: s, weeks: { '4': { model: 0.14 + Number(s) / 100, adjusted: 0.12 + Number(s) / 100, days: 9 }, '13': { model: 0.15, adjusted: 0.16, days: 21 } } });
    return { stores: stores.filter((s) => s === '1' || s === '2').map(row), planners: [{ planner: this.user, weeks: { '4': { model: 0.15, adjusted: 0.13, days: 18 }, '13': { model: 0.15, adjusted: 0.16, days: 42 } } }] };
  }
}

/** The North stores' summer sale (14–16 July) as heightened demand; a changed day and an accuracy drop. */
export function mockAttention(origin: string, visible: readonly string[], regions: Record<string, string>): AttentionEntry[] {
  const out: AttentionEntry[] = [];
  for (const s of visible) {
    if (regions[s] !== 'North') continue;
    ['2017-07-14', '2017-07-15', '2017-07-16'].forEach((date, k) => out.push({ store: s, date, kind: 'heightened', change: 0.4 + 0.05 * Number(s) - 0.03 * k, units: Math.round((120 + 40 * Number(s)) * (1 - 0.1 * k)), reason: 'Promotion: Summer sale (whole store)' }));
  }
  if (visible.includes('4')) out.push({ store: '4', date: addDays(origin, 3), kind: 'changed', change: -0.22, units: -64, reason: 'Down 22 % from yesterday’s forecast' });
  if (visible.includes('6')) out.push({ store: '6', date: addDays(origin, 1), kind: 'accuracy', change: null, units: null, reason: 'Realised WAPE 31 % over the last 7 days, backtest 18 %' });
  if (visible.includes('2')) out.push({ store: '2', date: '2017-07-20', item: '17', kind: 'new-promotion', change: null, units: null, reason: 'Item 17 goes on promotion with 3 weeks of history: no uplift can be estimated' });
  return out.sort((a, b) => (b.units ?? 0) - (a.units ?? 0));
}

const LEVEL_FACTOR: Record<ServiceLevel, number> = { p50: 1, p80: 1.12, p90: 1.2, p95: 1.27 };
/** Units per case and cases per pallet of the mock's item master (items 19 and 20 have no pack sizes). */
const UNITS_PER = { cases: 12, pallets: 12 * 40 } as const;
const TRUCK_PALLETS = 26;
const RECEIVING_LIMIT_PALLETS = 2;

/** The API's service-level and unit fields on top of the mock's transport answer. */
export function mockTransportExtras(base: TransportResponse, level: ServiceLevel, unit: TransportUnit): TransportResponse {
  const convert = (u: number): number => {
    const q = u * LEVEL_FACTOR[level];
    if (unit === 'units') return Math.round(q);
    if (unit === 'cases') return Math.ceil(q / UNITS_PER.cases);
    const pallets = q / UNITS_PER.pallets;
    return unit === 'pallets' ? Math.round(pallets * 10) / 10 : Math.ceil(pallets / TRUCK_PALLETS);
  };
  const stores = base.stores.map((s) => {
    const value = s.units.map(convert);
    const pallets = s.units.map((u) => (u * LEVEL_FACTOR[level]) / UNITS_PER.pallets);
    const overLimit = s.firstDate ? pallets.flatMap((p, i) => (p > RECEIVING_LIMIT_PALLETS ? [addDays(s.firstDate!, i)] : [])) : [];
    return { ...s, value, overLimit, truckPallets: TRUCK_PALLETS };
  });
  // Region total at the level: less than the sum of the stores' quantiles (errors partly cancel).
  const totals = base.totals ? { ...base.totals, value: base.totals.units.map((u) => convert(u * (1 - (LEVEL_FACTOR[level] - 1) * 0.4))) } : null;
  return {
    ...base,
    level,
    unit,
    stores,
    totals,
    calibration: { source: 'realised', days: 168, shares: { p50: 0.53, p80: 0.78, p90: 0.88, p95: 0.94 } },
    unconverted: { items: unit === 'units' ? [] : ['19', '20'] },
  };
}

/**
 * As the API's adjustItems, for the stand-ins (this one and the dashboard tests' FakeApi): percent scales the
 * model's numbers, absolute sets them, per item and day, on the override's days. A promotion is in the model's
 * own numbers after the rerun, so it gives no adjusted numbers.
 */
export function applyOverrides(sf: StoreForecast, overrides: readonly Override[]): StoreForecast {
  if (overrides.length === 0) return sf;
  let touched = false;
  const items = sf.items.map((it) => {
    const adjusted = it.forecast.map((v, i) => {
      const date = addDays(it.firstDate, i);
      const o = overrides.find((x) => x.kind !== 'promotion' && x.from <= date && date <= x.to && (!x.items || x.items.includes(it.item)));
      if (!o) return v;
      return o.kind === 'percent' ? Math.round(v * (1 + o.value / 100) * 10) / 10 : o.value;
    });
    if (adjusted.every((v, i) => v === it.forecast[i])) return it;
    touched = true;
    return { ...it, adjusted };
  });
  if (!touched || !sf.total) return { ...sf, items };
  const total = sf.total;
  const adjusted = total.forecast.map((_, i) => Math.round(items.reduce((a, it) => a + (it.adjusted ?? it.forecast)[i]!, 0) * 10) / 10);
  return { ...sf, items, total: { ...total, adjusted } };
}
