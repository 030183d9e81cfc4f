import type { ApiClient, IsoDate, Override, OverrideHistoryEntry, StoreId } from '../api';
import { ApiError } from '../api';
import { announce, h, loading, replace, uid } from '../dom';
import { formatDateTime, formatUnits } from '../format';
import type { OverrideField } from '../overrides';
import { ACTION_LABEL, describeChange, describeItems, describeOverride, describeRange, describeTransition, fieldErrors, numbersTotal, overrideInput } from '../overrides';

export interface OverridesPanelDeps {
  api: ApiClient;
  store: StoreId;
  storeLabel: string;
  /** The card's forecast window and items: the form's default dates and the items it suggests. */
  window(): { from: IsoDate; to: IsoDate; items: string[] } | undefined;
  /** After a create, edit or delete: reload the numbers the override changes. */
  onChanged(): Promise<void>;
  /** A promotion started (or joined) a rerun of the store: follow it like a refresh. */
  onRerun?(statusUrl: string): void;
}

type Tab = 'current' | 'history';

/**
 * A store's overrides: the ones in force (edit, delete), a form to add one (dates, optional items, a
 * percentage or an absolute value, a required note), and the append-only history of every change. Loads
 * when first opened; the API checks every input and its 400 is shown next to the field it is about.
 */
export class OverridesPanel {
  readonly el: HTMLDetailsElement;
  private readonly count: HTMLSpanElement;
  private readonly tabButtons: Record<Tab, HTMLButtonElement>;
  private readonly currentPanel: HTMLDivElement;
  private readonly historyPanel: HTMLDivElement;
  private readonly list: HTMLDivElement;
  private readonly history: HTMLDivElement;
  private readonly form: HTMLFormElement;
  private readonly inputs: { from: HTMLInputElement; to: HTMLInputElement; items: HTMLInputElement; kind: HTMLSelectElement; value: HTMLInputElement; note: HTMLTextAreaElement };
  private readonly errors = new Map<OverrideField | 'form', HTMLElement>();
  private readonly submit: HTMLButtonElement;
  private readonly cancel: HTMLButtonElement;
  private readonly itemList: HTMLDataListElement;
  private overrides: Override[] = [];
  private editing: Override | undefined;
  private tab: Tab = 'current';
  private loaded = false;
  private busy = false;

  constructor(private readonly deps: OverridesPanelDeps) {
    const id = uid('override');
    this.count = h('span', { className: 'badge overrides-count', 'data-testid': 'overrides-count', hidden: true });
    const tab = (name: Tab, label: string): HTMLButtonElement => h('button', { type: 'button', role: 'tab', id: `${id}-tab-${name}`, 'aria-controls': `${id}-${name}`, 'data-testid': `overrides-tab-${name}`, onclick: () => this.showTab(name) }, label);
    this.tabButtons = { current: tab('current', 'In force'), history: tab('history', 'History') };
    this.list = h('div', { className: 'overrides-list', 'data-testid': 'overrides-list' });
    this.history = h('div', { className: 'overrides-history', 'data-testid': 'overrides-history' });
    this.itemList = h('datalist', { id: `${id}-items` });
    this.inputs = {
      from: h('input', { type: 'date', id: `${id}-from`, name: 'from', 'data-testid': 'override-from' }),
      to: h('input', { type: 'date', id: `${id}-to`, name: 'to', 'data-testid': 'override-to' }),
      items: h('input', { type: 'text', id: `${id}-items-input`, name: 'items', list: `${id}-items`, autocomplete: 'off', placeholder: 'All items', 'data-testid': 'override-items' }),
      kind: h('select', { id: `${id}-kind`, name: 'kind', 'data-testid': 'override-kind' }, h('option', { value: 'percent' }, 'By a percentage'), h('option', { value: 'absolute' }, 'To an absolute value (units a day)'), h('option', { value: 'promotion' }, 'By adding a promotion (reruns the store)')),
      value: h('input', { type: 'number', id: `${id}-value`, name: 'value', step: 'any', inputmode: 'decimal', 'data-testid': 'override-value' }),
      note: h('textarea', { id: `${id}-note`, name: 'note', rows: 2, 'data-testid': 'override-note', placeholder: 'Why: e.g. local festival, the store expects twice the footfall' }),
    };
    const field = (name: OverrideField, label: string, hint?: string): HTMLElement => {
      const error = h('span', { className: 'field-error', id: `${id}-${name}-error`, 'data-testid': `override-error-${name}`, hidden: true });
      this.errors.set(name, error);
      const input = this.inputs[name];
      input.setAttribute('aria-describedby', `${id}-${name}-error`);
      return h('div', { className: `field field-${name}` }, h('label', { for: input.id }, label), input, hint ? h('span', { className: 'field-hint' }, hint) : null, error);
    };
    const formError = h('p', { className: 'notice notice-error', role: 'alert', 'data-testid': 'override-error-form', hidden: true });
    this.errors.set('form', formError);
    this.submit = h('button', { type: 'submit', 'data-testid': 'override-save' }, 'Add adjustment');
    this.cancel = h('button', { type: 'button', className: 'secondary', 'data-testid': 'override-cancel', hidden: true, onclick: () => this.stopEditing() }, 'Cancel edit');
    // novalidate: the API's rules (and its words) decide, not the browser's.
    this.form = h(
      'form',
      { className: 'override-form', 'data-testid': 'override-form', novalidate: true, 'aria-label': `Adjust the forecast of ${deps.storeLabel}` },
      h('div', { className: 'override-fields' }, field('from', 'From'), field('to', 'To'), field('items', 'Items', 'Comma-separated; empty = the whole store'), field('kind', 'How'), field('value', 'Value', '% (e.g. 20 or −10), units a day, or empty for a promotion')),
      field('note', 'Note (required)'),
      this.itemList,
      formError,
      h('div', { className: 'override-actions' }, this.submit, this.cancel),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.save();
    });
    this.currentPanel = h('div', { role: 'tabpanel', id: `${id}-current`, 'aria-labelledby': `${id}-tab-current` }, this.list, h('h4', {}, 'Adjust the forecast'), this.form);
    this.historyPanel = h('div', { role: 'tabpanel', id: `${id}-history`, 'aria-labelledby': `${id}-tab-history`, hidden: true }, h('p', { className: 'hint' }, 'Every change is kept, oldest last; nobody can edit the past.'), this.history);
    this.el = h(
      'details',
      { className: 'overrides', 'data-testid': 'overrides' },
      h('summary', { 'data-testid': 'overrides-toggle' }, 'Adjustments and their history ', this.count),
      h('div', { role: 'tablist', className: 'tabs tabs-small', 'aria-label': `Adjustments of ${deps.storeLabel}` }, this.tabButtons.current, this.tabButtons.history),
      this.currentPanel,
      this.historyPanel,
    );
    this.el.addEventListener('toggle', () => {
      if (this.el.open && !this.loaded) void this.load();
    });
    this.showTab('current');
  }

  /** Opens the panel with the form set to one day (from "Needs attention"). */
  openAt(date: IsoDate): void {
    this.el.open = true;
    if (!this.editing) {
      this.inputs.from.value = date;
      this.inputs.to.value = date;
    }
    if (!this.loaded) void this.load();
  }

  /** Marks the panel's summary with the number in force, known from the forecast without a call. */
  setAdjusted(adjusted: boolean): void {
    if (this.loaded) return;
    this.count.hidden = !adjusted;
    this.count.textContent = adjusted ? 'in force' : '';
  }

  private showTab(tab: Tab): void {
    this.tab = tab;
    for (const [name, button] of Object.entries(this.tabButtons) as [Tab, HTMLButtonElement][]) {
      button.setAttribute('aria-selected', String(name === tab));
      button.tabIndex = name === tab ? 0 : -1;
    }
    this.currentPanel.hidden = tab !== 'current';
    this.historyPanel.hidden = tab !== 'history';
    if (tab === 'history' && this.loaded) void this.loadHistory();
  }

  async load(): Promise<void> {
    this.loaded = true;
    this.fillDefaults();
    replace(this.list, loading('Loading adjustments…'));
    try {
      this.overrides = (await this.deps.api.overrides(this.deps.store)).overrides;
      this.renderList();
    } catch (e) {
      replace(this.list, h('p', { className: 'notice notice-error' }, `Could not load the adjustments: ${messageOf(e)}`));
    }
    if (this.tab === 'history') await this.loadHistory();
  }

  private fillDefaults(): void {
    const w = this.deps.window();
    if (!w) return;
    if (!this.inputs.from.value) this.inputs.from.value = w.from;
    if (!this.inputs.to.value) this.inputs.to.value = w.from;
    replace(this.itemList, w.items.map((i) => h('option', { value: i })));
  }

  private renderList(): void {
    const n = this.overrides.length;
    this.count.hidden = n === 0;
    this.count.textContent = n === 0 ? '' : `${n} in force`;
    if (n === 0) {
      replace(this.list, h('p', { className: 'empty', 'data-testid': 'overrides-empty' }, 'No adjustment in force: the numbers are the model’s.'));
      return;
    }
    replace(
      this.list,
      h(
        'ul',
        { className: 'override-rows' },
        this.overrides.map((o) => {
          const actions = h('span', { className: 'override-row-actions' });
          const resetActions = (): void =>
            replace(
              actions,
              h('button', { type: 'button', className: 'secondary', 'data-testid': 'override-edit', 'aria-label': `Edit the adjustment ${describeOverride(o)}`, onclick: () => this.startEditing(o) }, 'Edit'),
              h('button', { type: 'button', className: 'secondary', 'data-testid': 'override-delete', 'aria-label': `Delete the adjustment ${describeOverride(o)}`, onclick: () => confirmDelete() }, 'Delete'),
            );
          const confirmDelete = (): void =>
            replace(
              actions,
              h('span', {}, 'Delete this adjustment? '),
              h('button', { type: 'button', className: 'danger', 'data-testid': 'override-delete-confirm', onclick: () => void this.remove(o) }, 'Delete'),
              h('button', { type: 'button', className: 'secondary', onclick: resetActions }, 'Keep'),
            );
          resetActions();
          return h(
            'li',
            { className: 'override-row', 'data-testid': 'override-row', 'data-id': o.id },
            h('span', { className: 'override-what' }, h('strong', {}, describeChange(o)), ' ', describeRange(o), ', ', describeItems(o.items)),
            h('span', { className: 'override-note' }, `“${o.note}”`),
            h('span', { className: 'override-by' }, `${o.by}, ${formatDateTime(o.at)}`),
            actions,
          );
        }),
      ),
    );
  }

  private async loadHistory(): Promise<void> {
    replace(this.history, loading('Loading the history…'));
    let entries: OverrideHistoryEntry[];
    let older: string | undefined;
    try {
      const answer = await this.deps.api.overrideHistory(this.deps.store);
      entries = answer.entries;
      if (answer.truncated) older = `Showing the newest ${entries.length.toLocaleString('en-US')} of ${answer.total.toLocaleString('en-US')} changes.`;
    } catch (e) {
      replace(this.history, h('p', { className: 'notice notice-error' }, `Could not load the history: ${messageOf(e)}`));
      return;
    }
    if (entries.length === 0) {
      replace(this.history, h('p', { className: 'empty', 'data-testid': 'history-empty' }, `Nobody has adjusted ${this.deps.storeLabel} yet.`));
      return;
    }
    const newestFirst = [...entries].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    replace(
      this.history,
      older === undefined ? null : h('p', { className: 'hint', 'data-testid': 'history-truncated' }, older),
      h(
        'div',
        { className: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': `History of the adjustments of ${this.deps.storeLabel}` },
        h(
          'table',
          { className: 'history-table', 'data-testid': 'history-table' },
          h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Note', 'Before', 'After', 'Units before → after'].map((t) => h('th', { scope: 'col' }, t)))),
          h(
            'tbody',
            {},
            newestFirst.map((e) => {
              const { before, after } = describeTransition(e);
              const was = numbersTotal(e.numbers?.before);
              const now = numbersTotal(e.numbers?.after);
              return h(
                'tr',
                { 'data-testid': 'history-row', 'data-action': e.action, 'data-override': e.override },
                h('td', {}, h('time', { datetime: e.at }, formatDateTime(e.at))),
                h('td', {}, e.by),
                h('td', {}, ACTION_LABEL[e.action]),
                h('td', { className: 'history-note' }, e.note),
                h('td', {}, before),
                h('td', {}, after),
                h('td', { className: 'num' }, was === null && now === null ? '—' : `${formatUnits(was)} → ${formatUnits(now)}`),
              );
            }),
          ),
        ),
      ),
    );
  }

  private startEditing(o: Override): void {
    this.editing = o;
    this.inputs.from.value = o.from;
    this.inputs.to.value = o.to;
    this.inputs.items.value = (o.items ?? []).join(', ');
    this.inputs.kind.value = o.kind;
    this.inputs.value.value = o.kind === 'promotion' ? '' : String(o.value);
    this.inputs.note.value = '';
    this.inputs.note.placeholder = `Why the change (was: “${o.note}”)`;
    this.submit.textContent = 'Save changes';
    this.cancel.hidden = false;
    this.clearErrors();
    this.inputs.value.focus();
  }

  private stopEditing(): void {
    this.editing = undefined;
    this.form.reset();
    this.inputs.note.placeholder = 'Why: e.g. local festival, the store expects twice the footfall';
    this.submit.textContent = 'Add adjustment';
    this.cancel.hidden = true;
    this.clearErrors();
    this.fillDefaults();
  }

  private clearErrors(): void {
    for (const [name, el] of this.errors) {
      el.hidden = true;
      el.textContent = '';
      if (name !== 'form') this.inputs[name].removeAttribute('aria-invalid');
    }
  }

  private showErrors(e: unknown): void {
    if (!(e instanceof ApiError) || e.status !== 400) {
      const el = this.errors.get('form')!;
      el.hidden = false;
      el.textContent =
        e instanceof ApiError && e.status === 403
          ? `You cannot adjust ${this.deps.storeLabel}: ${e.message}`
          : e instanceof ApiError && e.status === 409
            ? `Someone changed this adjustment meanwhile; the list now shows theirs. ${e.message}`
            : `The adjustment was not saved: ${messageOf(e)}`;
      if (e instanceof ApiError && e.status === 409) void this.load();
      return;
    }
    let first: HTMLElement | undefined;
    for (const [name, messages] of fieldErrors(e)) {
      const el = this.errors.get(name);
      if (!el) continue;
      el.hidden = false;
      el.textContent = messages.join(' ');
      if (name !== 'form') {
        this.inputs[name].setAttribute('aria-invalid', 'true');
        first ??= this.inputs[name];
      }
    }
    first?.focus();
  }

  private async save(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.submit.disabled = true;
    this.clearErrors();
    const input = overrideInput({ from: this.inputs.from.value, to: this.inputs.to.value, items: this.inputs.items.value, kind: this.inputs.kind.value, value: this.inputs.value.value, note: this.inputs.note.value });
    try {
      const editing = this.editing;
      // The version edited: the API answers 409 when someone changed the override meanwhile.
      const saved = editing ? await this.deps.api.editOverride(this.deps.store, editing.id, { ...input, version: editing.version }) : await this.deps.api.createOverride(this.deps.store, input);
      announce(`${editing ? 'Adjustment changed' : 'Adjustment added'} for ${this.deps.storeLabel}: ${describeOverride(input)}.`);
      this.stopEditing();
      this.followRerun(saved);
      await this.afterChange();
    } catch (e) {
      this.showErrors(e);
    } finally {
      this.busy = false;
      this.submit.disabled = false;
    }
  }

  /** A promotion reruns the store: the card follows the run; when none could start, the form says why. */
  private followRerun(saved: Override | undefined): void {
    const refresh = saved?.refresh;
    if (!refresh) return;
    if (refresh.statusUrl) {
      this.deps.onRerun?.(refresh.statusUrl);
      return;
    }
    const el = this.errors.get('form')!;
    el.hidden = false;
    el.textContent = `The promotion is saved, but ${this.deps.storeLabel} could not rerun now${refresh.error ? `: ${refresh.error}` : ''}. The next morning run applies it.`;
  }

  private async remove(o: Override): Promise<void> {
    try {
      const { rerun } = await this.deps.api.deleteOverride(this.deps.store, o.id);
      announce(`Adjustment deleted for ${this.deps.storeLabel}.`);
      // A deleted promotion reruns the store without it.
      if (rerun) this.deps.onRerun?.(rerun);
      if (this.editing?.id === o.id) this.stopEditing();
      await this.afterChange();
    } catch (e) {
      this.showErrors(e);
      this.renderList();
    }
  }

  private async afterChange(): Promise<void> {
    await Promise.all([this.load(), this.deps.onChanged()]);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

