// @vitest-environment jsdom
/**
 * The dashboard mounted in jsdom against an in-memory API: what a planner sees and does, plus an axe
 * check of the rendered structure (colour contrast is left to the browser end-to-end test).
 */
import axe from 'axe-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../static-web/src/api';
import { STORAGE_KEY } from '../../static-web/src/state';
import { FakeApi, freshness, run, SAMPLE_MARKERS, store } from './fixtures';
import { byTestId, flush, startApp, type MountOptions, type Mounted } from './mount';

const mount = (opts: MountOptions & { api?: FakeApi } = {}): Promise<Mounted> =>
  startApp(opts.api ?? new FakeApi({ stores: [store('1'), store('2', { name: 'Harbour' }), store('3', { freshness: freshness({ stale: true, staleReason: 'The 05:00 training failed; showing yesterday’s forecast.' }) })] }), opts);

const cards = (root: ParentNode): string[] => [...root.querySelectorAll<HTMLElement>('[data-testid^="store-card-"]')].map((c) => c.dataset.store ?? '');

beforeEach(() => {
  vi.useRealTimers();
});
afterEach(() => {
  document.body.replaceChildren();
});

describe('dashboard', () => {
  it('shows the signed-in user with role and sign-out, and all their stores by default', async () => {
    const { root, charts, api } = await mount();
    expect(byTestId(root, 'user-name').textContent).toBe('ann@contoso.com');
    expect(byTestId(root, 'user-role').textContent).toBe('Planner');
    expect(byTestId(root, 'sign-out').getAttribute('href')).toBe('/.auth/logout?post_logout_redirect_uri=%2F');
    expect(cards(root)).toEqual(['1', '2', '3']);
    expect(charts).toHaveLength(3);
    expect(api.calls).toContain('forecasts 1,2,3 2017-07-01..2017-07-28');
    const card2 = byTestId(root, 'store-card-2');
    expect(card2.querySelector('h3')?.textContent).toBe('Harbour (2)');
    expect(byTestId(card2, 'accuracy-badge').textContent).toContain('SMAPE 12.4 %');
    expect(byTestId(card2, 'freshness').textContent).toContain('Generated');
    expect(byTestId(byTestId(root, 'store-card-3'), 'stale-flag').textContent).toBe('Stale: The 05:00 training failed; showing yesterday’s forecast.');
    expect(byTestId(card2, 'chart-summary').textContent).toMatch(/^Next 28 days: [\d,]+ \([\d,]+–[\d,]+\) units$/);
    const rows = byTestId(card2, 'items-table').querySelectorAll('tbody tr');
    expect(rows).toHaveLength(3);
  });

  it('falls back to /api/me when /.auth/me is not there', async () => {
    const { root, api } = await mount({ fetch: () => Promise.resolve(new Response('nope', { status: 404 })) });
    expect(api.calls[0]).toBe('me');
    expect(byTestId(root, 'user-name').textContent).toBe('ann@contoso.com');
  });

  it('filters to the stores in the address and keeps the filter in the URL and memory', async () => {
    const { root, pushed, storage } = await mount({ search: '?stores=1,3&days=14' });
    expect(cards(root)).toEqual(['1', '3']);
    expect((byTestId(root, 'days-select') as HTMLSelectElement).value).toBe('14');
    const box = byTestId(root, 'store-option-2') as HTMLInputElement;
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    await flush();
    expect(cards(root)).toEqual(['1', '2', '3']);
    expect(pushed.at(-1)).toBe('/?stores=1,2,3&days=14');
    expect(JSON.parse(storage.get(STORAGE_KEY)!)).toEqual({ selection: ['1', '2', '3'], days: 14, view: 'stores' });
  });

  it('restores the remembered view when the address has none', async () => {
    const { root } = await mount({ saved: { selection: ['2'], days: 7, view: 'transport' } });
    expect(cards(root)).toEqual(['2']);
    expect(byTestId(root, 'tab-transport').getAttribute('aria-selected')).toBe('true');
  });

  it('searches stores in the picker, selects all and clears', async () => {
    const { root } = await mount({ search: '?stores=1' });
    byTestId(root, 'store-picker-toggle').click();
    const search = byTestId(root, 'store-search') as HTMLInputElement;
    search.value = 'harb';
    search.dispatchEvent(new Event('input'));
    expect([...byTestId(root, 'store-picker').querySelectorAll('input[type=checkbox]')].map((b) => (b as HTMLInputElement).value)).toEqual(['2']);
    byTestId(root, 'select-all-stores').click();
    await flush();
    expect(cards(root)).toEqual(['1', '2', '3']);
    byTestId(root, 'clear-stores').click();
    await flush();
    expect(cards(root)).toEqual([]);
    expect(byTestId(root, 'stores-status').textContent).toMatch(/^No store selected/);
  });

  it('says clearly when the address names a store the planner may not see', async () => {
    const { root } = await mount({ pathname: '/stores/99' });
    expect(byTestId(root, 'error-banner').hidden).toBe(false);
    expect(byTestId(root, 'error-banner').textContent).toContain('You do not have access to store 99, or it does not exist.');
    expect(cards(root)).toEqual([]);
  });

  it('refreshes a store: progress through the stages, then the new numbers replace the old', async () => {
    const { root, api } = await mount({ search: '?stores=1' });
    const card = byTestId(root, 'store-card-1');
    const before = byTestId(card, 'chart-summary').textContent;
    const stagesSeen: string[] = [];
    const original = api.run.bind(api);
    api.run = async (id) => {
      const r = await original(id);
      await Promise.resolve();
      const current = byTestId(card, 'refresh-progress').querySelector('[aria-current="step"]');
      if (current) stagesSeen.push(current.getAttribute('data-stage') ?? '');
      return r;
    };
    const button = byTestId(card, 'refresh-button') as HTMLButtonElement;
    expect(button.getAttribute('aria-label')).toBe('Refresh forecast for Store 1');
    button.click();
    await flush();
    await flush();
    expect(api.calls).toContain('refresh 1');
    expect(stagesSeen.length).toBeGreaterThan(0);
    const after = byTestId(root, 'store-card-1');
    expect(after).toBe(card); // same card, no page reload
    expect(byTestId(card, 'chart-summary').textContent).not.toBe(before);
    expect(byTestId(card, 'refresh-summary').textContent).toMatch(/^Refresh finished in/);
    expect(byTestId(card, 'refresh-error').hidden).toBe(true);
    expect(button.disabled).toBe(false);
  });

  it('after a refresh, reads again until the store shows the run that finished (an API instance may serve the previous run for 2 s)', async () => {
    const { root, api } = await mount({ search: '?stores=1' });
    api.staleReadsAfterPublish = 2;
    const card = byTestId(root, 'store-card-1');
    const before = byTestId(card, 'chart-summary').textContent;
    byTestId(card, 'refresh-button').click();
    for (let i = 0; i < 6; i++) await flush();
    expect(byTestId(card, 'chart-summary').textContent).not.toBe(before);
    // The first two reads after "done" served the previous run; the third showed the new one, and no more were made.
    const reads = api.calls.slice(api.calls.lastIndexOf('run /api/runs/refresh-1-1') + 1).filter((c) => c.startsWith('forecasts 1 '));
    expect(reads).toHaveLength(3);
  });

  it('keeps the old forecast and says why when a refresh fails', async () => {
    const { root, api } = await mount({ search: '?stores=1' });
    api.runScript = [run('training'), run('failed', { error: { code: 'training_failed', message: 'The training job ran out of memory.', stage: 'training' } })];
    const card = byTestId(root, 'store-card-1');
    const before = byTestId(card, 'chart-summary').textContent;
    byTestId(card, 'refresh-button').click();
    await flush();
    const error = byTestId(card, 'refresh-error');
    expect(error.hidden).toBe(false);
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('Refresh failed while training models. The training job ran out of memory.');
    expect(error.textContent).toContain('The previous forecast');
    expect(byTestId(card, 'chart-summary').textContent).toBe(before);
  });

  it('shows transport demand per store and day, and downloads the API\'s CSV with the same parameters', async () => {
    const { root, api } = await mount({ search: '?stores=1,2&days=7&view=transport' });
    const view = byTestId(root, 'transport-view');
    const table = byTestId(view, 'transport-table');
    expect([...table.querySelectorAll('tbody th')].map((th) => th.textContent)).toEqual(['Store 1', 'Harbour (2)']);
    expect(table.querySelectorAll('thead th')).toHaveLength(1 + 7 + 1);
    const created: Blob[] = [];
    URL.createObjectURL = (b: Blob) => (created.push(b), 'blob:x');
    URL.revokeObjectURL = () => undefined;
    const names: string[] = [];
    HTMLAnchorElement.prototype.click = function () {
      names.push(this.download);
    };
    (byTestId(view, 'transport-csv') as HTMLButtonElement).click();
    await flush();
    expect(names).toEqual(['transport_2017-07-01_2017-07-07_p50_units.csv']);
    expect(api.calls).toContain('transport.csv 1,2 p50 units');
    expect(await created[0]!.text()).toBe('date,store,units,value\r\n');
  });

  it('moves between tabs with the arrow keys', async () => {
    const { root } = await mount();
    const tab = byTestId(root, 'tab-stores');
    tab.focus();
    tab.parentElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(byTestId(root, 'tab-transport').getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(byTestId(root, 'tab-transport'));
    expect((document.getElementById('panel-stores') as HTMLElement).hidden).toBe(true);
  });

  it('sorts the items table from its column headers', async () => {
    const { root } = await mount({ search: '?stores=1' });
    const table = (): HTMLElement => byTestId(byTestId(root, 'store-card-1'), 'items-table');
    const order = (): string[] => [...table().querySelectorAll('tbody th')].map((th) => th.textContent ?? '');
    expect(order()).toEqual(['3', '2', '1']); // by total, largest first
    table().querySelector<HTMLButtonElement>('button[data-sort="item"]')!.click();
    expect(order()).toEqual(['1', '2', '3']);
    expect(table().querySelector('th[aria-sort="ascending"]')?.textContent).toContain('Item');
  });

  it('explains load failures in plain words and offers to try again', async () => {
    const api = new FakeApi({ stores: [store('1')] });
    api.failForecasts = new ApiError(503, 'unavailable', 'Storage is not reachable.');
    const { root } = await mount({ api });
    expect(byTestId(root, 'error-banner').textContent).toContain('Could not load the forecasts: Storage is not reachable.');
    api.failForecasts = undefined;
    byTestId(root, 'error-banner').querySelector<HTMLButtonElement>('.notice-action')!.click();
    await flush();
    expect(byTestId(root, 'error-banner').hidden).toBe(true);
    expect(byTestId(byTestId(root, 'store-card-1'), 'chart-summary').textContent).toMatch(/^Next 28 days/);
  });

  it('tells a user without stores or without a role what to do', async () => {
    const { root } = await mount({ api: new FakeApi({ stores: [] }) });
    expect(byTestId(root, 'no-stores').textContent).toMatch(/no stores assigned/);
    // Regions are assigned to the stable user id: the planner can read it off to the administrator.
    expect(byTestId(root, 'user-id').textContent).toBe('u1');
    const noRole = new FakeApi({ stores: [] });
    noRole.stores = () => Promise.reject(new ApiError(403, 'forbidden', 'No role.'));
    const second = await mount({ api: noRole });
    expect(byTestId(second.root, 'error-banner').textContent).toMatch(/no access to Foreact forecasts yet.*Your user id: u1\./);
  });

  it('offers sign-in when nobody is signed in', async () => {
    const { root } = await mount({ fetch: () => Promise.resolve(new Response(JSON.stringify({ clientPrincipal: null }), { headers: { 'Content-Type': 'application/json' } })) });
    expect(byTestId(root, 'signed-out').querySelector('a')?.getAttribute('href')).toMatch(/^\/\.auth\/login\/aad\?post_login_redirect_uri=/);
  });

  it('marks promotions, events and closed days on the card, in the items table and in the transport view', async () => {
    const api = new FakeApi({ stores: [store('1'), store('2', { name: 'Harbour' })], markers: { '1': SAMPLE_MARKERS } });
    const { root, charts } = await mount({ api, search: '?stores=1,2&days=7' });
    const card = byTestId(root, 'store-card-1');
    // The chart is given the marked days (it draws bands and glyphs with these texts as tooltips)…
    const chart = charts[charts.length - 2]!;
    expect(chart.markers?.map((d) => `${d.date} ${d.kinds.join('+')}`)).toEqual(['2017-07-02 closed', '2017-07-04 event', '2017-07-06 promotion', '2017-07-07 promotion']);
    // …and the card lists them in words, for everyone.
    const list = byTestId(card, 'chart-markers');
    const texts = [...list.querySelectorAll('li')].map((li) => li.textContent?.replace(/^\W+/, '').trim());
    expect(texts).toEqual(['Sun, Jul 2: Closed', 'Tue, Jul 4: Independence Day', 'Thu, Jul 6: Promotion (1 item)', 'Fri, Jul 7: Summer sale (all items)']);
    expect(list.querySelector('li[data-date="2017-07-06"]')?.getAttribute('data-kinds')).toBe('promotion');
    expect(byTestId(card, 'store-chart').getAttribute('aria-label')).toContain('Marked days: 1 closed day, 2 promotion days, 1 event or holiday (listed below the chart).');
    expect(card.querySelector('.legend')?.textContent).toContain('Promotion');
    expect(card.querySelector('.legend')?.textContent).toContain('Closed');

    // Items table: the closed day says Closed in every row and in its header; promotion days are marked.
    const table = byTestId(card, 'items-table');
    const closedHeader = [...table.querySelectorAll('thead th')].find((th) => th.textContent?.includes('Jul 2'));
    expect(closedHeader?.textContent).toContain('Closed');
    expect([...table.querySelectorAll('td[data-date="2017-07-02"]')].map((td) => td.textContent)).toEqual(['Closed', 'Closed', 'Closed']);
    const row2 = table.querySelector('tr[data-item="2"]')!;
    expect(row2.getAttribute('data-promotion')).toBe('2017-07-06 2017-07-07');
    expect(byTestId(row2 as HTMLElement, 'promotion-badge').textContent).toContain('on promotion on Thu, Jul 6, Fri, Jul 7');
    expect(row2.querySelector('td.promo[data-date="2017-07-06"]')?.textContent).toMatch(/on promotion/);
    expect(table.querySelector('tr[data-item="1"]')?.getAttribute('data-promotion')).toBe('2017-07-07');
    expect(table.querySelector('tr[data-item="1"] td.promo[data-date="2017-07-06"]')).toBeNull(); // not on promotion that day
    const eventHeader = [...table.querySelectorAll('thead th')].find((th) => th.textContent?.includes('Jul 4'));
    expect(eventHeader?.textContent).toContain('Independence Day');

    // A store without drivers looks as before.
    const plain = byTestId(root, 'store-card-2');
    expect(plain.querySelector('[data-testid="chart-markers"]')).toBeNull();
    expect(plain.querySelector('[data-testid="promotion-badge"], td.closed')).toBeNull();

    // Transport: the closed day is "Closed", not 0 units; the other store's day is a number.
    byTestId(root, 'tab-transport').click();
    const transport = byTestId(root, 'transport-table');
    const cells = (id: string): string[] => [...transport.querySelectorAll(`tr[data-store="${id}"] td`)].map((td) => td.textContent ?? '');
    expect(cells('1')[1]).toBe('Closed');
    expect(transport.querySelector('tr[data-store="1"] td.closed')?.getAttribute('title')).toContain('closed');
    expect(cells('2')[1]).toMatch(/^\d+$/);
    expect(cells('1').filter((t) => t === 'Closed')).toHaveLength(1);

    // Still clean for axe with all of it on screen.
    const options = { runOnly: { type: 'tag' as const, values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, rules: { 'color-contrast': { enabled: false } } };
    const transportAudit = await axe.run(document.body, options);
    expect(transportAudit.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    byTestId(root, 'tab-stores').click();
    const storesAudit = await axe.run(document.body, options);
    expect(storesAudit.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  });

  it('passes an axe check of the stores and transport views', async () => {
    const { root } = await mount({ search: '?stores=1,2,3' });
    byTestId(root, 'store-picker-toggle').click();
    const options = { runOnly: { type: 'tag' as const, values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, rules: { 'color-contrast': { enabled: false } } };
    const stores = await axe.run(document.body, options);
    expect(stores.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    byTestId(root, 'tab-transport').click();
    const transport = await axe.run(document.body, options);
    expect(transport.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  });
});
