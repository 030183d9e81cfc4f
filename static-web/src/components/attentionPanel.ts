import type { AttentionEntry, AttentionThresholds, Store } from '../api';
import { ATTENTION_LABEL, attentionHref, formatChange, formatExtraUnits } from '../attention';
import { h, loading, replace } from '../dom';
import { formatDay, storeLabel } from '../format';

/** Entries shown before "Show all": the top of the ranking fits on a laptop screen above the store cards. */
export const ATTENTION_TOP = 6;

export interface AttentionPanelOptions {
  /** Opens the store card at the entry's day. */
  onOpen(entry: AttentionEntry): void;
  onRetry(): void;
}

/**
 * "Needs attention": the API's list of store-days and item-days to look at (heightened demand, changes since
 * yesterday, accuracy drops, promotions on items with little history), in the API's order (ranked by extra
 * units). Each entry links to its store card at that day.
 */
export class AttentionPanel {
  readonly el: HTMLElement;
  private readonly body: HTMLDivElement;
  private readonly count: HTMLSpanElement;
  private readonly hint: HTMLParagraphElement;
  private entries: AttentionEntry[] = [];
  private stores: readonly Store[] = [];
  private showAll = false;

  constructor(private readonly options: AttentionPanelOptions) {
    this.count = h('span', { className: 'attention-count', 'data-testid': 'attention-count' });
    this.body = h('div', { className: 'attention-body', 'aria-live': 'polite' });
    this.hint = h('p', { className: 'hint attention-hint', 'data-testid': 'attention-hint', hidden: true });
    this.el = h('section', { className: 'attention', 'aria-labelledby': 'attention-title', 'data-testid': 'attention-panel' }, h('h2', { id: 'attention-title' }, 'Needs attention ', this.count), this.hint, this.body);
  }

  setLoading(): void {
    this.body.setAttribute('aria-busy', 'true');
    if (this.entries.length === 0) replace(this.body, loading('Looking for days that need attention…'));
  }

  setError(message: string): void {
    this.body.setAttribute('aria-busy', 'false');
    this.count.textContent = '';
    replace(this.body, h('p', { className: 'notice notice-error', 'data-testid': 'attention-error' }, h('span', { className: 'notice-text' }, message), h('button', { type: 'button', className: 'notice-action', onclick: () => this.options.onRetry() }, 'Try again')));
  }

  update(entries: readonly AttentionEntry[], stores: readonly Store[], thresholds?: AttentionThresholds): void {
    this.hint.hidden = thresholds === undefined;
    if (thresholds) this.hint.textContent = `Days forecast at least ${thresholds.heightenedPercent} % and ${thresholds.minUnits} units above their weekday’s normal, ranked by extra units; days changed by more than ${thresholds.changedPercent} % since the previous forecast; stores whose accuracy dropped; promotions on items too new to estimate an uplift.`;
    this.entries = [...entries];
    this.stores = stores;
    this.body.setAttribute('aria-busy', 'false');
    this.render();
  }

  private render(): void {
    const n = this.entries.length;
    this.count.textContent = n > 0 ? `(${n})` : '';
    if (n === 0) {
      replace(this.body, h('p', { className: 'empty', 'data-testid': 'attention-empty' }, 'Nothing stands out in your stores over the coming days: no heightened demand, no large change since yesterday’s forecast.'));
      return;
    }
    const shown = this.showAll ? this.entries : this.entries.slice(0, ATTENTION_TOP);
    const byId = new Map(this.stores.map((s) => [s.store, s]));
    const list = h('ol', { className: 'attention-list', 'data-testid': 'attention-list' }, shown.map((e) => this.entry(e, storeLabel(byId.get(e.store) ?? { store: e.store, name: null }))));
    const more = n > ATTENTION_TOP ? h('button', { type: 'button', className: 'link-button', 'data-testid': 'attention-more', onclick: () => ((this.showAll = !this.showAll), this.render()) }, this.showAll ? `Show the top ${ATTENTION_TOP}` : `Show all ${n}`) : null;
    replace(this.body, list, more);
  }

  private entry(e: AttentionEntry, label: string): HTMLLIElement {
    const change = formatChange(e.change);
    const units = formatExtraUnits(e.units);
    const what = `${label}, ${formatDay(e.date)}${e.item ? `, item ${e.item}` : ''}`;
    const link = h('a', {
      href: attentionHref(e),
      className: 'attention-link',
      'data-testid': 'attention-open',
      onclick: (ev: Event) => {
        const mouse = ev as MouseEvent;
        if (mouse.ctrlKey || mouse.metaKey || mouse.shiftKey || mouse.button === 1) return; // a new tab follows the href
        ev.preventDefault();
        this.options.onOpen(e);
      },
    }, what);
    return h(
      'li',
      { className: `attention-entry attention-${e.kind}`, 'data-testid': 'attention-entry', 'data-kind': e.kind, 'data-store': e.store, 'data-date': e.date, 'data-item': e.item },
      h('span', { className: `badge badge-attention badge-${e.kind}` }, ATTENTION_LABEL[e.kind]),
      link,
      change ? h('strong', { className: 'attention-change' }, change) : null,
      units ? h('span', { className: 'attention-units' }, units) : null,
      e.reason ? h('span', { className: 'attention-reason', title: e.reason }, e.reason) : null,
    );
  }
}
