import { h, replace } from '../dom';

export type NoticeKind = 'error' | 'warning' | 'info';

export interface NoticeAction {
  label: string;
  href?: string;
  onClick?: () => void;
}

/** The page-level messages under the toolbar (errors, access problems, session expiry). */
export class Notices {
  readonly el: HTMLElement;
  private readonly items = new Map<string, HTMLElement>();

  constructor() {
    this.el = h('div', { className: 'notices', 'data-testid': 'error-banner', hidden: true });
  }

  show(id: string, kind: NoticeKind, message: string, action?: NoticeAction): void {
    const actionEl = action
      ? action.href
        ? h('a', { href: action.href, className: 'notice-action' }, action.label)
        : h('button', { type: 'button', className: 'notice-action', onclick: () => action.onClick?.() }, action.label)
      : null;
    const dismiss = h('button', { type: 'button', className: 'notice-dismiss', 'aria-label': 'Dismiss message', onclick: () => this.clear(id) }, '×');
    const existing = this.items.get(id);
    const el = existing ?? h('div', { className: `notice notice-${kind}`, role: kind === 'info' ? 'status' : 'alert', 'data-notice': id });
    el.className = `notice notice-${kind}`;
    replace(el, h('span', { className: 'notice-text' }, message), actionEl, dismiss);
    if (!existing) {
      this.items.set(id, el);
      this.el.append(el);
    }
    this.el.hidden = false;
  }

  clear(id: string): void {
    this.items.get(id)?.remove();
    this.items.delete(id);
    this.el.hidden = this.items.size === 0;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }
}
