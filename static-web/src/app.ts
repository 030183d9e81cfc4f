import type { ApiClient, AttentionEntry, FetchLike, ForecastResponse, Store, StoreId, TransportQuery, TransportResponse, ValueAddedResponse } from './api';
import { ApiError } from './api';
import type { User } from './auth';
import { currentUser, loginUrl, logoutUrl, userIdText } from './auth';
import type { ChartHandle } from './components/chart';
import { AttentionPanel } from './components/attentionPanel';
import { Notices } from './components/notices';
import { StoreCard } from './components/storeCard';
import { StorePicker } from './components/storePicker';
import { TransportView } from './components/transportView';
import { addDays, daysBetween, maxDate } from './dates';
import { announce, h, loading, replace } from './dom';
import { formatDay, storeLabel } from './format';
import type { FollowOptions } from './refresh';
import type { ChartData } from './series';
import type { KeyValueStorage, ResolvedSelection, Selection, View, ViewState } from './state';
import { DAY_OPTIONS, DEFAULT_LEVEL, DEFAULT_UNIT, initialState, parseUrl, remember, remembered, resolveSelection, toQuery } from './state';
import { transportGrid } from './transport';
import { valueAddedWindows } from './overrides';

/** Reads after a finished refresh until the store shows its run: the API's pointer cache holds ≤ 2 s. */
const NEW_RUN_READS = 4;
const NEW_RUN_RETRY_MS = 1_000;

export interface AppDeps {
  api: ApiClient;
  fetch: FetchLike;
  storage?: KeyValueStorage;
  /** Defaults to the real window's location and history. */
  location?: { pathname: string; search: string; href: string };
  history?: Pick<History, 'pushState' | 'replaceState'>;
  renderChart(container: HTMLElement, data: ChartData): ChartHandle;
  followOptions?: FollowOptions;
  /** Debounce of reloads while the store selection changes, ms. */
  reloadDelayMs?: number;
}

const HISTORY_DAYS = 56;

/** The dashboard: header, toolbar, store cards and the transport view, bound to the API. */
export class App {
  private readonly notices = new Notices();
  private readonly userBox = h('div', { className: 'user', 'data-testid': 'user' });
  private readonly main: HTMLElement;
  private readonly content = h('div', { className: 'content' });
  private picker: StorePicker | undefined;
  private transport: TransportView | undefined;
  private attention: AttentionPanel | undefined;
  private attentionController: AbortController | undefined;
  private transportController: AbortController | undefined;
  private readonly cards = new Map<StoreId, StoreCard>();
  private cardList: HTMLElement | undefined;
  private storesStatus: HTMLElement | undefined;
  private readonly plannerValueAdded = h('p', { className: 'status-line value-added', 'data-testid': 'planner-value-added', hidden: true });
  private tabs: { stores: HTMLButtonElement; transport: HTMLButtonElement; storesPanel: HTMLElement; transportPanel: HTMLElement } | undefined;
  private daysSelect: HTMLSelectElement | undefined;
  private user: User | null = null;
  private stores: Store[] = [];
  private state: ViewState = { selection: 'all', days: 28, view: 'stores' };
  private resolved: ResolvedSelection = { stores: [], unavailable: [], truncated: false };
  private loadController: AbortController | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  /** Resolves when the latest data load has been rendered (tests wait on it). */
  idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: AppDeps,
  ) {
    this.main = h('main', { id: 'main', tabindex: -1 }, h('h1', {}, 'Demand forecasts'), this.notices.el, this.content);
    replace(
      root,
      h('a', { className: 'skip-link', href: '#main' }, 'Skip to content'),
      h('header', { className: 'app-header' }, h('div', { className: 'brand' }, h('span', { className: 'logo', 'aria-hidden': 'true' }, '▤'), 'Foreact'), this.userBox),
      this.main,
      h('div', { id: 'announcer', className: 'visually-hidden', 'aria-live': 'polite', 'aria-atomic': 'true' }),
    );
  }

  private get location(): { pathname: string; search: string; href: string } {
    return this.deps.location ?? window.location;
  }

  async start(): Promise<void> {
    replace(this.content, loading('Loading your stores…', 'app-loading'));
    try {
      this.user = await currentUser(this.deps.fetch, this.deps.api);
    } catch (e) {
      this.fatal(`Could not check who you are: ${messageOf(e)}`);
      return;
    }
    if (!this.user) {
      this.renderSignedOut();
      return;
    }
    this.renderUser(this.user);
    try {
      this.stores = (await this.deps.api.stores()).stores;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return this.renderSignedOut();
      if (e instanceof ApiError && e.status === 403) {
        this.fatal(`Your account has no access to Foreact forecasts yet. Ask an administrator to give you the planner role and assign your region.${this.user.userId ? ` Your user id: ${userIdText(this.user)}.` : ''}`, 'no-role');
        return;
      }
      this.fatal(`Could not load your stores: ${messageOf(e)}`, 'stores-failed', true);
      return;
    }
    const url = parseUrl(this.location.search, this.location.pathname);
    this.state = initialState(url, remembered(this.deps.storage));
    if (url.invalid.length > 0) this.notices.show('invalid-stores', 'warning', `The link names stores that cannot exist: ${url.invalid.join(', ')}. They were left out.`);
    if (this.stores.length === 0) {
      replace(
        this.content,
        h('p', { className: 'empty', 'data-testid': 'no-stores' }, 'You have no stores assigned yet. Ask an administrator to assign your region to you; your stores will then appear here.'),
        this.userIdNote(),
      );
      return;
    }
    this.renderShell();
    this.fitFocus();
    this.apply(false);
    void this.loadAttention();
    if (!this.location.search && this.location.pathname === '/') this.deps.history?.replaceState(null, '', this.urlFor(this.state));
    window.addEventListener('popstate', () => this.onPopState());
  }

  private urlFor(state: ViewState): string {
    return `/${toQuery(state)}`;
  }

  private onPopState(): void {
    const url = parseUrl(this.location.search, this.location.pathname);
    const { focus: _previous, ...kept } = this.state;
    this.state = initialState(url, kept);
    this.fitFocus();
    this.transport?.setParameters(this.state.level ?? DEFAULT_LEVEL, this.state.unit ?? DEFAULT_UNIT);
    this.apply(false);
  }

  /** Widens the days on screen so that a focused day is among them. */
  private fitFocus(): void {
    const focus = this.state.focus;
    if (!focus) return;
    const from = this.stores.find((s) => s.store === focus.store)?.freshness.forecastFrom;
    if (!from) return;
    const need = daysBetween(from, focus.date) + 1;
    if (need > this.state.days) this.state = { ...this.state, days: DAY_OPTIONS.find((d) => d >= need) ?? Math.min(366, need) };
  }

  /** A "Needs attention" entry: the store's card at that day (the selection keeps the store if it has it). */
  private openAttention(entry: AttentionEntry): void {
    const before = this.state;
    const shown = this.resolved.stores.includes(entry.store);
    this.state = { ...this.state, focus: { store: entry.store, date: entry.date }, view: 'stores', ...(shown ? {} : { selection: [entry.store] }) };
    this.fitFocus();
    this.deps.history?.pushState(null, '', this.urlFor(this.state));
    const card = this.cards.get(entry.store);
    if (shown && card && before.days === this.state.days) {
      // The data on screen already has that day: switch tab and highlight at once.
      this.apply('view-only');
      for (const [id, c] of this.cards) c.setFocus(id === entry.store ? entry.date : undefined);
      return;
    }
    this.apply(false);
  }

  private async loadAttention(): Promise<void> {
    if (!this.attention) return;
    this.attentionController?.abort();
    const controller = new AbortController();
    this.attentionController = controller;
    this.attention.setLoading();
    try {
      const { items, thresholds } = await this.deps.api.attention({}, controller.signal);
      if (controller.signal.aborted) return;
      this.attention.update(items, this.stores, thresholds);
    } catch (e) {
      if (isAbort(e) || controller.signal.aborted) return;
      this.attention.setError(this.describeLoadError(e, 'what needs attention'));
    }
  }

  /** The id to give an administrator: regions are assigned to it, since an e-mail can change hands. */
  private userIdNote(): HTMLElement | null {
    const user = this.user;
    if (!user?.userId) return null;
    return h('p', { className: 'user-id-note' }, 'Give them your user id: ', h('code', { 'data-testid': 'user-id' }, userIdText(user)), '.');
  }

  private renderUser(user: User): void {
    replace(
      this.userBox,
      h('span', { className: 'user-name', 'data-testid': 'user-name' }, user.name),
      user.role ? h('span', { className: `badge badge-role`, 'data-testid': 'user-role' }, user.role === 'admin' ? 'Admin' : 'Planner') : h('span', { className: 'badge', 'data-testid': 'user-role' }, 'No role'),
      h('a', { href: logoutUrl('/'), className: 'sign-out', 'data-testid': 'sign-out' }, 'Sign out'),
    );
  }

  private renderSignedOut(): void {
    replace(this.userBox, h('a', { href: loginUrl(this.location.href), 'data-testid': 'sign-in' }, 'Sign in'));
    replace(
      this.content,
      h('div', { className: 'signed-out', 'data-testid': 'signed-out' }, h('p', {}, 'Sign in with your company account to see the forecasts of your stores.'), h('a', { className: 'button', href: loginUrl(this.location.href) }, 'Sign in')),
    );
  }

  private fatal(message: string, id = 'fatal', retry = false): void {
    replace(this.content);
    this.notices.show(id, 'error', message, retry ? { label: 'Try again', onClick: () => void this.start() } : undefined);
  }

  private renderShell(): void {
    this.picker = new StorePicker({ onChange: (selection) => this.setSelection(selection) });
    const daysId = 'days-select';
    this.daysSelect = h(
      'select',
      { id: daysId, 'data-testid': 'days-select' },
      DAY_OPTIONS.map((d) => h('option', { value: d }, `${d} days`)),
    );
    this.daysSelect.addEventListener('change', () => this.update({ days: Number(this.daysSelect?.value) }, true));
    const copy = h('button', { type: 'button', className: 'secondary', 'data-testid': 'copy-link', onclick: () => void this.copyLink(copy) }, 'Copy link to this view');
    const toolbar = h(
      'section',
      { className: 'toolbar', 'aria-label': 'Filters' },
      this.picker.el,
      h('div', { className: 'field' }, h('label', { for: daysId }, 'Days ahead'), this.daysSelect),
      copy,
    );

    const tab = (view: View, label: string): HTMLButtonElement =>
      h('button', { type: 'button', role: 'tab', id: `tab-${view}`, 'aria-controls': `panel-${view}`, 'data-testid': `tab-${view}`, onclick: () => this.update({ view }, true) }, label);
    const storesTab = tab('stores', 'Stores');
    const transportTab = tab('transport', 'Transport demand');
    const tablist = h('div', { role: 'tablist', 'aria-label': 'Views', className: 'tabs' }, storesTab, transportTab);
    tablist.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft' && e.key !== 'Home' && e.key !== 'End') return;
      e.preventDefault();
      const next: View = e.key === 'Home' ? 'stores' : e.key === 'End' ? 'transport' : this.state.view === 'stores' ? 'transport' : 'stores';
      this.update({ view: next }, true);
      (next === 'stores' ? storesTab : transportTab).focus();
    });

    this.storesStatus = h('p', { className: 'status-line', 'data-testid': 'stores-status' });
    this.cardList = h('div', { className: 'cards', 'data-testid': 'store-cards' });
    const storesPanel = h('section', { role: 'tabpanel', id: 'panel-stores', 'aria-labelledby': 'tab-stores', className: 'panel' }, h('h2', { className: 'visually-hidden' }, 'Stores'), this.storesStatus, this.plannerValueAdded, this.cardList);
    this.transport = new TransportView({
      level: this.state.level ?? DEFAULT_LEVEL,
      unit: this.state.unit ?? DEFAULT_UNIT,
      onChange: (level, unit) => this.update({ level, unit }, true),
      fetchCsv: () => this.deps.api.transportCsv(this.transportQuery(this.resolved.stores, this.window())),
    });
    this.attention = new AttentionPanel({ onOpen: (entry) => this.openAttention(entry), onRetry: () => void this.loadAttention() });
    const transportPanel = h('section', { role: 'tabpanel', id: 'panel-transport', 'aria-labelledby': 'tab-transport', className: 'panel' }, h('h2', {}, 'Transport demand'), this.transport.el);
    this.tabs = { stores: storesTab, transport: transportTab, storesPanel, transportPanel };
    replace(this.content, this.attention.el, toolbar, tablist, storesPanel, transportPanel);
  }

  private async copyLink(button: HTMLButtonElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.location.href);
      button.textContent = 'Link copied';
    } catch {
      button.textContent = 'Copy the address bar to share';
    }
    setTimeout(() => (button.textContent = 'Copy link to this view'), 3000);
  }

  private setSelection(selection: Selection): void {
    this.update({ selection }, true);
  }

  private update(change: Partial<ViewState>, push: boolean): void {
    const before = this.state;
    // A highlighted day belongs to the link that opened it; any other change of the view lets it go.
    const { focus: _focus, ...rest } = this.state;
    this.state = { ...rest, ...change };
    if (before.focus) for (const card of this.cards.values()) card.setFocus(undefined);
    const transportOnly = (change.level !== undefined && change.level !== before.level) || (change.unit !== undefined && change.unit !== before.unit);
    if (push) this.deps.history?.pushState(null, '', this.urlFor(this.state));
    remember(this.deps.storage, this.state);
    if (transportOnly && change.selection === undefined && change.days === undefined) {
      this.idle = this.loadTransport();
      return;
    }
    const dataChanged = change.selection !== undefined || (change.days !== undefined && change.days !== before.days);
    if (change.selection !== undefined) {
      // Debounced: ticking several checkboxes loads once.
      this.apply(true);
    } else this.apply(!dataChanged ? 'view-only' : false);
  }

  /** Renders the current state; loads data unless only the tab changed. */
  private apply(debounce: boolean | 'view-only'): void {
    this.resolved = resolveSelection(this.state.selection, this.stores.map((s) => s.store));
    this.picker?.update(this.stores, this.state.selection);
    if (this.daysSelect) this.daysSelect.value = String(this.state.days);
    this.renderTabs();
    if (this.resolved.unavailable.length > 0) {
      const list = this.resolved.unavailable.map((s) => `store ${s}`).join(', ');
      this.notices.show('forbidden-store', 'error', `You do not have access to ${list}, or it does not exist. Only stores of your regions are shown.`);
    } else this.notices.clear('forbidden-store');
    if (debounce === 'view-only') return;
    this.syncCards();
    clearTimeout(this.reloadTimer);
    if (debounce) {
      this.idle = new Promise((resolve) => {
        this.reloadTimer = setTimeout(() => void this.load().then(resolve), this.deps.reloadDelayMs ?? 350);
      });
    } else this.idle = this.load();
  }

  private renderTabs(): void {
    if (!this.tabs) return;
    const onStores = this.state.view === 'stores';
    this.tabs.stores.setAttribute('aria-selected', String(onStores));
    this.tabs.transport.setAttribute('aria-selected', String(!onStores));
    this.tabs.stores.tabIndex = onStores ? 0 : -1;
    this.tabs.transport.tabIndex = onStores ? -1 : 0;
    this.tabs.storesPanel.hidden = !onStores;
    this.tabs.transportPanel.hidden = onStores;
  }

  /** Adds, keeps and removes store cards to match the selection (a card keeps its refresh state). */
  private syncCards(): void {
    if (!this.cardList) return;
    const wanted = new Set(this.resolved.stores);
    for (const [id, card] of this.cards) {
      if (!wanted.has(id)) {
        card.destroy();
        this.cards.delete(id);
      }
    }
    const byId = new Map(this.stores.map((s) => [s.store, s]));
    for (const id of this.resolved.stores) {
      let card = this.cards.get(id);
      const store = byId.get(id);
      if (!store) continue;
      if (!card) {
        card = new StoreCard(store, { api: this.deps.api, renderChart: (el, data) => this.deps.renderChart(el, data), onRefreshed: (s, runId) => this.afterRefresh(s, runId), followOptions: this.deps.followOptions, onOverridesChanged: () => this.afterOverride() });
        this.cards.set(id, card);
      } else card.setStore(store);
      this.cardList.append(card.el); // (re)appending keeps the selection's order
    }
    if (this.storesStatus) {
      const n = this.resolved.stores.length;
      this.storesStatus.textContent =
        n === 0
          ? 'No store selected. Use “Stores” above to pick one or more, or choose “All my stores”.'
          : `${n} ${n === 1 ? 'store' : 'stores'}${this.resolved.truncated ? ` (the first ${n} of your ${this.stores.length}; pick stores to see others)` : ''}.`;
    }
  }

  /** The days on screen: from the latest first forecast day among the selected stores. */
  private window(): { from: string; to: string } | undefined {
    const byId = new Map(this.stores.map((s) => [s.store, s]));
    const from = maxDate(this.resolved.stores.map((id) => byId.get(id)?.freshness.forecastFrom));
    return from ? { from, to: addDays(from, this.state.days - 1) } : undefined;
  }

  private async load(): Promise<void> {
    this.loadController?.abort();
    const controller = new AbortController();
    this.loadController = controller;
    const generation = ++this.generation;
    const stores = this.resolved.stores;
    const window = this.window();
    if (stores.length === 0) {
      this.transport?.update(transportGrid({ from: null, to: null, stores: [], totals: null }, [], '1970-01-01', 0), this.stores);
      return;
    }
    for (const id of stores) this.cards.get(id)?.setLoading();
    this.transport?.setLoading();
    if (!window) {
      // None of the selected stores has a forecast yet: show each card's empty state.
      for (const id of stores) {
        const store = this.stores.find((s) => s.store === id);
        if (store) this.cards.get(id)?.setForecast({ store: id, freshness: store.freshness, accuracy: store.accuracy, history: null, total: null, items: [] }, '1970-01-01', this.state.days);
      }
      this.transport?.update(transportGrid({ from: null, to: null, stores: [], totals: null }, stores, '1970-01-01', 0), this.stores);
      return;
    }
    const [forecasts, transport, valueAdded] = await Promise.allSettled([
      this.deps.api.forecasts({ stores, from: window.from, to: window.to, historyDays: HISTORY_DAYS }, controller.signal),
      this.deps.api.transport(this.transportQuery(stores, window), controller.signal),
      this.deps.api.valueAdded(stores, controller.signal),
    ]);
    if (generation !== this.generation) return;
    this.renderForecasts(forecasts, stores, window.from);
    this.renderTransport(transport, stores, window.from);
    this.renderValueAdded(valueAdded, stores);
    const focus = this.state.focus;
    for (const id of stores) this.cards.get(id)?.setFocus(focus?.store === id ? focus.date : undefined);
  }

  /** The transport view's query (and its CSV's); without a window the API picks the range. */
  private transportQuery(stores: StoreId[], window: { from: string; to: string } | undefined): TransportQuery {
    return { stores, ...(window ? { from: window.from, to: window.to } : {}), level: this.state.level ?? DEFAULT_LEVEL, unit: this.state.unit ?? DEFAULT_UNIT };
  }

  /** A new service level or unit: only the transport view's numbers change. */
  private async loadTransport(): Promise<void> {
    const stores = this.resolved.stores;
    const window = this.window();
    if (!this.transport || stores.length === 0 || !window) return;
    this.transportController?.abort();
    const controller = new AbortController();
    this.transportController = controller;
    this.transport.setLoading();
    const [result] = await Promise.allSettled([this.deps.api.transport(this.transportQuery(stores, window), controller.signal)]);
    if (controller.signal.aborted) return;
    this.renderTransport(result, stores, window.from);
  }

  private renderValueAdded(result: PromiseSettledResult<ValueAddedResponse>, stores: StoreId[]): void {
    // Value added is a footnote to the card: an API without it, or a failed call, leaves the card as it was.
    if (result.status !== 'fulfilled') return;
    const byStore = new Map((result.value.stores ?? []).map((r) => [r.store, r]));
    for (const id of stores) this.cards.get(id)?.setValueAdded(byStore.get(id));
    // Per planner: the signed-in planner's own adjustments; an admin sees every planner's.
    const planners = (result.value.planners ?? []).filter((p) => this.user?.role === 'admin' || p.planner === this.user?.name);
    const lines = planners.flatMap((p) => {
      const windows = valueAddedWindows(p);
      return windows === null ? [] : [`${p.planner === this.user?.name ? 'Your adjustments' : p.planner}: ${windows}`];
    });
    this.plannerValueAdded.hidden = lines.length === 0;
    replace(this.plannerValueAdded, ...lines.map((line, i) => [i > 0 ? h('br') : null, line]).flat());
  }

  /** After an override changed: the numbers on the cards, the transport view and the attention list. */
  private async afterOverride(): Promise<void> {
    this.idle = this.load();
    await Promise.all([this.idle, this.loadAttention()]);
  }

  private renderForecasts(result: PromiseSettledResult<ForecastResponse>, stores: StoreId[], from: string): void {
    if (result.status === 'fulfilled') {
      this.notices.clear('forecasts-failed');
      const byStore = new Map(result.value.stores.map((s) => [s.store, s]));
      for (const id of stores) this.cards.get(id)?.setForecast(byStore.get(id) ?? null, from, this.state.days);
      announce(`Showing ${stores.length} ${stores.length === 1 ? 'store' : 'stores'}, ${this.state.days} days from ${formatDay(from)}.`);
      return;
    }
    const e = result.reason as unknown;
    if (isAbort(e)) return;
    const message = this.describeLoadError(e, 'the forecasts');
    for (const id of stores) this.cards.get(id)?.setError(message);
    this.notices.show('forecasts-failed', 'error', message, {
      label: 'Try again',
      onClick: () => {
        this.idle = this.load();
      },
    });
  }

  private renderTransport(result: PromiseSettledResult<TransportResponse>, stores: StoreId[], from: string): void {
    if (!this.transport) return;
    if (result.status === 'fulfilled') {
      const r = result.value;
      this.transport.update(transportGrid(r, stores, from, this.state.days), this.stores, {
        level: r.level ?? this.state.level ?? DEFAULT_LEVEL,
        unit: r.unit ?? this.state.unit ?? DEFAULT_UNIT,
        ...(r.calibration ? { calibration: r.calibration } : {}),
        ...(r.unconverted ? { unconverted: r.unconverted.items } : {}),
        ...(r.notices ? { notices: r.notices } : {}),
      });
      return;
    }
    const e = result.reason as unknown;
    if (isAbort(e)) return;
    this.transport.setError(this.describeLoadError(e, 'transport demand'));
  }

  private describeLoadError(e: unknown, what: string): string {
    if (e instanceof ApiError) {
      if (e.status === 401) {
        this.notices.show('session', 'error', 'Your session has ended.', { label: 'Sign in again', href: loginUrl(this.location.href) });
        return `Could not load ${what}: your session has ended.`;
      }
      if (e.status === 403) {
        const stores = e.details?.stores;
        const which = stores && stores.length > 0 ? ` (${stores.map((s) => storeLabel({ store: s, name: null })).join(', ')})` : '';
        return `You do not have access to some of these stores${which}. ${e.message}`;
      }
    }
    return `Could not load ${what}: ${messageOf(e)}`;
  }

  /** After a finished refresh: refresh the store list (freshness) and reload the data on screen. */
  private async afterRefresh(store: StoreId, runId: string): Promise<void> {
    // Each API instance caches a store's pointer for up to 2 s (docs/api.md), and the reload may reach an
    // instance that read it just before the switch: read again until the card shows the run that finished,
    // so "the new forecast is shown" is true when it is said.
    const sleep = this.deps.followOptions?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 0; attempt < NEW_RUN_READS; attempt++) {
      if (attempt > 0) await sleep(NEW_RUN_RETRY_MS);
      try {
        this.stores = (await this.deps.api.stores()).stores;
      } catch {
        // The forecast reload below still shows the new numbers; freshness comes with it.
      }
      // The run is over; a list read a moment before it ended must not make the card follow it again.
      this.stores = this.stores.map((s) => (s.store === store ? { ...s, activeRun: null } : s));
      if (attempt === 0) void this.loadAttention();
      const fresh = this.stores.find((s) => s.store === store);
      if (fresh) this.cards.get(store)?.setStore(fresh);
      this.idle = this.load();
      await this.idle;
      const shown = this.cards.get(store)?.shownRunId;
      if (shown === undefined || shown === runId) return;
    }
  }
}

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
