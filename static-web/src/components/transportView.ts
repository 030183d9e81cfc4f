import type { ServiceLevel, Store, TransportCalibration, TransportUnit } from '../api';
import { downloadText } from '../csv';
import { h, loading, replace } from '../dom';
import { formatDay, formatShortDay, formatUnits, storeLabel } from '../format';
import type { TransportGrid } from '../transport';
import { heatColor, transportCsv } from '../transport';
import { calibrationRow, LEVEL_LABEL, transportSelectors, UNIT_LABEL, unconvertedNotice } from './transportControls';

export interface TransportViewOptions {
  level: ServiceLevel;
  unit: TransportUnit;
  onChange(level: ServiceLevel, unit: TransportUnit): void;
  /** The API's own CSV with the same parameters (absent: the grid on screen is written out). */
  fetchCsv?(): Promise<string>;
}

/** What the API said beside the numbers: the calibration of its quantiles and the items it could not convert. */
export interface TransportExtras {
  level: ServiceLevel;
  unit: TransportUnit;
  calibration?: TransportCalibration;
  unconverted?: string[];
  /** The API's notices (master data it could not read), shown whatever the unit. */
  notices?: string[];
}

/**
 * Transport demand: a heat map table of units per store (rows) and day (columns), with day and store
 * totals, and a CSV export of exactly what is on screen.
 */
export class TransportView {
  readonly el: HTMLElement;
  private readonly body: HTMLDivElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly selectors: ReturnType<typeof transportSelectors>;
  private readonly extrasBox: HTMLDivElement;
  private grid: TransportGrid | undefined;
  private extras: TransportExtras;

  constructor(private readonly options: TransportViewOptions = { level: 'p50', unit: 'units', onChange: () => undefined }) {
    this.extras = { level: options.level, unit: options.unit };
    this.exportButton = h('button', { type: 'button', 'data-testid': 'transport-csv', disabled: true, onclick: () => void this.export() }, 'Download CSV');
    this.selectors = transportSelectors(options.level, options.unit, (level, unit) => options.onChange(level, unit));
    this.body = h('div', { className: 'transport-body' });
    this.extrasBox = h('div', { className: 'transport-extras' });
    this.el = h(
      'div',
      { className: 'transport', 'data-testid': 'transport-view' },
      h(
        'div',
        { className: 'transport-head' },
        this.selectors.el,
        h('p', { className: 'hint' }, 'Demand per store and day at the chosen service level (p90: enough on 9 days out of 10), summed over all items in the chosen unit; trucks are rounded up per store-day. The “All stores” row is the region’s own quantile, not the sum of the stores’. Hover a cell for its units and p10–p90 range. “Closed” marks a day the store does not open; ▲ a day above the store’s receiving limit.'),
        this.exportButton,
      ),
      this.extrasBox,
      this.body,
    );
  }

  /** The service level and unit on screen (e.g. after the address changed). */
  setParameters(level: ServiceLevel, unit: TransportUnit): void {
    this.selectors.set(level, unit);
  }

  setLoading(): void {
    this.body.setAttribute('aria-busy', 'true');
    if (!this.grid) replace(this.body, loading('Loading transport demand…'));
  }

  setError(message: string): void {
    this.body.setAttribute('aria-busy', 'false');
    this.grid = undefined;
    this.exportButton.disabled = true;
    replace(this.body, h('p', { className: 'notice notice-error' }, message));
  }

  update(grid: TransportGrid, stores: readonly Store[], extras?: TransportExtras): void {
    this.grid = grid;
    if (extras) this.extras = extras;
    const { level, unit } = this.extras;
    replace(
      this.extrasBox,
      (this.extras.notices ?? []).map((notice) => h('p', { className: 'notice notice-warning', 'data-testid': 'transport-notice' }, notice)),
      grid.hasValues ? calibrationRow(this.extras.calibration, level) : null,
      grid.hasValues ? unconvertedNotice(this.extras.unconverted, unit) : null,
    );
    const unitWord = grid.hasValues ? UNIT_LABEL[unit].toLowerCase() : 'units';
    this.body.setAttribute('aria-busy', 'false');
    const hasData = grid.rows.some((r) => r.cells.some((c) => c !== null));
    this.exportButton.disabled = !hasData;
    if (grid.rows.length === 0) {
      replace(this.body, h('p', { className: 'empty' }, 'Pick one or more stores to see their transport demand.'));
      return;
    }
    if (!hasData) {
      replace(this.body, h('p', { className: 'empty' }, 'None of the selected stores has a forecast for these days.'));
      return;
    }
    const byId = new Map(stores.map((s) => [s.store, s]));
    const first = grid.dates[0];
    const last = grid.dates[grid.dates.length - 1];
    const table = h(
      'table',
      { className: 'heatmap', 'data-testid': 'transport-table' },
      h('caption', { className: 'visually-hidden' }, `Transport demand in ${unitWord}${grid.hasValues ? ` at ${LEVEL_LABEL[level]}` : ''} per store and day${first && last ? `, ${formatDay(first)} to ${formatDay(last)}` : ''}.`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Store'),
          grid.dates.map((d) => h('th', { scope: 'col', title: formatDay(d) }, h('abbr', { title: formatDay(d) }, formatShortDay(d)))),
          h('th', { scope: 'col' }, 'Total'),
        ),
      ),
      h(
        'tbody',
        {},
        grid.rows.map((row) => {
          const label = storeLabel(byId.get(row.store) ?? { store: row.store, name: null });
          return h(
            'tr',
            { 'data-store': row.store },
            h('th', { scope: 'row' }, label, row.reason ? h('span', { className: 'row-reason', 'data-testid': 'transport-row-reason' }, `No ${unitWord}: ${row.reason}`) : null),
            row.cells.map((cell, j) => {
              if (!cell) return h('td', { className: 'num none' }, h('span', { 'aria-label': 'no forecast' }, '–'));
              const date = grid.dates[j] ?? '';
              if (cell.closed) return h('td', { className: 'num closed', 'data-date': date, title: `${label}, ${formatDay(date)}: closed, nothing to carry` }, 'Closed');
              if (cell.unavailable) return h('td', { className: 'num none', 'data-date': date, title: `${label}, ${formatDay(date)}: mean ${formatUnits(cell.units)} units; no ${unitWord}: ${row.reason ?? ''}` }, h('span', { 'aria-label': `no ${unitWord}` }, '–'));
              const colors = heatColor(cell.value, grid.max);
              const adjusted = cell.adjusted === undefined ? '' : `; adjusted by planners: ${formatUnits(cell.adjusted)} units`;
              const limit = cell.overLimit ? '; above the store’s receiving limit' : '';
              const unconverted = cell.unconvertedUnits === undefined ? '' : `; plus ${formatUnits(cell.unconvertedUnits)} units of items without pack sizes (not in the ${unitWord})`;
              const td = h(
                'td',
                {
                  className: `num heat${cell.overLimit ? ' over-limit' : ''}`,
                  'data-date': date,
                  'data-value': String(cell.value),
                  'data-over-limit': cell.overLimit ? 'true' : undefined,
                  title: `${label}, ${formatDay(date)}: ${grid.hasValues ? `${formatUnits(cell.value)} ${unitWord} at ${level}; ` : ''}mean ${formatUnits(cell.units)} units (p10 ${formatUnits(cell.p10)}, p90 ${formatUnits(cell.p90)})${adjusted}${unconverted}${limit}`,
                },
                cell.overLimit ? h('span', { className: 'over-limit-mark', 'aria-hidden': 'true' }, '▲ ') : null,
                formatUnits(cell.value),
                cell.overLimit ? h('span', { className: 'visually-hidden' }, ' (above the receiving limit)') : null,
              );
              // Through the CSSOM, which the CSP allows (inline style attributes are not).
              td.style.backgroundColor = colors.background;
              td.style.color = colors.color;
              return td;
            }),
            h('td', { className: 'num total' }, formatUnits(row.total)),
          );
        }),
      ),
      h(
        'tfoot',
        {},
        h('tr', {}, h('th', { scope: 'row' }, 'All stores', grid.excludedStores.length > 0 ? h('span', { className: 'row-reason', 'data-testid': 'transport-excluded' }, `without ${grid.excludedStores.map((id) => storeLabel(byId.get(id) ?? { store: id, name: null })).join(', ')}`) : null), grid.dayTotals.map((t, j) => (grid.dayClosed[j] ? h('td', { className: 'num total closed', title: `${formatDay(grid.dates[j] ?? '')}: every store closed` }, 'Closed') : h('td', { className: 'num total' }, formatUnits(t)))), h('td', { className: 'num total' }, formatUnits(grid.grandTotal))),
      ),
    );
    replace(this.body, h('div', { className: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Transport demand table' }, table));
  }

  private async export(): Promise<void> {
    const grid = this.grid;
    if (!grid || grid.dates.length === 0) return;
    const name = `transport_${grid.dates[0]}_${grid.dates[grid.dates.length - 1]}${grid.hasValues ? `_${this.extras.level}_${this.extras.unit}` : ''}.csv`;
    let text: string;
    try {
      text = this.options.fetchCsv ? await this.options.fetchCsv() : transportCsv(grid);
    } catch {
      // The grid on screen is what the planner asked for; its own CSV beats no file.
      text = transportCsv(grid);
    }
    downloadText(name, text);
  }
}
