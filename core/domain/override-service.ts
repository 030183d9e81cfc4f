import { randomBytes } from 'node:crypto';
import { formatIsoDay, parseIsoDay } from '../../engine/index.js';
import { ConcurrencyConflict, NotFound, type OverrideAuditEntry, type OverrideRepository, type RealisedDay } from '../ports/index.js';
import { scopeFor, type ApiDeps } from './api-service.js';
import { checkStores, requireRole, type AccessScope, type Principal } from './api-access.js';
import { compareIds, itemViews, type ItemForecastView } from './api-views.js';
import { DomainError } from './errors.js';
import { adjustItems, checkOverride, OVERRIDE_LIMITS, promotionDriver, unexpired, type Override, type OverrideInput, type PromotionDriver } from './overrides.js';
import type { StoreState } from './model.js';
import { compactTimestamp } from './ids.js';
import { mapLimit } from './map-limit.js';

/** The overrides API: who may change what, the checks, and the audit entry each change writes with it. */

export interface OverrideDeps {
  api: ApiDeps;
  overrides: OverrideRepository;
}

/** Overrides and audit entries: time-sortable and random enough never to collide (two planners in one millisecond). */
export function newOverrideId(at: Date): string {
  return `${compactTimestamp(at)}-${randomBytes(6).toString('hex')}`;
}

/** As authoriseStore, answering the store's state too: the access check already read it, so a request reads it once. */
async function authoriseRead(deps: ApiDeps, principal: Principal, store: string): Promise<{ scope: AccessScope; state: StoreState | undefined }> {
  const { scope, states } = await scopeFor(deps, principal, [store]);
  checkStores(scope, [store]);
  return { scope, state: states.get(store) };
}

/** Planners change their regions' stores, admins any; operators (and anyone else) read at most. */
async function authoriseChange(deps: ApiDeps, principal: Principal, store: string): Promise<StoreState | undefined> {
  const { scope, state } = await authoriseRead(deps, principal, store);
  if (scope.role !== 'planner' && scope.role !== 'admin') throw new DomainError('forbidden', 'Only planners (on their regions\' stores) and admins may change overrides.');
  return state;
}

interface StoreForecast {
  firstDay: number;
  lastDay: number;
  runId: string;
  items: ItemForecastView[];
  state: StoreState;
}

async function currentForecast(deps: ApiDeps, store: string, state: StoreState | undefined): Promise<StoreForecast | undefined> {
  const current = state?.current;
  const firstDay = current === undefined ? undefined : parseIsoDay(current.firstDay);
  if (current === undefined || firstDay === undefined) return undefined;
  const items = itemViews(await deps.forecasts.readRun(store, current.runId));
  return { firstDay, lastDay: firstDay + Math.max(1, current.horizon) - 1, runId: current.runId, items, state: state! };
}

/**
 * The store's promotion driver, read from its stored drivers only for a promotion override (the other kinds
 * need no drivers). Undefined when the store has no drivers, or none of them is a promotion with history.
 */
async function promotionFor(deps: ApiDeps, forecast: StoreForecast, kind: OverrideInput['kind']): Promise<PromotionDriver | undefined> {
  const blob = forecast.state.drivers?.blob;
  if (kind !== 'promotion' || blob === undefined || deps.storeDrivers === undefined) return undefined;
  const drivers = await deps.storeDrivers(blob);
  return promotionDriver(drivers, forecast.firstDay);
}

async function requireForecast(deps: ApiDeps, store: string, state: StoreState | undefined): Promise<StoreForecast> {
  const forecast = await currentForecast(deps, store, state);
  if (forecast === undefined) throw new DomainError('invalid', `"store": store ${store} has no forecast yet, so there is nothing to override.`);
  return forecast;
}

/**
 * The affected days' numbers, summed over the affected items: the model's, and the adjusted ones with the
 * overrides before and after the change (what the audit log shows a reviewer).
 */
export function auditNumbers(forecast: StoreForecast | undefined, before: readonly Override[], after: readonly Override[], range: { from: string; to: string; items?: string[] | undefined }): OverrideAuditEntry['numbers'] {
  const from = parseIsoDay(range.from);
  const to = parseIsoDay(range.to);
  if (forecast === undefined || from === undefined || to === undefined) return { before: [], after: [] };
  const lo = Math.max(from, forecast.firstDay);
  const hi = Math.min(to, forecast.lastDay);
  if (hi < lo) return { before: [], after: [], runId: forecast.runId };
  const only = range.items === undefined ? undefined : new Set(range.items);
  const sum = (items: readonly (ItemForecastView & { adjusted?: number[] })[], adjusted: boolean): number[] => {
    const out = new Array<number>(hi - lo + 1).fill(0);
    for (const item of items) {
      if (only !== undefined && !only.has(item.item)) continue;
      const start = parseIsoDay(item.firstDate);
      if (start === undefined) continue;
      const values = adjusted ? (item.adjusted ?? item.forecast) : item.forecast;
      for (let day = lo; day <= hi; day++) out[day - lo]! += values[day - start] ?? 0;
    }
    return out.map((v) => Math.round(v * 1000) / 1000);
  };
  return { before: sum(adjustItems(forecast.items, before), true), after: sum(adjustItems(forecast.items, after), true), model: sum(forecast.items, false), firstDate: formatIsoDay(lo), runId: forecast.runId };
}

/** What a change touches: the union of the override's days and items before and after (no items: the whole store). */
function changedRange(before: Override | null, after: Override | null): { from: string; to: string; items?: string[] } {
  const a = before ?? after!;
  const b = after ?? before!;
  const items = a.items === undefined || b.items === undefined ? undefined : [...new Set([...a.items, ...b.items])].sort(compareIds);
  return { from: a.from < b.from ? a.from : b.from, to: a.to > b.to ? a.to : b.to, ...(items === undefined ? {} : { items }) };
}

function entryFor(action: OverrideAuditEntry['action'], at: Date, by: string, note: string, before: Override | null, after: Override | null, numbers: OverrideAuditEntry['numbers']): OverrideAuditEntry {
  return {
    id: newOverrideId(at),
    override: (before ?? after!).id,
    action,
    at: at.toISOString(),
    by,
    note,
    before,
    after,
    numbers,
    ...changedRange(before, after),
  };
}

function withoutItemsWhenStoreWide(o: Override): Override {
  if (o.items !== undefined) return o;
  const { items: _items, ...rest } = o;
  return rest;
}

export async function createOverride(deps: OverrideDeps, principal: Principal, store: string, input: OverrideInput): Promise<Override> {
  const state = await authoriseChange(deps.api, principal, store);
  const forecast = await requireForecast(deps.api, store, state);
  const live = unexpired(await deps.overrides.inForce(store), forecast.firstDay);
  const promotion = await promotionFor(deps.api, forecast, input.kind);
  const checked = checkOverride(input, { firstDay: forecast.firstDay, lastDay: forecast.lastDay, knownItems: new Set(forecast.items.map((i) => i.item)), others: live, promotion, store });
  const now = deps.api.clock.now();
  const override = withoutItemsWhenStoreWide({ id: newOverrideId(now), store, ...checked, by: principal.userDetails, at: now.toISOString(), version: 1 });
  const entry = entryFor('create', now, principal.userDetails, override.note, null, override, auditNumbers(forecast, live, [...live, override], override));
  await deps.overrides.create(override, entry);
  return override;
}

/** The override being changed, from the store's live overrides the change is checked against anyway (one read, not two). */
function existing(live: readonly Override[], store: string, id: string, expectedVersion: number | undefined): Override {
  const found = live.find((o) => o.id === id);
  if (found === undefined) throw new DomainError('not_found', `Store ${store} has no override "${id.slice(0, 80)}" (deleted, or never made).`);
  if (expectedVersion !== undefined && expectedVersion !== found.version) throw new ConcurrencyConflict(`override ${id} (version ${found.version}, not ${expectedVersion})`);
  return found;
}

function gone(store: string, id: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof NotFound) throw new DomainError('not_found', `Store ${store} has no override "${id.slice(0, 80)}" (deleted meanwhile).`);
    throw error;
  };
}

/** `expectedVersion`: the version the planner edited (absent: whatever is stored now). */
export async function editOverride(deps: OverrideDeps, principal: Principal, store: string, id: string, input: OverrideInput, expectedVersion?: number): Promise<Override> {
  return (await editOverrideFrom(deps, principal, store, id, input, expectedVersion)).after;
}

/** As editOverride, answering the override before the edit too (a promotion edited into another kind reruns the store). */
export async function editOverrideFrom(deps: OverrideDeps, principal: Principal, store: string, id: string, input: OverrideInput, expectedVersion?: number): Promise<{ before: Override; after: Override }> {
  const state = await authoriseChange(deps.api, principal, store);
  const forecast = await requireForecast(deps.api, store, state);
  const all = await deps.overrides.inForce(store);
  const before = existing(all, store, id, expectedVersion);
  const live = unexpired(all, forecast.firstDay);
  const others = live.filter((o) => o.id !== id);
  const promotion = await promotionFor(deps.api, forecast, input.kind);
  const checked = checkOverride(input, { firstDay: forecast.firstDay, lastDay: forecast.lastDay, knownItems: new Set(forecast.items.map((i) => i.item)), others, keepFrom: before.from, promotion, store });
  const now = deps.api.clock.now();
  const { items: _items, driver: _driver, ...kept } = before;
  const after = withoutItemsWhenStoreWide({ ...kept, ...checked, by: principal.userDetails, at: now.toISOString(), version: before.version + 1 });
  const entry = entryFor('edit', now, principal.userDetails, after.note, before, after, auditNumbers(forecast, [...others, before], [...others, after], changedRange(before, after)));
  await deps.overrides.edit(after, before.version, entry).catch(gone(store, id));
  return { before, after };
}

/** The note is optional here (a deletion needs no reason to be safe); the entry keeps what was given, else "". Answers the override removed. */
export async function removeOverride(deps: OverrideDeps, principal: Principal, store: string, id: string, note: string | undefined, expectedVersion?: number): Promise<Override> {
  const state = await authoriseChange(deps.api, principal, store);
  const all = await deps.overrides.inForce(store);
  const before = existing(all, store, id, expectedVersion);
  const forecast = await currentForecast(deps.api, store, state);
  const live = unexpired(all, forecast?.firstDay);
  const others = live.filter((o) => o.id !== id);
  const now = deps.api.clock.now();
  const text = (note ?? '').trim();
  if (text.length > OVERRIDE_LIMITS.maxNoteChars) throw new DomainError('invalid', `"note": at most ${OVERRIDE_LIMITS.maxNoteChars} characters (got ${text.length})`);
  const entry = entryFor('delete', now, principal.userDetails, text, before, null, auditNumbers(forecast, [...others, before], others, before));
  await deps.overrides.remove(store, id, before.version, entry).catch(gone(store, id));
  return before;
}

/** The store's overrides that still touch its current forecast, by start. */
export async function listOverrides(deps: OverrideDeps, principal: Principal, store: string): Promise<{ store: string; overrides: Override[] }> {
  const { state } = await authoriseRead(deps.api, principal, store);
  const firstDay = state?.current === undefined ? undefined : parseIsoDay(state.current.firstDay);
  const list = unexpired(await deps.overrides.inForce(store), firstDay);
  return { store, overrides: list.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.id < b.id ? -1 : 1)) };
}

/** Audit entries a history answer holds: the newest 500 by default, at most 1,000 when asked (`limit`). */
export const OVERRIDE_HISTORY_LIMIT = { default: 500, max: 1000 } as const;

/**
 * The newest `limit` entries of the store's audit log, oldest first as the log reads; `truncated` says older
 * ones exist and `total` how many entries the log holds. The log itself only grows: this bounds the answer.
 */
export async function overrideHistory(deps: OverrideDeps, principal: Principal, store: string, limit: number = OVERRIDE_HISTORY_LIMIT.default): Promise<{ store: string; entries: OverrideAuditEntry[]; truncated: boolean; total: number }> {
  await authoriseRead(deps.api, principal, store);
  const all = await deps.overrides.history(store);
  return { store, entries: all.length > limit ? all.slice(all.length - limit) : all, truncated: all.length > limit, total: all.length };
}

/** Forecast value added: the windows, in weeks, the card shows. */
export const VALUE_ADDED_WEEKS = [4, 13] as const;

export interface ValueAddedWindow {
  /** WAPE of the model's store-day totals and of the adjusted ones, over the days an override applied; null without sales. */
  model: number | null;
  adjusted: number | null;
  days: number;
}

export type ValueAddedWeeks = Record<string, ValueAddedWindow>;

/** WAPE of model and adjusted over the realised days an override touched, within each window ending today. */
export function valueAddedWeeks(days: readonly RealisedDay[], today: number): ValueAddedWeeks {
  const out: ValueAddedWeeks = {};
  for (const weeks of VALUE_ADDED_WEEKS) {
    const since = today - weeks * 7;
    let modelError = 0;
    let adjustedError = 0;
    let sold = 0;
    let count = 0;
    for (const d of days) {
      const day = parseIsoDay(d.date);
      if (d.adjusted === undefined || day === undefined || day < since || day > today) continue;
      modelError += Math.abs(d.forecast - d.actual);
      adjustedError += Math.abs(d.adjusted - d.actual);
      sold += d.actual;
      count++;
    }
    const wape = (e: number): number | null => (sold > 0 ? Math.round((e / sold) * 10_000) / 10_000 : null);
    out[String(weeks)] = { model: wape(modelError), adjusted: wape(adjustedError), days: count };
  }
  return out;
}

/**
 * Per store and per planner (the `adjustedBy` of each day), over the caller's stores (or those asked for).
 * A day several planners adjusted (item overrides of both) counts for each of them.
 */
export async function valueAdded(deps: ApiDeps, principal: Principal, stores: readonly string[] | undefined) {
  const { scope, states } = await scopeFor(deps, principal, stores);
  requireRole(scope);
  if (stores !== undefined) checkStores(scope, stores);
  const visible = (stores ?? [...states.keys()].filter((s) => scope.canSee(s))).slice().sort(compareIds);
  const today = Math.floor(deps.clock.now().getTime() / 86_400_000);
  const window = Math.max(...VALUE_ADDED_WEEKS) * 7 + 1;
  const recorded = await mapLimit(visible, deps.readConcurrency ?? 8, (store) => (deps.realised ? deps.realised.recent(store, window).catch(() => []) : Promise.resolve([])));
  const byPlanner = new Map<string, RealisedDay[]>();
  for (const days of recorded) {
    for (const d of days) {
      for (const who of new Set(d.adjustedBy ?? [])) {
        const list = byPlanner.get(who);
        if (list === undefined) byPlanner.set(who, [d]);
        else list.push(d);
      }
    }
  }
  return {
    stores: visible.map((store, i) => ({ store, weeks: valueAddedWeeks(recorded[i] ?? [], today) })),
    planners: [...byPlanner.keys()].sort().map((planner) => ({ planner, weeks: valueAddedWeeks(byPlanner.get(planner)!, today) })),
  };
}
