// @vitest-environment jsdom
/** Overrides on the store card: create, edit, delete, the API's 400 beside its field, both numbers, history. */
import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../static-web/src/api';
import { fieldErrors, overrideInput, valueAddedLabel } from '../../static-web/src/overrides';
import { allByTestId, byTestId, defaultApi, flush, mount, type } from './mount';

afterEach(() => document.body.replaceChildren());

async function openPanel(card: HTMLElement): Promise<HTMLElement> {
  const panel = byTestId(card, 'overrides') as HTMLDetailsElement;
  panel.open = true;
  panel.dispatchEvent(new Event('toggle'));
  await flush();
  return panel;
}

function fill(panel: HTMLElement, values: Partial<Record<'from' | 'to' | 'items' | 'kind' | 'value' | 'note', string>>): void {
  for (const [k, v] of Object.entries(values)) type(byTestId(panel, `override-${k}`), v);
}

async function submit(panel: HTMLElement): Promise<void> {
  byTestId(panel, 'override-form').dispatchEvent(new Event('submit', { cancelable: true }));
  await flush();
}

describe('overrides on the store card', () => {
  it('creates, edits and deletes an override; the card, table and chart show both numbers; the history keeps every change', async () => {
    const { root, api, charts } = await mount({ search: '?stores=1&days=7' });
    let card = byTestId(root, 'store-card-1');
    const panel = await openPanel(card);
    expect(byTestId(panel, 'overrides-empty').textContent).toContain('No adjustment in force');
    expect((byTestId(panel, 'override-from') as HTMLInputElement).value).toBe('2017-07-01');

    fill(panel, { from: '2017-07-03', to: '2017-07-04', items: '2', kind: 'percent', value: '50', note: 'Street festival next door' });
    await submit(panel);
    expect(api.overrideStore.get('1')).toMatchObject([{ from: '2017-07-03', to: '2017-07-04', items: ['2'], kind: 'percent', value: 50, note: 'Street festival next door' }]);
    card = byTestId(root, 'store-card-1');
    expect(byTestId(card, 'adjusted-summary').textContent).toMatch(/adjusted [\d,]+ units/);
    expect(byTestId(card, 'chart-summary').textContent).toMatch(/^Next 7 days: model /);
    const cell = card.querySelector<HTMLElement>('tr[data-item="2"] td[data-date="2017-07-03"]')!;
    expect(cell.querySelector('.model-value')?.textContent).toBe('24');
    expect(byTestId(cell, 'adjusted-value').textContent).toBe('35'); // 23.6 × 1.5
    expect(card.querySelector('tr[data-item="1"] td[data-date="2017-07-03"] .adjusted-value')).toBeNull();
    const chart = charts.at(-1)!;
    expect(chart.adjusted?.filter((v) => v !== null)).toHaveLength(7);
    expect(allByTestId(panel, 'override-row')).toHaveLength(1);
    expect(byTestId(panel, 'override-row').textContent).toContain('+50 %');
    expect(byTestId(panel, 'override-row').textContent).toContain('“Street festival next door”');

    byTestId(panel, 'override-edit').click();
    expect(byTestId(panel, 'override-save').textContent).toBe('Save changes');
    fill(panel, { kind: 'absolute', value: '40', note: 'Organisers expect more visitors' });
    await submit(panel);
    expect(api.calls).toContain('edit-override 1 o1');
    expect(byTestId(panel, 'override-row').textContent).toContain('= 40 units a day');
    expect(byTestId(byTestId(root, 'store-card-1').querySelector<HTMLElement>('tr[data-item="2"] td[data-date="2017-07-03"]')!, 'adjusted-value').textContent).toBe('40');

    byTestId(panel, 'overrides-tab-history').click();
    await flush();
    expect(allByTestId(panel, 'history-row').map((r) => r.dataset.action)).toEqual(['edit', 'create']);
    expect(allByTestId(panel, 'history-row')[0]!.textContent).toContain('Organisers expect more visitors');
    expect(allByTestId(panel, 'history-row')[0]!.textContent).toContain('+50 %');
    expect(allByTestId(panel, 'history-row')[0]!.textContent).toContain('= 40 units a day');

    byTestId(panel, 'overrides-tab-current').click();
    byTestId(panel, 'override-delete').click();
    byTestId(panel, 'override-delete-confirm').click();
    await flush();
    expect(api.overrideStore.get('1')).toEqual([]);
    expect(byTestId(panel, 'overrides-empty')).toBeTruthy();
    expect(byTestId(root, 'store-card-1').querySelector('[data-testid="adjusted-summary"]')).toBeNull();
    byTestId(panel, 'overrides-tab-history').click();
    await flush();
    expect(allByTestId(panel, 'history-row').map((r) => r.dataset.action)).toEqual(['delete', 'edit', 'create']);
  });

  it('shows the API\'s 400 next to the field it is about and changes nothing', async () => {
    const { root, api } = await mount({ search: '?stores=1&days=7' });
    const panel = await openPanel(byTestId(root, 'store-card-1'));
    api.rejectNextOverride = new ApiError(400, 'bad_request', 'Invalid request.', { issues: [{ path: 'note', message: 'A note saying why is required.' }] });
    fill(panel, { value: '20', note: '' });
    await submit(panel);
    const error = byTestId(panel, 'override-error-note');
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe('A note saying why is required.');
    expect(byTestId(panel, 'override-note').getAttribute('aria-invalid')).toBe('true');
    expect(byTestId(panel, 'override-error-value').hidden).toBe(true);
    expect(api.overrideStore.get('1') ?? []).toEqual([]);
  });

  it('edits the version on screen: a change made meanwhile is refused (409), said, and the list reloaded', async () => {
    const { root, api } = await mount({ search: '?stores=1&days=7' });
    await api.createOverride('1', { from: '2017-07-03', to: '2017-07-03', kind: 'percent', value: 10, note: 'First' });
    const panel = await openPanel(byTestId(root, 'store-card-1'));
    byTestId(panel, 'override-edit').click();
    // Someone else edits it first.
    await api.editOverride('1', 'o1', { from: '2017-07-03', to: '2017-07-03', kind: 'percent', value: 15, note: 'Someone else', version: 1 });
    fill(panel, { value: '25', note: 'Mine' });
    await submit(panel);
    expect(byTestId(panel, 'override-error-form').textContent).toContain('Someone changed this adjustment meanwhile');
    expect(api.overrideStore.get('1')![0]).toMatchObject({ value: 15, version: 2 });
    expect(byTestId(panel, 'override-row').textContent).toContain('+15 %');
  });

  it('adds a promotion: the store reruns and the card follows the run to the new forecast', async () => {
    const { root, api } = await mount({ search: '?stores=1&days=7' });
    const panel = await openPanel(byTestId(root, 'store-card-1'));
    fill(panel, { from: '2017-07-05', to: '2017-07-06', kind: 'promotion', value: '', note: 'Flyer in the local paper' });
    await submit(panel);
    await flush();
    expect(api.overrideStore.get('1')).toMatchObject([{ kind: 'promotion', value: 1, driver: 'promo' }]);
    expect(api.calls).toContain('run /api/runs/refresh-1-1');
    // The run finished: the card reloaded and shows the rerun's numbers (the fake doubles them).
    expect(api.calls.filter((c) => c.startsWith('forecasts')).length).toBeGreaterThanOrEqual(2);
    expect(byTestId(panel, 'override-row').textContent).toContain('promotion (promo)');
    expect(byTestId(root, 'store-card-1').querySelector('[data-testid="adjusted-summary"]')).toBeNull();
    // Deleting it reruns the store without it; the card follows that run too.
    byTestId(panel, 'override-delete').click();
    byTestId(panel, 'override-delete-confirm').click();
    await flush();
    expect(api.calls).toContain('run /api/runs/refresh-1-2');
  });

  it('shows forecast value added beside the realised accuracy', async () => {
    const api = defaultApi();
    api.valueAddedAnswer = { stores: [{ store: '1', weeks: { '4': { model: 0.18, adjusted: 0.12, days: 10 }, '13': { model: 0.15, adjusted: 0.17, days: 30 } } }], planners: [] };
    const { root } = await mount({ api, search: '?stores=1,2' });
    expect(byTestId(byTestId(root, 'store-card-1'), 'value-added').textContent).toBe('Value added by adjustments, 4 wk: model WAPE 18 %, adjusted 12 % (adjusting helped); 13 wk: model WAPE 15 %, adjusted 17 % (adjusting hurt)');
    expect(byTestId(root, 'store-card-2').querySelector('[data-testid="value-added"]')).toBeNull();
    expect(byTestId(root, 'planner-value-added').hidden).toBe(true);
  });

  it('shows the signed-in planner\'s own value added (not another planner\'s)', async () => {
    const api = defaultApi();
    const window = { '4': { model: 0.2, adjusted: 0.1, days: 5 }, '13': { model: 0.2, adjusted: 0.1, days: 5 } };
    api.valueAddedAnswer = { stores: [], planners: [{ planner: 'ann@contoso.com', weeks: window }, { planner: 'bob@contoso.com', weeks: window }] };
    const { root } = await mount({ api });
    const line = byTestId(root, 'planner-value-added');
    expect(line.hidden).toBe(false);
    expect(line.textContent).toBe('Your adjustments: 4 wk: model WAPE 20 %, adjusted 10 % (adjusting helped); 13 wk: model WAPE 20 %, adjusted 10 % (adjusting helped)');
  });
});

describe('accessibility of the planner\'s loop', () => {
  it('passes axe with Needs attention, an override with its history, and transport at p90 pallets on screen', async () => {
    const api = defaultApi();
    api.attentionItems = [{ store: '1', date: '2017-07-03', kind: 'heightened', change: 0.5, units: 80, reason: 'Promotion' }];
    await api.createOverride('1', { from: '2017-07-03', to: '2017-07-04', kind: 'percent', value: 20, note: 'Festival' });
    const { root } = await mount({ api, search: '?stores=1,2&days=7&level=p90&unit=pallets' });
    const panel = await openPanel(byTestId(root, 'store-card-1'));
    api.rejectNextOverride = new ApiError(400, 'bad_request', '"value": must be a finite number');
    await submit(panel);
    expect(byTestId(panel, 'override-error-value').hidden).toBe(false);
    const options = { runOnly: { type: 'tag' as const, values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, rules: { 'color-contrast': { enabled: false } } };
    const stores = await axe.run(document.body, options);
    expect(stores.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    byTestId(panel, 'overrides-tab-history').click();
    await flush();
    expect(byTestId(panel, 'history-table')).toBeTruthy();
    const history = await axe.run(document.body, options);
    expect(history.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    byTestId(root, 'tab-transport').click();
    const transport = await axe.run(document.body, options);
    expect(transport.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  });
});

describe('override history bound', () => {
  it('says when the API answered only the newest changes', async () => {
    const api = defaultApi();
    await api.createOverride('1', { from: '2017-07-03', to: '2017-07-04', kind: 'percent', value: 20, note: 'Festival' });
    const { root } = await mount({ api, search: '?stores=1&days=7' });
    const panel = await openPanel(byTestId(root, 'store-card-1'));
    byTestId(panel, 'overrides-tab-history').click();
    await flush();
    expect(panel.querySelector('[data-testid="history-truncated"]')).toBeNull();
    api.historyLimit = 1;
    await api.createOverride('1', { from: '2017-07-05', to: '2017-07-05', kind: 'percent', value: 10, note: 'Market day' });
    byTestId(panel, 'overrides-tab-current').click();
    byTestId(panel, 'overrides-tab-history').click();
    await flush();
    expect(allByTestId(panel, 'history-row')).toHaveLength(1);
    expect(byTestId(panel, 'history-truncated').textContent).toBe('Showing the newest 1 of 2 changes.');
  });
});

describe('override form words', () => {
  it('turns the form into the API body (items split, value as a number, note trimmed)', () => {
    expect(overrideInput({ from: '2017-07-03', to: '2017-07-04', items: 'A, B;B  C', kind: 'absolute', value: '12,5', note: ' why ' })).toEqual({ from: '2017-07-03', to: '2017-07-04', items: ['A', 'B', 'C'], kind: 'absolute', value: 12.5, note: 'why' });
    expect(overrideInput({ from: 'x', to: 'y', items: ' ', kind: 'percent', value: '', note: '' }).items).toBeUndefined();
    expect(overrideInput({ from: 'x', to: 'y', items: '', kind: 'promotion', value: ' ', note: 'n' })).toEqual({ from: 'x', to: 'y', kind: 'promotion', note: 'n' });
  });

  it('maps a 400 to its field by the issue path, else by the words of the message', () => {
    const byPath = fieldErrors(new ApiError(400, 'bad_request', 'x', { issues: [{ path: 'items.1', message: 'Unknown item Z' }] }));
    expect([...byPath]).toEqual([['items', ['Unknown item Z']]]);
    expect([...fieldErrors(new ApiError(400, 'bad_request', 'The range overlaps an override in force.'))]).toEqual([['from', ['The range overlaps an override in force.']]]);
    expect([...fieldErrors(new ApiError(400, 'bad_request', 'Something else went wrong.'))]).toEqual([['form', ['Something else went wrong.']]]);
    // As the API words a refusal (core/domain/overrides.ts): the field in quotes first.
    expect([...fieldErrors(new ApiError(400, 'bad_request', '"note": say why: the note is required'))]).toEqual([['note', ['Say why: the note is required']]]);
    expect([...fieldErrors(new ApiError(400, 'bad_request', '"from": overlaps override ovr-1 (2017-07-03 to 2017-07-04, all items); edit or delete that one instead'))][0]![0]).toBe('from');
  });

  it('says nothing about value added while no adjusted day has actuals', () => {
    expect(valueAddedLabel({ weeks: { '4': { model: 0.2, adjusted: null, days: 0 } } })).toBeNull();
  });
});
