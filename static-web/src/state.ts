import type { IsoDate, ServiceLevel, StoreId, TransportUnit } from './api';
import { MAX_STORES_PER_CALL, SERVICE_LEVELS, TRANSPORT_UNITS } from './api';
import { isIsoDate } from './dates';
import { compareIds } from './series';

/** Horizons offered in the dashboard (days from each store's first forecast day). */
export const DAY_OPTIONS = [7, 14, 28, 56, 90] as const;
export const DEFAULT_DAYS = 28;
export type View = 'stores' | 'transport';
/** `all` = every store the viewer may see (a link that works for every planner). */
export type Selection = StoreId[] | 'all';

/** A store card at one day (a "Needs attention" link): the card is scrolled to and the day highlighted. */
export interface Focus {
  store: StoreId;
  date: IsoDate;
}

export interface ViewState {
  selection: Selection;
  days: number;
  view: View;
  level?: ServiceLevel;
  unit?: TransportUnit;
  focus?: Focus;
}

export const DEFAULT_LEVEL: ServiceLevel = 'p50';
export const DEFAULT_UNIT: TransportUnit = 'units';

function isServiceLevel(value: unknown): value is ServiceLevel {
  return (SERVICE_LEVELS as readonly unknown[]).includes(value);
}

function isTransportUnit(value: unknown): value is TransportUnit {
  return (TRANSPORT_UNITS as readonly unknown[]).includes(value);
}

export interface ParsedUrl {
  selection?: Selection;
  days?: number;
  view?: View;
  level?: ServiceLevel;
  unit?: TransportUnit;
  focus?: Focus;
  /** Ids in the URL that are not well-formed store ids (reported, never sent to the API). */
  invalid: string[];
}

const STORE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const STORAGE_KEY = 'foreact.dashboard.v1';

export function isStoreId(text: string): boolean {
  return STORE_ID.test(text);
}

function parseStores(raw: string, invalid: string[]): Selection {
  if (raw.trim().toLowerCase() === 'all') return 'all';
  const out: StoreId[] = [];
  for (const part of raw.split(',')) {
    const id = part.trim();
    if (id === '') continue;
    if (!isStoreId(id)) invalid.push(id);
    else if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * Reads the view from the address: `?stores=1,2&days=28&view=transport`, or a store's own address
 * `/stores/7` (the same as `?stores=7`).
 */
export function parseUrl(search: string, pathname = '/'): ParsedUrl {
  const params = new URLSearchParams(search);
  const invalid: string[] = [];
  const result: ParsedUrl = { invalid };
  const path = /^\/stores\/([^/]+)\/?$/.exec(pathname);
  const storesParam = params.get('stores') ?? (path ? decodeURIComponent(path[1]!) : null);
  if (storesParam !== null) result.selection = parseStores(storesParam, invalid);
  const days = Number(params.get('days'));
  if (params.has('days') && Number.isInteger(days) && days >= 1 && days <= 366) result.days = days;
  const view = params.get('view');
  if (view === 'stores' || view === 'transport') result.view = view;
  const level = params.get('level');
  if (isServiceLevel(level)) result.level = level;
  const unit = params.get('unit');
  if (isTransportUnit(unit)) result.unit = unit;
  const focusStore = params.get('store')?.trim();
  const focusDate = params.get('date')?.trim();
  if (focusStore && focusDate) {
    if (!isStoreId(focusStore)) invalid.push(focusStore);
    else if (isIsoDate(focusDate)) {
      result.focus = { store: focusStore, date: focusDate };
      // The store at that day is what the link is for: shown even when the link names no selection.
      if (result.selection === undefined) result.selection = [focusStore];
      else if (result.selection !== 'all' && !result.selection.includes(focusStore)) result.selection = [...result.selection, focusStore];
      result.view = 'stores';
    }
  }
  return result;
}

/** The query string that reproduces the view (defaults left out so links stay short). */
export function toQuery(state: ViewState): string {
  const parts: string[] = [];
  if (state.selection === 'all') parts.push('stores=all');
  else if (state.selection.length > 0) parts.push(`stores=${state.selection.map(encodeURIComponent).join(',')}`);
  if (state.days !== DEFAULT_DAYS) parts.push(`days=${state.days}`);
  if (state.view !== 'stores') parts.push(`view=${state.view}`);
  if (state.level && state.level !== DEFAULT_LEVEL) parts.push(`level=${state.level}`);
  if (state.unit && state.unit !== DEFAULT_UNIT) parts.push(`unit=${state.unit}`);
  if (state.focus) parts.push(`store=${encodeURIComponent(state.focus.store)}`, `date=${state.focus.date}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function remembered(storage: KeyValueStorage | undefined): Partial<ViewState> {
  if (!storage) return {};
  try {
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return {};
    const data = JSON.parse(raw) as { selection?: unknown; days?: unknown; view?: unknown; level?: unknown; unit?: unknown };
    const out: Partial<ViewState> = {};
    if (data.selection === 'all') out.selection = 'all';
    else if (Array.isArray(data.selection)) out.selection = data.selection.filter((s): s is string => typeof s === 'string' && isStoreId(s));
    if (typeof data.days === 'number' && Number.isInteger(data.days) && data.days >= 1 && data.days <= 366) out.days = data.days;
    if (data.view === 'stores' || data.view === 'transport') out.view = data.view;
    if (isServiceLevel(data.level)) out.level = data.level;
    if (isTransportUnit(data.unit)) out.unit = data.unit;
    return out;
  } catch {
    return {};
  }
}

export function remember(storage: KeyValueStorage | undefined, state: ViewState): void {
  try {
    // A focused day belongs to the link that asked for it, not to the next visit.
    const { focus: _focus, ...kept } = state;
    storage?.setItem(STORAGE_KEY, JSON.stringify(kept));
  } catch {
    // Private mode or a full quota: remembering is a convenience.
  }
}

/** The address wins (a shared link shows what was shared), then what was remembered, then defaults. */
export function initialState(url: ParsedUrl, saved: Partial<ViewState>): ViewState {
  return {
    selection: url.selection ?? saved.selection ?? 'all',
    days: url.days ?? saved.days ?? DEFAULT_DAYS,
    view: url.view ?? saved.view ?? 'stores',
    ...((url.level ?? saved.level) ? { level: url.level ?? saved.level } : {}),
    ...((url.unit ?? saved.unit) ? { unit: url.unit ?? saved.unit } : {}),
    ...(url.focus ? { focus: url.focus } : {}),
  };
}

export interface ResolvedSelection {
  /** Stores to show, in the order of the visible list. */
  stores: StoreId[];
  /** Requested stores the viewer cannot see (forbidden or unknown: the client cannot tell which). */
  unavailable: StoreId[];
  /** True when the selection was cut to the per-call limit or the default limit. */
  truncated: boolean;
}

/** Intersects a selection with the stores the viewer may see. */
export function resolveSelection(selection: Selection, visible: readonly StoreId[], limit = MAX_STORES_PER_CALL): ResolvedSelection {
  const ordered = [...visible].sort(compareIds);
  if (selection === 'all') {
    const cap = Math.min(limit, ordered.length);
    return { stores: ordered.slice(0, cap), unavailable: [], truncated: ordered.length > cap };
  }
  const wanted = new Set(selection);
  const visibleSet = new Set(visible);
  const stores = ordered.filter((s) => wanted.has(s));
  const unavailable = selection.filter((s) => !visibleSet.has(s));
  return { stores: stores.slice(0, limit), unavailable, truncated: stores.length > limit };
}

/** Toggles one store in a selection (expanding `all` to the explicit list first). */
export function toggleStore(selection: Selection, visible: readonly StoreId[], store: StoreId, on: boolean): StoreId[] {
  const current = selection === 'all' ? [...visible] : selection.filter((s) => visible.includes(s));
  const without = current.filter((s) => s !== store);
  return on ? [...without, store].sort(compareIds) : without;
}

/** Case-insensitive match of a store against the picker's search text (id, name or region). */
export function matchesSearch(store: { store: string; name: string | null; region: string }, text: string): boolean {
  const q = text.trim().toLowerCase();
  if (q === '') return true;
  return [store.store, store.name ?? '', store.region, `store ${store.store}`].some((s) => s.toLowerCase().includes(q));
}
