import type { ApiClient, IsoDate, ItemForecast, Run, Store, StoreForecast, ValueAddedRow } from '../api';
import { addDays } from '../dates';
import { announce, h, loading, replace, uid } from '../dom';
import { accuracyDescription, accuracyGrade, accuracyLabel, realisedLabel, formatAge, formatBand, formatDateTime, formatDay, formatElapsed, formatUnits, storeLabel } from '../format';
import { progressView } from '../progress';
import type { FollowOptions } from '../refresh';
import { followRun, refreshStore } from '../refresh';
import type { DriverKind } from '../api';
import { DRIVER_KINDS } from '../api';
import type { DayMarkers } from '../markers';
import { MARKER_GLYPH, MARKER_NAME, markersByDay, markersInWindow } from '../markers';
import { adjustedTotal, alignToChart, chartData, sliceBand, sliceValues, storeTotal, sum } from '../series';
import { valueAddedLabel } from '../overrides';
import { forecastCsv } from '../transport';
import { downloadText } from '../csv';
import type { ChartHandle } from './chart';
import { ItemsTable } from './itemsTable';
import { OverridesPanel } from './overridesPanel';

export interface StoreCardDeps {
  api: ApiClient;
  /** After a finished refresh: reload this store's data (and anything derived from it) until it shows `runId`. */
  onRefreshed(store: string, runId: string): Promise<void>;
  renderChart(container: HTMLElement, data: ReturnType<typeof chartData>): ChartHandle;
  followOptions?: FollowOptions;
  /** After an override was created, changed or deleted: reload the store's numbers. */
  onOverridesChanged?(store: string): Promise<void>;
}

/** One store: freshness, accuracy, refresh with progress, the total chart and the items table. */
export class StoreCard {
  readonly el: HTMLElement;
  private readonly headingId = uid('store-title');
  private readonly meta: HTMLDivElement;
  private readonly refreshButton: HTMLButtonElement;
  private readonly progress: HTMLDivElement;
  private readonly refreshError: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly chartBox: HTMLDivElement;
  private readonly summary: HTMLParagraphElement;
  private readonly table: ItemsTable;
  private readonly overrides: OverridesPanel;
  private valueAdded: ValueAddedRow | undefined;
  private focus: IsoDate | undefined;
  private chart: ChartHandle | undefined;
  private store: Store;
  private forecast: StoreForecast | null = null;
  private from: IsoDate | undefined;
  private days = 28;
  private running = false;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private lastRun: Run | undefined;
  private lastStage = '';
  private readonly abort = new AbortController();

  constructor(store: Store, private readonly deps: StoreCardDeps) {
    this.store = store;
    const label = storeLabel(store);
    this.meta = h('div', { className: 'card-meta' });
    this.refreshButton = h('button', { type: 'button', className: 'refresh', 'data-testid': 'refresh-button', 'aria-label': `Refresh forecast for ${label}`, onclick: () => void this.refresh() }, 'Refresh');
    this.progress = h('div', { className: 'progress', 'data-testid': 'refresh-progress', role: 'group', 'aria-label': `Refresh progress for ${label}`, hidden: true });
    this.refreshError = h('div', { className: 'notice notice-error', 'data-testid': 'refresh-error', role: 'alert', hidden: true });
    this.summary = h('p', { className: 'chart-summary', 'data-testid': 'chart-summary' });
    this.chartBox = h('div', { className: 'chart', role: 'img', 'data-testid': 'store-chart' });
    this.table = new ItemsTable({ storeLabel: label, onExport: (items) => this.exportItems(items) });
    this.body = h('div', { className: 'card-body', 'aria-busy': 'true' });
    this.overrides = new OverridesPanel({
      api: deps.api,
      store: store.store,
      storeLabel: label,
      window: () => (this.forecast && this.from !== undefined ? { from: this.from, to: addDays(this.from, this.days - 1), items: this.forecast.items.map((i) => i.item) } : undefined),
      onChanged: () => deps.onOverridesChanged?.(this.store.store) ?? Promise.resolve(),
      onRerun: (statusUrl) => void this.follow(statusUrl),
    });
    this.el = h(
      'article',
      { className: 'store-card', 'aria-labelledby': this.headingId, 'data-testid': `store-card-${store.store}`, 'data-store': store.store },
      h('header', { className: 'card-head' }, h('div', { className: 'card-title' }, h('h3', { id: this.headingId }, label), this.meta), this.refreshButton),
      this.progress,
      this.refreshError,
      this.body,
      this.overrides.el,
    );
    this.renderMeta();
    this.setLoading();
    if (store.activeRun && store.activeRun.status !== 'done' && store.activeRun.status !== 'failed') void this.follow(store.activeRun.statusUrl || store.activeRun.runId);
  }

  get storeId(): string {
    return this.store.store;
  }

  setStore(store: Store): void {
    this.store = store;
    this.renderMeta();
    if (!this.running && store.activeRun && store.activeRun.status !== 'done' && store.activeRun.status !== 'failed') void this.follow(store.activeRun.statusUrl || store.activeRun.runId);
  }

  setLoading(): void {
    if (this.forecast) {
      this.body.setAttribute('aria-busy', 'true');
      return;
    }
    this.body.setAttribute('aria-busy', 'true');
    replace(this.body, loading(`Loading the forecast for ${storeLabel(this.store)}…`, 'store-loading'));
  }

  setError(message: string): void {
    this.body.setAttribute('aria-busy', 'false');
    if (this.forecast) return; // keep showing the last good numbers; the page banner says what failed
    replace(this.body, h('p', { className: 'notice notice-error' }, message));
  }

  /** Forecast value added (model against adjusted WAPE), shown beside the realised accuracy. */
  setValueAdded(row: ValueAddedRow | undefined): void {
    this.valueAdded = row;
    this.renderMeta();
  }

  /**
   * Highlights one day (a "Needs attention" link) in the chart and the items table, scrolls the card into
   * view and sets the adjustment form to that day.
   */
  setFocus(date: IsoDate | undefined): void {
    const changed = date !== this.focus;
    this.focus = date;
    this.el.classList.toggle('store-card-focus', date !== undefined);
    if (date !== undefined) {
      this.el.dataset.focusDate = date;
      this.overrides.openAt(date);
    } else delete this.el.dataset.focusDate;
    if (changed && this.forecast) this.render();
    if (date !== undefined && typeof this.el.scrollIntoView === 'function') this.el.scrollIntoView({ block: 'start', behavior: 'auto' });
  }

  /** The run whose forecast the card shows (null before one is loaded). */
  get shownRunId(): string | null {
    return this.forecast?.freshness.currentRunId ?? null;
  }

  setForecast(sf: StoreForecast | null, from: IsoDate, days: number): void {
    this.forecast = sf;
    this.from = from;
    this.days = days;
    this.body.setAttribute('aria-busy', 'false');
    if (sf) {
      // The forecast call carries freshness too; it is at least as new as /stores'.
      this.store = { ...this.store, freshness: sf.freshness, accuracy: sf.accuracy };
      this.renderMeta();
    }
    this.render();
  }

  private render(): void {
    this.chart?.destroy();
    this.chart = undefined;
    const sf = this.forecast;
    const from = this.from;
    if (!sf || from === undefined) {
      replace(this.body, h('p', { className: 'empty' }, 'No forecast data.'));
      return;
    }
    const to = addDays(from, this.days - 1);
    const total = storeTotal(sf);
    const window = total ? sliceBand(total, from, to) : null;
    if (!sf.freshness.currentRunId || sf.items.length === 0 || !window || window.forecast.length === 0) {
      const why = !sf.freshness.currentRunId
        ? `There is no forecast for ${storeLabel(this.store)} yet. Press Refresh to create one.`
        : `${storeLabel(this.store)} has no forecast for ${formatDay(from)} – ${formatDay(to)}.${sf.freshness.forecastTo ? ` Its current forecast ends on ${formatDay(sf.freshness.forecastTo)}.` : ''}`;
      replace(this.body, h('p', { className: 'empty', 'data-testid': 'store-empty' }, why));
      return;
    }
    const units = sum(window.forecast);
    const lo = sum(window.p10);
    const hi = sum(window.p90);
    const adjustedAll = adjustedTotal(sf);
    const adjusted = adjustedAll && total ? sliceValues(total.firstDate, adjustedAll, from, to) : null;
    const adjustedUnits = adjusted ? sum(adjusted) : null;
    const adjustedText = adjustedUnits === null ? '' : `; adjusted by planners: ${formatUnits(adjustedUnits)} units (dashed orange line)`;
    const text = `Forecast for ${storeLabel(this.store)}: ${formatBand(units, lo, hi)} units in total over ${window.forecast.length} days from ${formatDay(window.firstDate)} (p10–p90 range in brackets; the daily range is shown as a band)${adjustedText}.${this.focus ? ` ${formatDay(this.focus)} is highlighted.` : ''}`;
    replace(
      this.summary,
      `Next ${window.forecast.length} days: ${adjustedUnits === null ? '' : 'model '}${formatBand(units, lo, hi)} units`,
      adjustedUnits === null ? null : h('span', { className: 'summary-adjusted', 'data-testid': 'adjusted-summary' }, ` · adjusted ${formatUnits(adjustedUnits)} units`),
    );
    this.overrides.setAdjusted(adjusted !== null);
    const markers = markersInWindow(sf, from, to);
    const days = markersByDay(markers, sf.items.length);
    const kinds = DRIVER_KINDS.filter((k) => days.some((d) => d.kinds.includes(k)));
    this.chartBox.setAttribute('aria-label', days.length > 0 ? `${text} ${markerSummary(days)}` : text);
    replace(this.chartBox);
    const legend = h(
      'ul',
      { className: 'legend', 'aria-hidden': 'true' },
      h('li', { className: 'legend-actual' }, 'Actual sales'),
      h('li', { className: 'legend-forecast' }, 'Forecast'),
      h('li', { className: 'legend-band' }, 'p10–p90'),
      adjusted ? h('li', { className: 'legend-adjusted' }, 'Adjusted') : null,
      this.focus ? h('li', { className: 'legend-focus' }, formatDay(this.focus)) : null,
      kinds.map((k) => h('li', { className: `legend-marker legend-${k}` }, h('span', { className: `marker-glyph marker-${k}` }, MARKER_GLYPH[k]), ' ', MARKER_NAME[k])),
    );
    replace(this.body, h('figure', { className: 'chart-figure' }, h('figcaption', {}, this.summary, legend), this.chartBox, days.length > 0 ? markerList(days, storeLabel(this.store)) : null), this.table.el);
    const history = sf.history;
    const data = { ...chartData(history, window), markers: days };
    if (adjusted) data.adjusted = alignToChart(data, window.firstDate, adjusted);
    if (this.focus) data.highlight = this.focus;
    this.chart = this.deps.renderChart(this.chartBox, data);
    this.table.update(sf.items, from, this.days, markers, this.focus);
  }

  private renderMeta(): void {
    const s = this.store;
    const f = s.freshness;
    const grade = accuracyGrade(s.accuracy);
    const badge = h('span', { className: `badge badge-${grade}`, 'data-testid': 'accuracy-badge', title: accuracyDescription(s.accuracy) }, accuracyLabel(s.accuracy), h('span', { className: 'visually-hidden' }, ` — ${accuracyDescription(s.accuracy)}`));
    const generated = f.generatedAt
      ? h('span', { 'data-testid': 'freshness' }, 'Generated ', h('time', { datetime: f.generatedAt, title: formatDateTime(f.generatedAt) }, formatAge(f.generatedAt)), ` (${formatDateTime(f.generatedAt)})`)
      : h('span', { 'data-testid': 'freshness' }, 'Never forecast');
    const stale = f.stale ? h('span', { className: 'badge badge-stale', 'data-testid': 'stale-flag' }, 'Stale', h('span', { className: 'stale-reason' }, `: ${f.staleReason ?? 'the forecast is out of date'}`)) : null;
    const realisedText = realisedLabel(s.realised);
    const bias = s.realised?.bias;
    const realised = realisedText === null ? null : h('span', { className: 'realised', 'data-testid': 'realised-accuracy', title: bias === null || bias === undefined ? 'Forecast against actual store sales' : `Forecast against actual store sales; bias ${bias >= 0 ? '+' : ''}${Math.round(bias * 100)} % (positive: forecast above sales)` }, realisedText);
    const addedText = valueAddedLabel(this.valueAdded);
    const added = addedText === null ? null : h('span', { className: 'value-added', 'data-testid': 'value-added' }, addedText);
    replace(this.meta, h('span', { className: 'region' }, s.region), ' · ', `${s.itemCount} items`, h('br'), generated, ' ', badge, ' ', stale, ...(realised ? [h('br'), realised] : []), ...(added ? [h('br'), added] : []));
  }

  private exportItems(items: ItemForecast[]): void {
    if (!this.forecast || this.from === undefined) return;
    const sf = { ...this.forecast, items };
    downloadText(`forecast_store-${this.store.store}_${this.from}_${this.days}d.csv`, forecastCsv([sf], this.from, this.days));
  }

  /** Starts (or joins) a refresh and follows it. */
  async refresh(): Promise<void> {
    if (this.running) return;
    this.beginRefresh();
    await refreshStore(this.deps.api, this.store.store, storeLabel(this.store), this.hooks(), { ...this.deps.followOptions, signal: this.abort.signal });
    this.endRefresh();
  }

  private async follow(runRef: string): Promise<void> {
    if (this.running) return;
    this.beginRefresh();
    await followRun(this.deps.api, runRef, this.hooks(), { ...this.deps.followOptions, signal: this.abort.signal });
    this.endRefresh();
  }

  private beginRefresh(): void {
    this.running = true;
    this.lastRun = undefined;
    this.lastStage = '';
    this.refreshButton.disabled = true;
    this.refreshButton.textContent = 'Refreshing…';
    this.refreshError.hidden = true;
    this.progress.hidden = false;
    replace(this.progress, h('p', { className: 'progress-summary' }, 'Starting the refresh…'));
    this.ticker = setInterval(() => this.renderProgress(), 1000);
  }

  private endRefresh(): void {
    this.running = false;
    clearInterval(this.ticker);
    this.refreshButton.disabled = false;
    this.refreshButton.textContent = 'Refresh';
  }

  private hooks(): Parameters<typeof followRun>[2] {
    const label = storeLabel(this.store);
    return {
      onRun: (_id, joined) => {
        if (joined) announce(`A refresh of ${label} was already running; following it.`);
      },
      onProgress: (run) => {
        this.lastRun = run;
        this.renderProgress();
        if (run.status !== this.lastStage && run.status !== 'done' && run.status !== 'failed') {
          this.lastStage = run.status;
          announce(`${label}: ${progressView(run).steps.find((s) => s.state === 'current')?.label ?? run.status}`);
        }
      },
      onDone: async (run) => {
        this.renderProgress();
        await this.deps.onRefreshed(this.store.store, run.runId);
        const took = formatElapsed(progressView(run).elapsedMs);
        announce(`${label}: the new forecast is shown (refresh took ${took}).`);
        setTimeout(() => {
          if (!this.running) this.progress.hidden = true;
        }, 4000);
      },
      onFailed: (message, run) => {
        if (run) this.lastRun = run;
        this.progress.hidden = true;
        this.refreshError.hidden = false;
        const kept = this.store.freshness.generatedAt ? ` The previous forecast (generated ${formatDateTime(this.store.freshness.generatedAt)}) is still shown.` : '';
        const stage = run ? progressView(run).steps.find((s) => s.state === 'failed')?.label : undefined;
        replace(
          this.refreshError,
          h('strong', {}, stage ? `Refresh failed while ${stage.toLowerCase()}. ` : 'Refresh failed. '),
          message,
          kept,
          ' ',
          h('button', { type: 'button', className: 'link-button', onclick: () => (this.refreshError.hidden = true) }, 'Dismiss'),
        );
      },
    };
  }

  private renderProgress(): void {
    const run = this.lastRun;
    if (!run) return;
    const view = progressView(run);
    replace(
      this.progress,
      h('progress', { max: 1, value: view.fraction, 'aria-label': `Refresh progress for ${storeLabel(this.store)}`, 'data-testid': 'refresh-progress-bar' }),
      h(
        'ol',
        { className: 'stages' },
        view.steps.map((s) =>
          h(
            'li',
            { className: `stage stage-${s.state}`, 'data-stage': s.name, 'data-state': s.state, 'aria-current': s.state === 'current' ? 'step' : undefined },
            h('span', { className: 'stage-icon', 'aria-hidden': 'true' }, { done: '✓', current: '●', pending: '○', failed: '✕', skipped: '–' }[s.state]),
            s.label,
            h('span', { className: 'visually-hidden' }, ` (${s.state})`),
            s.durationMs !== null ? h('span', { className: 'stage-time' }, ` ${formatElapsed(s.durationMs)}`) : null,
          ),
        ),
      ),
      h('p', { className: 'progress-summary', 'data-testid': 'refresh-summary' }, view.summary),
    );
  }

  destroy(): void {
    this.abort.abort();
    clearInterval(this.ticker);
    this.chart?.destroy();
    this.el.remove();
  }
}

const KIND_WORDS: Record<DriverKind, [string, string]> = { promotion: ['promotion day', 'promotion days'], event: ['event or holiday', 'events or holidays'], closed: ['closed day', 'closed days'] };

/** "Marked days: 2 promotion days, 1 event or holiday, 4 closed days (listed below the chart)." */
function markerSummary(days: readonly DayMarkers[]): string {
  const parts = DRIVER_KINDS.map((k) => [k, days.filter((d) => d.kinds.includes(k)).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${KIND_WORDS[k][n === 1 ? 0 : 1]}`);
  return `Marked days: ${parts.join(', ')} (listed below the chart).`;
}

/** The marked days in words, one per day: what the chart's glyphs and shading say, for everyone. */
function markerList(days: readonly DayMarkers[], label: string): HTMLElement {
  return h(
    'ul',
    { className: 'day-markers', 'data-testid': 'chart-markers', 'aria-label': `Promotions, events and closures at ${label}` },
    days.map((d) =>
      h(
        'li',
        { className: `day-marker ${d.kinds.map((k) => `day-marker-${k}`).join(' ')}`, 'data-date': d.date, 'data-kinds': d.kinds.join(' ') },
        h('span', { 'aria-hidden': 'true' }, d.kinds.map((k) => h('span', { className: `marker-glyph marker-${k}` }, MARKER_GLYPH[k]))),
        ' ',
        d.text,
      ),
    ),
  );
}
