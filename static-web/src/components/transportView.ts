import type { Store } from '../api';
import { downloadText } from '../csv';
import { h, replace } from '../dom';
import { formatDay, formatShortDay, formatUnits, storeLabel } from '../format';
import type { TransportGrid } from '../transport';
import { heatColor, transportCsv } from '../transport';

/**
 * Transport demand: a heat map table of units per store (rows) and day (columns), with day and store
 * totals, and a CSV export of exactly what is on screen.
 */
export class TransportView {
  readonly el: HTMLElement;
  private readonly body: HTMLDivElement;
  private readonly exportButton: HTMLButtonElement;
  private grid: TransportGrid | undefined;

  constructor() {
    this.exportButton = h('button', { type: 'button', 'data-testid': 'transport-csv', disabled: true, onclick: () => this.export() }, 'Export CSV');
    this.body = h('div', { className: 'transport-body' });
    this.el = h(
      'div',
      { className: 'transport', 'data-testid': 'transport-view' },
      h(
        'div',
        { className: 'transport-head' },
        h('p', { className: 'hint' }, 'Forecast units per store and day, summed over all items. Darker cells mean more units; hover a cell for its p10–p90 range (the CSV export has both). “Closed” marks a day the store does not open.'),
        this.exportButton,
      ),
      this.body,
    );
  }

  setLoading(): void {
    this.body.setAttribute('aria-busy', 'true');
    if (!this.grid) replace(this.body, h('p', { className: 'loading' }, h('span', { className: 'spinner', 'aria-hidden': 'true' }), 'Loading transport demand…'));
  }

  setError(message: string): void {
    this.body.setAttribute('aria-busy', 'false');
    this.grid = undefined;
    this.exportButton.disabled = true;
    replace(this.body, h('p', { className: 'notice notice-error' }, message));
  }

  update(grid: TransportGrid, stores: readonly Store[]): void {
    this.grid = grid;
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
      h('caption', { className: 'visually-hidden' }, `Transport demand in forecast units per store and day${first && last ? `, ${formatDay(first)} to ${formatDay(last)}` : ''}.`),
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
            h('th', { scope: 'row' }, label),
            row.cells.map((cell, j) => {
              if (!cell) return h('td', { className: 'num none' }, h('span', { 'aria-label': 'no forecast' }, '–'));
              const date = grid.dates[j] ?? '';
              if (cell.closed) return h('td', { className: 'num closed', 'data-date': date, title: `${label}, ${formatDay(date)}: closed, nothing to carry` }, 'Closed');
              const colors = heatColor(cell.units, grid.max);
              const td = h(
                'td',
                { className: 'num heat', title: `${label}, ${formatDay(date)}: ${formatUnits(cell.units)} units (p10 ${formatUnits(cell.p10)}, p90 ${formatUnits(cell.p90)})` },
                formatUnits(cell.units),
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
        h('tr', {}, h('th', { scope: 'row' }, 'All stores'), grid.dayTotals.map((t, j) => (grid.dayClosed[j] ? h('td', { className: 'num total closed', title: `${formatDay(grid.dates[j] ?? '')}: every store closed` }, 'Closed') : h('td', { className: 'num total' }, formatUnits(t)))), h('td', { className: 'num total' }, formatUnits(grid.grandTotal))),
      ),
    );
    replace(this.body, h('div', { className: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Transport demand table' }, table));
  }

  private export(): void {
    const grid = this.grid;
    if (!grid || grid.dates.length === 0) return;
    downloadText(`transport_${grid.dates[0]}_${grid.dates[grid.dates.length - 1]}.csv`, transportCsv(grid));
  }
}
