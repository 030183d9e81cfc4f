import type { DriverMarker, IsoDate, ItemForecast } from '../api';
import { addDays, daysBetween } from '../dates';
import { h, replace, svg, uid } from '../dom';
import { formatDay, formatShortDay, formatUnits } from '../format';
import type { ItemRow, SortKey, SortState } from '../series';
import { itemRows, sortRows, sparklinePoints } from '../series';
import { closedDays, eventsOn, MARKER_GLYPH, promotionDays } from '../markers';

/** Day columns shown in the table (the total covers the whole window). */
export const DAY_COLUMNS = 7;
export const INITIAL_ROWS = 20;

export interface ItemsTableOptions {
  storeLabel: string;
  onExport(items: ItemForecast[]): void;
}

/** Sortable table of a store's items: sparkline, the next days' values and the window total. */
export class ItemsTable {
  readonly el: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly wrap: HTMLDivElement;
  private readonly more: HTMLButtonElement;
  private items: ItemForecast[] = [];
  private rows: ItemRow[] = [];
  private from: IsoDate = '1970-01-01';
  private days = DAY_COLUMNS;
  private sort: SortState = { key: 'total', direction: 'descending' };
  private showAll = false;
  private markers: DriverMarker[] = [];
  private focus: IsoDate | undefined;

  constructor(private readonly options: ItemsTableOptions) {
    const filterId = uid('item-filter');
    this.filter = h('input', { id: filterId, type: 'search', autocomplete: 'off', 'data-testid': 'item-filter' });
    this.filter.addEventListener('input', () => this.renderTable());
    this.wrap = h('div', { className: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': `Items of ${options.storeLabel}` });
    this.more = h('button', { type: 'button', className: 'link-button', hidden: true, onclick: () => ((this.showAll = !this.showAll), this.renderTable()) });
    this.el = h(
      'div',
      { className: 'items' },
      h(
        'div',
        { className: 'table-tools' },
        h('label', { for: filterId }, 'Filter items'),
        this.filter,
        h('button', { type: 'button', 'data-testid': 'items-csv', onclick: () => this.options.onExport(this.visibleItems()) }, 'Download items CSV'),
      ),
      this.wrap,
      this.more,
    );
  }

  /**
   * `markers`: the store's promotions, events and closures within the window (closed days and promotion days
   * are marked). `focus`: a day to highlight; the day columns move so that it is among them.
   */
  update(items: ItemForecast[], from: IsoDate, days: number, markers: DriverMarker[] = [], focus?: IsoDate): void {
    this.items = items;
    this.markers = markers;
    this.focus = focus;
    this.from = from;
    this.days = days;
    this.rows = itemRows(items, from, days);
    this.renderTable();
  }

  private filtered(): ItemRow[] {
    const q = this.filter.value.trim().toLowerCase();
    return q === '' ? this.rows : this.rows.filter((r) => r.item.toLowerCase().includes(q));
  }

  private visibleItems(): ItemForecast[] {
    const keep = new Set(this.filtered().map((r) => r.item));
    return this.items.filter((i) => keep.has(i.item));
  }

  private setSort(key: SortKey): void {
    if (this.sort.key === key) this.sort = { key, direction: this.sort.direction === 'ascending' ? 'descending' : 'ascending' };
    else this.sort = { key, direction: key === 'item' ? 'ascending' : 'descending' };
    this.renderTable();
    // Keep keyboard focus on the header that was activated.
    this.wrap.querySelector<HTMLButtonElement>(`button[data-sort="${key}"]`)?.focus();
  }

  private header(key: SortKey, label: string, full?: string): HTMLTableCellElement {
    const active = this.sort.key === key;
    return h(
      'th',
      { scope: 'col', className: key === 'item' ? undefined : 'num', 'aria-sort': active ? this.sort.direction : 'none' },
      h('button', { type: 'button', className: 'sort', 'data-sort': key, title: full, onclick: () => this.setSort(key) }, label, h('span', { className: 'sort-icon', 'aria-hidden': 'true' }, active ? (this.sort.direction === 'ascending' ? ' ▲' : ' ▼') : '')),
    );
  }

  /** A day column's header: the date, plus "Closed" or the day's events/holidays when there are any. */
  private dayHeader(i: number, date: IsoDate, closed: boolean, events: string[]): HTMLTableCellElement {
    const notes = [closed ? 'Closed' : null, ...events].filter((n): n is string => n !== null);
    const th = this.header(`day${i}`, formatShortDay(date), notes.length > 0 ? `${formatDay(date)}: ${notes.join('; ')}` : formatDay(date));
    th.dataset.date = date;
    if (date === this.focus) th.classList.add('day-focus');
    if (notes.length > 0) {
      th.classList.add(closed ? 'day-closed' : 'day-event');
      th.append(
        h('span', { className: 'day-flag' }, closed ? h('span', { className: 'marker-glyph marker-closed', 'aria-hidden': 'true' }, `${MARKER_GLYPH.closed} `) : h('span', { className: 'marker-glyph marker-event', 'aria-hidden': 'true' }, `${MARKER_GLYPH.event} `), notes.join('; ')),
      );
    }
    return th;
  }

  private renderTable(): void {
    if (this.items.length === 0) {
      replace(this.wrap, h('p', { className: 'empty' }, 'No item forecasts for these days.'));
      this.more.hidden = true;
      return;
    }
    const shownDays = Math.min(DAY_COLUMNS, this.days);
    const first = firstColumn(this.from, this.days, shownDays, this.focus);
    const dates = Array.from({ length: shownDays }, (_, i) => addDays(this.from, first + i));
    const anyAdjusted = this.rows.some((r) => r.adjusted);
    const rows = sortRows(this.filtered(), this.sort);
    const limit = this.showAll ? rows.length : INITIAL_ROWS;
    const closed = closedDays(this.markers);
    const hasPromotions = this.markers.some((m) => m.kind === 'promotion');
    const body = h(
      'tbody',
      {},
      rows.slice(0, limit).map((r) => {
        const promo = hasPromotions ? promotionDays(this.markers, r.item) : new Set<IsoDate>();
        const promoDays = [...promo].sort();
        return h(
          'tr',
          { 'data-item': r.item, 'data-promotion': promoDays.length > 0 ? promoDays.join(' ') : undefined },
          h('th', { scope: 'row' }, r.item, promoDays.length > 0 ? promotionBadge(promoDays) : null),
          h('td', { className: 'spark' }, sparkline(r.values)),
          dates.map((d, k) => {
            const i = first + k;
            const focused = d === this.focus ? ' day-focus' : '';
            if (closed.has(d)) return h('td', { className: `num closed${focused}`, 'data-date': d }, 'Closed');
            const value = valueCell(r.values[i], r.adjusted?.[i]);
            if (promo.has(d)) {
              return h(
                'td',
                { className: `num promo${focused}`, 'data-date': d, title: `${formatDay(d)}: on promotion` },
                h('span', { className: 'marker-glyph marker-promotion', 'aria-hidden': 'true' }, MARKER_GLYPH.promotion),
                ' ',
                value,
                h('span', { className: 'visually-hidden' }, ' (on promotion)'),
              );
            }
            return h('td', { className: `num${focused}`, 'data-date': d }, value);
          }),
          h('td', { className: 'num total' }, formatUnits(r.total)),
          anyAdjusted ? h('td', { className: `num total adjusted-total${r.adjustedTotal !== undefined && Math.abs(r.adjustedTotal - r.total) > 1e-9 ? ' is-adjusted' : ''}`, 'data-testid': 'adjusted-total' }, formatUnits(r.adjustedTotal ?? r.total)) : null,
          h('td', { className: 'num band' }, `${formatUnits(r.p10Total)}–${formatUnits(r.p90Total)}`),
        );
      }),
    );
    const table = h(
      'table',
      { className: 'items-table', 'data-testid': 'items-table' },
      h('caption', { className: 'visually-hidden' }, `Forecast units per item at ${this.options.storeLabel}, ${this.days} days from ${formatDay(this.from)}.${anyAdjusted ? ' Where a planner adjusted the forecast, a cell shows the model’s number, an arrow and the adjusted number.' : ''} Column headers sort the table.`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          this.header('item', 'Item'),
          h('th', { scope: 'col' }, 'Trend'),
          dates.map((d, k) => this.dayHeader(first + k, d, closed.has(d), eventsOn(this.markers, d))),
          this.header('total', anyAdjusted ? `Model ${this.days} d` : `Total ${this.days} d`),
          anyAdjusted ? h('th', { scope: 'col', className: 'num' }, `Adjusted ${this.days} d`) : null,
          h('th', { scope: 'col', className: 'num' }, 'p10–p90'),
        ),
      ),
      body,
    );
    replace(this.wrap, rows.length === 0 ? h('p', { className: 'empty' }, `No item matches “${this.filter.value.trim()}”.`) : table);
    this.more.hidden = rows.length <= INITIAL_ROWS;
    this.more.textContent = this.showAll ? `Show the top ${INITIAL_ROWS} items` : `Show all ${rows.length} items`;
  }
}

/** The first day column shown: the window's first day, or a little before a focused day so it is in view. */
export function firstColumn(from: IsoDate, days: number, shown: number, focus: IsoDate | undefined): number {
  if (focus === undefined) return 0;
  const at = daysBetween(from, focus);
  if (at < 0 || at >= days) return 0;
  return Math.max(0, Math.min(days - shown, at - Math.floor(shown / 2)));
}

/** A day's number, or the model's and the adjusted number side by side when a planner changed it. */
function valueCell(model: number | null | undefined, adjusted: number | null | undefined): Node {
  if (adjusted === null || adjusted === undefined || model === null || model === undefined || Math.abs(adjusted - model) < 1e-9) return document.createTextNode(formatUnits(model));
  return h(
    'span',
    { className: 'adjusted-pair', title: `Model ${formatUnits(model)}, adjusted ${formatUnits(adjusted)}` },
    h('span', { className: 'model-value' }, formatUnits(model)),
    h('span', { 'aria-hidden': 'true' }, ' → '),
    h('span', { className: 'visually-hidden' }, ', adjusted to '),
    h('strong', { className: 'adjusted-value', 'data-testid': 'adjusted-value' }, formatUnits(adjusted)),
  );
}

function sparkline(values: readonly (number | null)[]): SVGElement {
  const el = svg('svg', { width: 80, height: 22, viewBox: '0 0 80 22', 'aria-hidden': 'true', focusable: 'false', class: 'sparkline' });
  el.append(svg('polyline', { points: sparklinePoints(values, 80, 22, 2), fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5 }));
  return el;
}

/** Small badge on an item's row: on promotion on some of the window's days (listed in words for screen readers and as a tooltip). */
function promotionBadge(days: readonly IsoDate[]): HTMLElement {
  const list = days.map((d) => formatDay(d)).join(', ');
  return h(
    'span',
    { className: 'badge badge-promo', 'data-testid': 'promotion-badge', title: `On promotion: ${list}` },
    h('span', { 'aria-hidden': 'true' }, MARKER_GLYPH.promotion),
    h('span', { className: 'badge-word' }, ' Promo'),
    h('span', { className: 'visually-hidden' }, `: on promotion on ${list}`),
  );
}
