import type { Store, StoreId } from '../api';
import { h, replace, uid } from '../dom';
import { storeLabel } from '../format';
import type { Selection } from '../state';
import { matchesSearch, resolveSelection, toggleStore } from '../state';

export interface StorePickerOptions {
  onChange(selection: Selection): void;
}

/**
 * Multi-select of stores: a disclosure button opening a panel with a search box, "All my stores" and
 * "Clear", and one checkbox per store; the chosen stores stay visible as removable chips.
 */
export class StorePicker {
  readonly el: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly panel: HTMLDivElement;
  private readonly search: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLParagraphElement;
  private readonly chips: HTMLUListElement;
  private stores: Store[] = [];
  private selection: Selection = 'all';

  constructor(private readonly options: StorePickerOptions) {
    const panelId = uid('store-panel');
    const searchId = uid('store-search');
    this.toggle = h('button', { type: 'button', className: 'picker-toggle', 'aria-expanded': 'false', 'aria-controls': panelId, 'data-testid': 'store-picker-toggle' }, 'Stores');
    this.search = h('input', { id: searchId, type: 'search', autocomplete: 'off', placeholder: 'Store id, name or region', 'data-testid': 'store-search' });
    this.list = h('ul', { className: 'picker-list', role: 'list' });
    this.empty = h('p', { className: 'picker-empty', hidden: true });
    this.panel = h(
      'div',
      { id: panelId, className: 'picker-panel', hidden: true },
      h('div', { className: 'picker-search' }, h('label', { for: searchId }, 'Search stores'), this.search),
      h(
        'div',
        { className: 'picker-actions' },
        h('button', { type: 'button', 'data-testid': 'select-all-stores', onclick: () => this.choose('all') }, 'All my stores'),
        h('button', { type: 'button', 'data-testid': 'clear-stores', onclick: () => this.choose([]) }, 'Clear'),
        h('button', { type: 'button', className: 'picker-done', onclick: () => this.close(true) }, 'Done'),
      ),
      h('fieldset', {}, h('legend', { className: 'visually-hidden' }, 'Stores to show'), this.list),
      this.empty,
    );
    this.chips = h('ul', { className: 'chips', 'aria-label': 'Selected stores', 'data-testid': 'selected-stores' });
    this.el = h('div', { className: 'picker', 'data-testid': 'store-picker' }, this.toggle, this.panel, this.chips);

    this.toggle.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close(false)));
    this.search.addEventListener('input', () => this.renderList());
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.panel.hidden) {
        e.preventDefault();
        this.close(true);
      }
    });
    document.addEventListener('click', (e) => {
      if (!this.panel.hidden && e.target instanceof Node && !this.el.contains(e.target)) this.close(false);
    });
  }

  update(stores: Store[], selection: Selection): void {
    this.stores = stores;
    this.selection = selection;
    this.render();
  }

  private visibleIds(): StoreId[] {
    return this.stores.map((s) => s.store);
  }

  private choose(selection: Selection): void {
    this.selection = selection;
    this.render();
    this.options.onChange(selection);
  }

  open(): void {
    this.panel.hidden = false;
    this.toggle.setAttribute('aria-expanded', 'true');
    this.search.focus();
  }

  close(returnFocus: boolean): void {
    this.panel.hidden = true;
    this.toggle.setAttribute('aria-expanded', 'false');
    if (returnFocus) this.toggle.focus();
  }

  private render(): void {
    const resolved = resolveSelection(this.selection, this.visibleIds());
    const n = resolved.stores.length;
    const total = this.stores.length;
    this.toggle.textContent = this.selection === 'all' ? `Stores: all ${total} selected` : `Stores: ${n} of ${total} selected`;
    this.renderList();
    const byId = new Map(this.stores.map((s) => [s.store, s]));
    replace(
      this.chips,
      this.selection === 'all'
        ? h('li', { className: 'chip' }, `All my stores (${total})`)
        : resolved.stores.map((id) => {
            const label = storeLabel(byId.get(id) ?? { store: id, name: null });
            return h(
              'li',
              { className: 'chip' },
              label,
              h('button', { type: 'button', className: 'chip-remove', 'aria-label': `Remove ${label}`, onclick: () => this.choose(toggleStore(this.selection, this.visibleIds(), id, false)) }, '×'),
            );
          }),
    );
  }

  private renderList(): void {
    const selected = new Set(resolveSelection(this.selection, this.visibleIds()).stores);
    const text = this.search.value;
    const matches = this.stores.filter((s) => matchesSearch(s, text));
    replace(
      this.list,
      matches.map((s) => {
        const id = uid('store-opt');
        const box = h('input', { type: 'checkbox', id, value: s.store, checked: selected.has(s.store), 'data-testid': `store-option-${s.store}` });
        box.addEventListener('change', () => this.choose(toggleStore(this.selection, this.visibleIds(), s.store, box.checked)));
        return h('li', {}, box, h('label', { for: id }, storeLabel(s), h('span', { className: 'picker-region' }, ` · ${s.region}`)));
      }),
    );
    this.empty.hidden = matches.length > 0;
    this.empty.textContent = this.stores.length === 0 ? 'You have no stores.' : `No store matches “${text.trim()}”.`;
  }
}
