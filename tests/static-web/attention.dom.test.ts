// @vitest-environment jsdom
/** "Needs attention": the list as the API ranks it, its empty and error states, and opening a store at a day. */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../static-web/src/api';
import { formatChange, formatExtraUnits } from '../../static-web/src/attention';
import { parseUrl, toQuery } from '../../static-web/src/state';
import { allByTestId, byTestId, defaultApi, flush, mount } from './mount';

afterEach(() => document.body.replaceChildren());

const ENTRIES = [
  { store: '2', date: '2017-07-05', kind: 'heightened' as const, change: 0.45, units: 120, reason: 'Promotion: Summer sale' },
  { store: '3', date: '2017-07-03', kind: 'changed' as const, change: -0.22, units: -40, reason: 'Down from yesterday’s forecast' },
  { store: '1', date: '2017-07-02', item: '2', kind: 'new-promotion' as const, change: null, units: null, reason: 'Too little history for an uplift' },
];

describe('needs attention', () => {
  it('lists the entries in the order served, each with kind, store, day, change, extra units and reason', async () => {
    const api = defaultApi();
    api.attentionItems = ENTRIES;
    const { root } = await mount({ api });
    const panel = byTestId(root, 'attention-panel');
    // The first thing on the page after the header: before the filters and the store cards.
    expect(panel.compareDocumentPosition(byTestId(root, 'store-cards')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const entries = allByTestId(panel, 'attention-entry');
    expect(entries.map((e) => [e.dataset.kind, e.dataset.store, e.dataset.date])).toEqual([
      ['heightened', '2', '2017-07-05'],
      ['changed', '3', '2017-07-03'],
      ['new-promotion', '1', '2017-07-02'],
    ]);
    expect(entries[0]!.textContent).toContain('Heightened demand');
    expect(entries[0]!.textContent).toContain('Harbour (2), Wed, Jul 5');
    expect(entries[0]!.textContent).toContain('+45 %');
    expect(entries[0]!.textContent).toContain('+120 units');
    expect(entries[0]!.textContent).toContain('Promotion: Summer sale');
    expect(entries[2]!.textContent).toContain('item 2');
    expect(byTestId(entries[0]!, 'attention-open').getAttribute('href')).toBe('/?store=2&date=2017-07-05');
    expect(byTestId(panel, 'attention-count').textContent).toBe('(3)');
    // What "well above" means, from the API's settings.
    expect(byTestId(panel, 'attention-hint').textContent).toContain('at least 30 % and 10 units above their weekday’s normal');
  });

  it('says so when nothing needs attention, and offers to try again after a failure', async () => {
    const api = defaultApi();
    api.failAttention = new ApiError(503, 'unavailable', 'The Foreact service is temporarily unavailable.');
    const { root } = await mount({ api });
    expect(byTestId(root, 'attention-error').textContent).toContain('Could not load what needs attention: The Foreact service is temporarily unavailable.');
    api.failAttention = undefined;
    byTestId(root, 'attention-error').querySelector('button')!.click();
    await flush();
    expect(byTestId(root, 'attention-empty').textContent).toMatch(/^Nothing stands out/);
  });

  it('opens the store card at that day: selects the store, highlights the day in the chart and the items table', async () => {
    const api = defaultApi();
    api.attentionItems = ENTRIES;
    const { root, charts, pushed } = await mount({ api, search: '?stores=1' });
    byTestId(allByTestId(root, 'attention-entry')[0]!, 'attention-open').click();
    await flush();
    expect(pushed.at(-1)).toBe('/?stores=2&store=2&date=2017-07-05');
    const card = byTestId(root, 'store-card-2');
    expect(card.classList.contains('store-card-focus')).toBe(true);
    expect(card.dataset.focusDate).toBe('2017-07-05');
    expect(charts.at(-1)?.highlight).toBe('2017-07-05');
    const header = card.querySelector<HTMLElement>('th.day-focus');
    expect(header?.dataset.date).toBe('2017-07-05');
    expect(card.querySelectorAll('td.day-focus')).toHaveLength(3);
    // The adjustment form is ready for that day.
    expect((byTestId(card, 'override-from') as HTMLInputElement).value).toBe('2017-07-05');
  });

  it('reads a deep link to a day beyond the days on screen and widens them', async () => {
    const { root } = await mount({ search: '?store=3&date=2017-08-10' });
    expect((byTestId(root, 'days-select') as HTMLSelectElement).value).toBe('56');
    const card = byTestId(root, 'store-card-3');
    expect(card.dataset.focusDate).toBe('2017-08-10');
    expect(card.querySelector<HTMLElement>('th.day-focus')?.dataset.date).toBe('2017-08-10');
    expect([...root.querySelectorAll<HTMLElement>('[data-testid^="store-card-"]')].map((c) => c.dataset.store)).toEqual(['3']);
  });
});

describe('attention words and addresses', () => {
  it('formats changes as signed percentages and extra units', () => {
    expect(formatChange(0.454, 'en-US')).toBe('+45 %');
    expect(formatChange(-0.2, 'en-US')).toBe('−20 %');
    expect(formatChange(null)).toBeNull();
    expect(formatExtraUnits(1234.4, 'en-US')).toBe('+1,234 units');
    expect(formatExtraUnits(-3.25, 'en-US')).toBe('−3.3 units');
  });

  it('reads ?store=&date= as a focus on that store, and drops a malformed one', () => {
    expect(parseUrl('?store=7&date=2017-07-04')).toEqual({ selection: ['7'], view: 'stores', focus: { store: '7', date: '2017-07-04' }, invalid: [] });
    expect(parseUrl('?stores=1&store=7&date=2017-07-04').selection).toEqual(['1', '7']);
    expect(parseUrl('?store=7&date=2017-02-30').focus).toBeUndefined();
    expect(parseUrl('?store=../x&date=2017-07-04').invalid).toEqual(['../x']);
    expect(toQuery({ selection: ['7'], days: 28, view: 'stores', focus: { store: '7', date: '2017-07-04' } })).toBe('?stores=7&store=7&date=2017-07-04');
  });
});
