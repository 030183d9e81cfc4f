/**
 * End-to-end test of the planners' dashboard (issue 7) in real headless Chromium against `npm start`'s
 * stack (Azurite in memory, the local Functions host running the compiled app, the built dashboard behind
 * the Static Web Apps sign-in emulation), started once on free ports.
 *
 * Needs `npm run build` (the host loads `dist/`); builds the dashboard when its bundle is missing or older
 * than its sources. Chromium: Debian's `/usr/bin/chromium` (CHROMIUM_PATH overrides); without it the suite
 * is skipped locally and fails in CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM } from '../../scripts/chromium.js';
import type * as StartModule from '../../scripts/start.js';
import { startChromiumOnStack } from './stack.js';
import type * as ConfigModule from '../../core/config.js';
import type * as AzureModule from '../../core/adapters/azure/index.js';
import type * as IngestionModule from '../../core/domain/ingestion.js';
import type * as PortsModule from '../../core/ports/index.js';

const ROOT = resolve(__dirname, '../..');
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && process.env.CI !== undefined) {
  throw new Error(`Chromium not found at ${CHROMIUM}: the dashboard end-to-end test must run in CI (install the Debian "chromium" package).`);
}
if (!HAVE_CHROMIUM) console.warn(`dashboard e2e: skipped — no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);

const NORTH = ['101', '102', '103'];
const SOUTH = ['201', '202', '203'];
const ITEMS = 20;
const DAYS = 28;

// The compiled app, as `npm start` runs it (the host loads dist/ natively; the test drives the same code).
const load = createRequire(__filename);
const dist = (path: string): string => join(ROOT, 'dist', path);

/** Uploads one more day of sales (`date,store,item,sales`) for one store, through the app's own ingestion. */
async function uploadSalesDay(store: string, date: string, unitsPerItem: number): Promise<string[]> {
  const { loadConfig } = load(dist('core/config.js')) as typeof ConfigModule;
  const { openStorage } = load(dist('core/adapters/azure/index.js')) as typeof AzureModule;
  const { ingestUpload } = load(dist('core/domain/ingestion.js')) as typeof IngestionModule;
  const { systemClock } = load(dist('core/ports/index.js')) as typeof PortsModule;
  const lines = ['date,store,item,sales'];
  for (let item = 1; item <= ITEMS; item++) lines.push(`${date},${store},SKU-${String(item).padStart(3, '0')},${unitsPerItem}`);
  const csv = `${lines.join('\n')}\n`;
  const storage = await openStorage(loadConfig());
  const result = await ingestUpload(storage, { name: `e2e-sales-${store}-${date}.csv`, open: () => [csv] }, { clock: systemClock });
  return result.changedStores;
}

const addDays = (iso: string, days: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const shortDay = (iso: string): string => new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));

/** Units as the dashboard writes them (en-US): whole units from 10 up, one decimal below. */
function screenUnits(value: number): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: Math.abs(value) >= 10 ? 0 : 1, minimumFractionDigits: 0 }).format(value);
}

interface StageSnapshot {
  hidden: boolean;
  stages: { stage: string; state: string }[];
  summary: string;
}

/** One consistent read of a card's progress indicator (a single evaluation, so no half-rendered mix). */
async function progressSnapshot(page: Page, store: string): Promise<StageSnapshot> {
  const json = await page.evaluate<string>(`(() => {
    const el = document.querySelector('[data-testid="store-card-${store}"] [data-testid="refresh-progress"]');
    if (!el) return JSON.stringify({ hidden: true, stages: [], summary: '' });
    return JSON.stringify({
      hidden: el.hidden,
      stages: [...el.querySelectorAll('li[data-stage]')].map((li) => ({ stage: li.dataset.stage, state: li.dataset.state })),
      summary: el.querySelector('[data-testid="refresh-summary"]')?.textContent ?? '',
    });
  })()`);
  return JSON.parse(json) as StageSnapshot;
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard in Chromium against the local stack', () => {
  let stack: StartModule.ForeactStack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const apiCalls: string[] = [];
  let web = '';

  beforeAll(async () => {
    ({ stack, browser, context, page, web } = await startChromiumOnStack(pageErrors, { acceptDownloads: true }));
    context.on('request', (r: Request) => {
      if (r.url().includes('/api/')) apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  test('signed out: the page offers sign-in; the local sign-in page lists the demo users', async () => {
    await page.goto(`${web}/`);
    await page.getByTestId('signed-out').waitFor();
    expect(await page.getByTestId('user-name').count()).toBe(0);
    expect((await page.request.get(`${web}/api/stores`)).status()).toBe(401);
    await page.getByTestId('sign-in').click();
    // The local emulation of Entra ID lists the demo users.
    await page.getByRole('link', { name: /Pat — planner, north/ }).click();
    await page.getByTestId('store-card-101').getByTestId('items-table').waitFor();
  });

  // Static Web Apps returns to `post_login_redirect_uri` (a same-origin address) after sign-in; the local
  // emulation must too, or a shared link would lose its filter at sign-in.
  test('signing in from a shared link comes back to that link', async () => {
    const fresh = await browser!.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    try {
      const p = await fresh.newPage();
      await p.goto(`${web}/?stores=102&view=stores`);
      await p.getByTestId('sign-in').click();
      await p.getByRole('link', { name: /Pat — planner, north/ }).click();
      await p.getByTestId('store-card-102').getByTestId('items-table').waitFor({ timeout: 10_000 });
      expect(new URL(p.url()).searchParams.get('stores')).toBe('102');
    } finally {
      await fresh.close();
    }
  });

  test('a planner sees their name and role, and only the stores of their region', async () => {
    await page.goto(`${web}/?stores=all&view=stores`);
    await expect.poll(() => page.getByTestId('user-name').textContent()).toContain('pat.north@contoso.example');
    expect(await page.getByTestId('user-role').textContent()).toBe('Planner');
    for (const id of NORTH) await page.getByTestId(`store-card-${id}`).waitFor();
    await page.getByTestId('store-picker-toggle').click();
    const options = page.getByTestId('store-picker').locator('input[type=checkbox][data-testid^="store-option-"]');
    expect(await Promise.all((await options.all()).map((o) => o.getAttribute('value')))).toEqual(NORTH);
    for (const id of NORTH) expect(await page.getByTestId(`store-option-${id}`).isChecked()).toBe(true);
    for (const id of SOUTH) expect(await page.getByTestId(`store-option-${id}`).count()).toBe(0);
    expect(await page.locator('[data-testid^="store-card-"]').count()).toBe(NORTH.length);
    // Every card shows its freshness, its accuracy and a table of its 20 items.
    for (const id of NORTH) {
      const card = page.getByTestId(`store-card-${id}`);
      await card.getByTestId('items-table').waitFor();
      expect(await card.getByTestId('freshness').textContent()).toMatch(/^Generated /);
      expect(await card.getByTestId('accuracy-badge').textContent()).toMatch(/SMAPE|RMSSE/);
      expect(await card.getByTestId('items-table').locator('tbody tr').count()).toBe(ITEMS);
    }
    // The store list of the API agrees: the session is Pat's.
    const stores = (await (await page.request.get(`${web}/api/stores`)).json()) as { stores: { store: string }[] };
    expect(stores.stores.map((s) => s.store).sort()).toEqual(NORTH);
  });

  test('filtering to two stores puts them in the URL, and the URL alone restores the view', async () => {
    await page.goto(`${web}/?stores=all&view=stores`);
    await page.getByTestId('store-card-103').getByTestId('items-table').waitFor();
    await page.getByTestId('store-picker-toggle').click();
    // Search narrows the list; then untick the third store.
    await page.getByTestId('store-search').fill('103');
    await expect.poll(() => page.locator('[data-testid^="store-option-"]').count()).toBe(1);
    await page.getByTestId('store-option-103').uncheck();
    await page.getByTestId('store-search').fill('');
    await page.keyboard.press('Escape');
    await expect.poll(() => new URL(page.url()).searchParams.get('stores')).toBe('101,102');
    await expect.poll(() => page.getByTestId('store-card-103').count()).toBe(0);
    await page.getByTestId('store-card-102').getByTestId('items-table').waitFor();
    expect(await page.getByTestId('store-picker-toggle').textContent()).toBe('Stores: 2 of 3 selected');
    expect(await page.getByTestId('selected-stores').locator('li').allTextContents()).toEqual([expect.stringContaining('101'), expect.stringContaining('102')]);

    // A shared link opened in a new tab shows the same two stores (the address wins over what was remembered).
    const shared = await context.newPage();
    await shared.goto(page.url());
    await shared.getByTestId('store-card-101').getByTestId('items-table').waitFor();
    await shared.getByTestId('store-card-102').getByTestId('items-table').waitFor();
    expect(await shared.locator('[data-testid^="store-card-"]').count()).toBe(2);
    await shared.close();
  });

  test('refreshing one store follows the run to the end and shows the new forecast without a reload', async () => {
    await page.goto(`${web}/?stores=101,102&view=stores`);
    const card = page.getByTestId('store-card-101');
    await card.getByTestId('items-table').waitFor();
    const firstDayColumn = (): Promise<string | null> => card.getByTestId('items-table').locator('thead th').nth(2).textContent();
    const other = page.getByTestId('store-card-102');
    const before = {
      summary: (await card.getByTestId('chart-summary').textContent()) ?? '',
      firstDay: (await firstDayColumn()) ?? '',
      generatedAt: await card.getByTestId('freshness').locator('time').getAttribute('datetime'),
      otherGeneratedAt: await other.getByTestId('freshness').locator('time').getAttribute('datetime'),
    };
    expect(before.generatedAt).not.toBeNull();
    // The forecast starts the day after the newest sales; that day's sales now arrive for store 101.
    const listed = (await (await page.request.get(`${web}/api/stores`)).json()) as { stores: { store: string; freshness: { forecastFrom: string | null } }[] };
    const newDay = listed.stores.find((s) => s.store === '101')?.freshness.forecastFrom ?? '';
    expect(newDay).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(before.firstDay).toContain(shortDay(newDay));
    expect(await uploadSalesDay('101', newDay, 25)).toEqual(['101']);
    await page.evaluate('window.__sameDocument = true');

    const pressed = Date.now();
    const accepted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/stores/101/refresh');
    await card.getByTestId('refresh-button').click();
    // Chromium names the dashboard in Origin; through the web server the API must take it as its own
    // (npm start sets FOREACT_APP_ORIGIN), since a foreign Origin is refused even with the header.
    const response = await accepted;
    expect(await response.request().headerValue('origin')).toBe(new URL(web).origin);
    expect(response.status()).toBe(202);
    const snapshots: StageSnapshot[] = [];
    const order = ['queued', 'dispatched', 'training', 'publishing'];
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
      const snap = await progressSnapshot(page, '101');
      const last = snapshots[snapshots.length - 1];
      if (snap.stages.length > 0 && JSON.stringify(snap) !== JSON.stringify(last)) snapshots.push(snap);
      if (snap.summary.startsWith('Refresh finished') || snap.summary.startsWith('Refresh failed')) break;
      await page.waitForTimeout(100);
    }
    const final = snapshots[snapshots.length - 1];
    expect(final?.summary, JSON.stringify(snapshots, null, 1)).toMatch(/^Refresh finished in \d+ s\.$/);
    // While running: a current stage with the elapsed time; stages only move forward.
    const running = snapshots.filter((s) => s.stages.some((st) => st.state === 'current'));
    expect(running.length, JSON.stringify(snapshots, null, 1)).toBeGreaterThan(0);
    for (const s of running) expect(s.summary).toMatch(/\(step [1-4] of 4\).*, \d+ s$/);
    const positions = running.map((s) => order.indexOf(s.stages.find((st) => st.state === 'current')?.stage ?? ''));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(final?.stages.map((s) => s.stage)).toEqual(order);
    expect(final?.stages.every((s) => s.state === 'done')).toBe(true);

    // The new forecast replaces the old one in place: newer generation time, higher numbers.
    await expect.poll(async () => card.getByTestId('freshness').locator('time').getAttribute('datetime'), { timeout: 20_000 }).not.toBe(before.generatedAt);
    const generatedAt = (await card.getByTestId('freshness').locator('time').getAttribute('datetime')) ?? '';
    expect(Date.parse(generatedAt)).toBeGreaterThanOrEqual(pressed - 1000);
    // The new forecast starts the day after the new sales, and the window on screen moves with it.
    await expect.poll(firstDayColumn).toContain(shortDay(addDays(newDay, 1)));
    expect(await card.getByTestId('chart-summary').textContent()).not.toBe(before.summary);
    expect(await page.evaluate<unknown>('window.__sameDocument')).toBe(true);
    expect(await card.getByTestId('refresh-button').isEnabled()).toBe(true);
    expect(await card.getByTestId('refresh-error').isHidden()).toBe(true);
    expect(await card.getByTestId('stale-flag').count()).toBe(0);
    // The other store was not refreshed: same forecast, shown over the shared window.
    expect(await other.getByTestId('freshness').locator('time').getAttribute('datetime')).toBe(before.otherGeneratedAt);
    await other.getByTestId('items-table').waitFor();
    // The finished indicator steps aside after a few seconds.
    await expect.poll(() => card.getByTestId('refresh-progress').isHidden(), { timeout: 10_000 }).toBe(true);
  }, 150_000);

  test('transport demand: the heat map covers the selected stores and the CSV download is the API’s, with the numbers on screen', async () => {
    await page.goto(`${web}/?stores=101,102&view=stores`);
    await page.getByTestId('store-card-101').getByTestId('items-table').waitFor();
    // The tabs follow the keyboard pattern: arrow right moves to the transport view.
    await page.getByTestId('tab-stores').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('tab-transport').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => new URL(page.url()).searchParams.get('view')).toBe('transport');
    const table = page.getByTestId('transport-table');
    await table.waitFor();
    expect(await page.getByTestId('transport-view').isVisible()).toBe(true);
    const rows = table.locator('tbody tr[data-store]');
    expect(await Promise.all((await rows.all()).map((tr) => tr.getAttribute('data-store')))).toEqual(['101', '102']);
    const onScreen = new Map<string, { cells: string[]; total: string }>();
    for (const id of ['101', '102']) {
      const texts = await table.locator(`tbody tr[data-store="${id}"] td`).allTextContents();
      expect(texts).toHaveLength(DAYS + 1);
      onScreen.set(id, { cells: texts.slice(0, DAYS), total: texts[DAYS] ?? '' });
    }

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('transport-csv').click()]);
    // The API's own CSV with the view's parameters (issue 21): the default service level and unit.
    expect(download.suggestedFilename()).toMatch(/^transport_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}_p50_units\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    const [header = '', ...lines] = csv.trimEnd().split(/\r?\n/);
    const columns = header.split(',');
    expect(columns.slice(0, 5)).toEqual(['date', 'store', 'units', 'p10', 'p90']);
    expect(columns).toEqual(expect.arrayContaining(['level', 'unit', 'value']));
    const at = (name: string): number => columns.indexOf(name);
    const parsed = lines.map((line) => {
      const cells = line.split(',');
      return { date: cells[0] ?? '', store: cells[1] ?? '', units: Number(cells[at('units')]), p10: Number(cells[at('p10')]), p90: Number(cells[at('p90')]), value: Number(cells[at('value')]), level: cells[at('level')], unit: cells[at('unit')], overLimit: cells[at('over_limit')] === '1' };
    });
    expect(new Set(parsed.map((r) => `${r.level} ${r.unit}`))).toEqual(new Set(['p50 units']));
    expect(parsed.some((r) => r.overLimit)).toBe(true);
    // Columns are consecutive days from the window's first day (named in the file); a store without a
    // forecast for a day shows "–" there and has no line in the file (store 102 was not refreshed after
    // store 101 moved the window on by a day, so its forecast ends a day before the window does).
    const from = /^transport_(\d{4}-\d{2}-\d{2})_/.exec(download.suggestedFilename())?.[1] ?? '';
    const columnDate = (j: number): string => addDays(from, j);
    let cellsWithValue = 0;
    for (const id of ['101', '102']) {
      const screen = onScreen.get(id);
      const mine = new Map(parsed.filter((r) => r.store === id).map((r) => [r.date, r]));
      const expected = Array.from({ length: DAYS }, (_, j) => {
        const row = mine.get(columnDate(j));
        if (row === undefined) return '–';
        // A day above the store's receiving limit (the sample store file's) is marked on screen too.
        return row.overLimit ? `▲ ${screenUnits(row.value)} (above the receiving limit)` : screenUnits(row.value);
      });
      expect(expected).toEqual(screen?.cells);
      for (const r of mine.values()) {
        expect(r.p10).toBeLessThanOrEqual(r.units);
        expect(r.p90).toBeGreaterThanOrEqual(r.units);
      }
      expect(screenUnits([...mine.values()].reduce((sum, r) => sum + r.value, 0))).toBe(screen?.total);
      cellsWithValue += expected.filter((t) => t !== '–').length;
    }
    expect(lines).toHaveLength(cellsWithValue);
    expect(cellsWithValue).toBeGreaterThanOrEqual(2 * DAYS - 2);
    expect(new Set(parsed.map((r) => r.store))).toEqual(new Set(['101', '102']));
  });

  test('a link naming a store of another region shows the access notice, asks nothing about it and leaves the API at 403', async () => {
    apiCalls.length = 0;
    await page.goto(`${web}/?stores=101,201&view=stores`);
    const notice = page.getByTestId('error-banner').locator('[data-notice="forbidden-store"]');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('You do not have access to store 201');
    expect(await notice.getAttribute('role')).toBe('alert');
    await page.getByTestId('store-card-101').getByTestId('items-table').waitFor();
    expect(await page.getByTestId('store-card-201').count()).toBe(0);
    expect(apiCalls.filter((c) => /stores=[^&]*201|\/stores\/201/.test(decodeURIComponent(c)))).toEqual([]);

    // Only the forbidden store: the notice, and an empty selection explained in words.
    await page.goto(`${web}/stores/201`);
    await page.getByTestId('error-banner').locator('[data-notice="forbidden-store"]').waitFor();
    expect(await page.locator('[data-testid^="store-card-"]').count()).toBe(0);
    expect(await page.getByTestId('stores-status').textContent()).toMatch(/No store selected/);

    // The API itself refuses, with Pat's session, every way of reaching store 201.
    const from = new Date().toISOString().slice(0, 10);
    expect((await page.request.get(`${web}/api/forecasts?stores=201&from=${from}&to=${from}`)).status()).toBe(403);
    expect((await page.request.get(`${web}/api/transport?stores=101,201&from=${from}&to=${from}`)).status()).toBe(403);
    expect((await page.request.post(`${web}/api/stores/201/refresh`, { headers: { 'X-Requested-With': 'foreact' } })).status()).toBe(403);
  });

  test('axe-core finds no serious or critical accessibility violations on the main views', async () => {
    const axeSource = readFileSync(load.resolve('axe-core/axe.min.js'), 'utf8');
    type Violation = { id: string; impact: string | null; help: string; nodes: string[] };
    const audit = async (): Promise<Violation[]> => {
      await page.addScriptTag({ content: axeSource });
      const json = await page.evaluate<string>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))))`);
      return (JSON.parse(json) as Violation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    };
    await page.goto(`${web}/?stores=101,102&view=stores`);
    await page.getByTestId('store-card-102').getByTestId('items-table').waitFor();
    await page.getByTestId('store-picker-toggle').click(); // the open picker is part of the view too
    expect(await audit()).toEqual([]);
    await page.goto(`${web}/?stores=101,102&view=transport`);
    await page.getByTestId('transport-table').waitFor();
    expect(await audit()).toEqual([]);
  });

  // Issue 12 §3: drivers known in advance are shown where they fall. Runs once the API sends `markers`
  // (the sample data of `npm start` seeds promotions, Sunday closures in one region and a holiday).
  test('the planner sees a promotion and a closed day, and last week’s forecast against actual, on the store cards; the console stays clean', async () => {
    type Marker = { date: string; kind: 'closed' | 'promotion' | 'event'; label: string; items?: string[] };
    const fresh = await browser!.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1366, height: 900 } });
    const consoleErrors: string[] = [];
    try {
      const p = await fresh.newPage();
      p.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
      });
      p.on('pageerror', (e) => consoleErrors.push(e.message));
      // Signed in as the admin through the local sign-in page, so every region (and its closures) is visible.
      await p.goto(`${web}/.auth/login/aad`);
      await p.getByRole('link', { name: /Ada — admin/ }).click();
      await p.getByTestId('user-name').waitFor();
      const listed = (await (await p.request.get(`${web}/api/stores`)).json()) as { stores: { store: string; freshness: { forecastFrom: string | null } }[] };
      const ids = listed.stores.filter((s) => s.freshness.forecastFrom !== null).map((s) => s.store).slice(0, 50);
      const body = (await (await p.request.get(`${web}/api/forecasts?stores=${ids.join(',')}&historyDays=0`)).json()) as { stores: { store: string; markers?: Marker[] }[] };
      const withMarkers = body.stores.filter((s) => Array.isArray(s.markers) && s.markers.length > 0);
      // The sample data has a promotion calendar, closures and a holiday: a store without markers is a failure.
      expect(withMarkers.length, 'stores with markers in /api/forecasts').toBeGreaterThan(0);
      // The cards share one window: from the latest first forecast day of the selected stores, 28 days.
      const chosen = withMarkers.map((s) => s.store);
      const from = chosen.map((id) => listed.stores.find((s) => s.store === id)?.freshness.forecastFrom ?? '').sort().pop() ?? '';
      const to = addDays(from, DAYS - 1);
      const find = (kind: Marker['kind']): { store: string; marker: Marker } | undefined => {
        for (const s of withMarkers) {
          const marker = s.markers!.find((m) => m.kind === kind && m.date >= from && m.date <= to);
          if (marker) return { store: s.store, marker };
        }
        return undefined;
      };
      const promotion = find('promotion');
      const closed = find('closed');
      expect(promotion, 'a promotion within the first 28 days of some store').toBeDefined();
      expect(closed, 'a closed day within the first 28 days of some store').toBeDefined();

      await p.goto(`${web}/?stores=${chosen.join(',')}&days=${DAYS}&view=stores`);
      for (const { store, marker } of [promotion!, closed!]) {
        const card = p.getByTestId(`store-card-${store}`);
        await card.getByTestId('items-table').waitFor();
        // `npm start` forecasts a week back and then ingests that week: every card says how it did (6 days in
        // a store closed on Sundays: a closed day sold nothing to compare).
        expect(await card.getByTestId('realised-accuracy').textContent()).toMatch(/^Last [67] days: WAPE \d+ %, [0-7] of [67] inside the band$/);
        // Listed in words under the chart…
        const listedDay = card.getByTestId('chart-markers').locator(`li[data-date="${marker.date}"]`);
        expect(await listedDay.getAttribute('data-kinds')).toContain(marker.kind);
        expect(await listedDay.textContent()).toContain(marker.kind === 'closed' ? marker.label || 'Closed' : marker.label);
        expect(await listedDay.isVisible()).toBe(true);
        // …and on the chart's x axis, with the same text as its tooltip.
        const glyph = card.locator(`.chart-marker[data-date="${marker.date}"]`);
        expect(await glyph.count()).toBe(1);
        expect(await glyph.getAttribute('title')).toContain(marker.label);
      }
      // The closed day reads "Closed" in the items table (when it is one of the table's first days) and in
      // the transport view, never as a 0-unit day.
      const closedCard = p.getByTestId(`store-card-${closed!.store}`);
      const closedCells = closedCard.getByTestId('items-table').locator(`td[data-date="${closed!.marker.date}"]`);
      for (const text of await closedCells.allTextContents()) expect(text).toBe('Closed');
      // The promoted items carry the promotion badge.
      const promoCard = p.getByTestId(`store-card-${promotion!.store}`);
      const promoted = promotion!.marker.items;
      const badgeRow = promoCard.getByTestId('items-table').locator(promoted ? `tr[data-item="${promoted[0]}"]` : 'tbody tr').first();
      if ((await badgeRow.count()) > 0) expect(await badgeRow.getAttribute('data-promotion')).toContain(promotion!.marker.date);
      await p.getByTestId('tab-transport').click();
      const cell = p.getByTestId('transport-table').locator(`tr[data-store="${closed!.store}"] td.closed[data-date="${closed!.marker.date}"]`);
      await cell.waitFor();
      expect(await cell.textContent()).toBe('Closed');
      expect(consoleErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  }, 60_000);

  test('signing out ends the session', async () => {
    await page.goto(`${web}/?stores=101&view=stores`);
    await page.getByTestId('store-card-101').waitFor();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('signed-out').waitFor();
    expect(await page.getByTestId('sign-in').isVisible()).toBe(true);
    expect(await page.getByTestId('user-name').count()).toBe(0);
    expect((await page.request.get(`${web}/api/stores`)).status()).toBe(401);
  });

  test('no script errors on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
