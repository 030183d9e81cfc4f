/**
 * `npm run screenshots`: starts the local stack (as `npm start` does, on free ports, Azurite in memory),
 * signs in as a planner in headless Chromium and saves PNGs of the dashboard's main views at laptop and
 * tablet sizes into docs/screenshots/ (linked from docs/dashboard.md): sign-in, overview, a store card, the
 * store picker, transport, a refresh under way, and the planner's loop (Needs attention, a store opened at a
 * day, an override with its history, transport at p90 in pallets).
 *
 * Chromium: Debian's /usr/bin/chromium, or CHROMIUM_PATH.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, ensureDashboardBuilt, launchChromium } from './chromium.js';
import { findRepoRoot } from './local-host/app-files.js';
import { startForeact } from './start.js';

const SIZES = [
  { name: 'laptop', width: 1366, height: 900 },
  { name: 'tablet', width: 820, height: 1180 },
] as const;

/** Waits until every selected store card has drawn its chart and table. */
async function cardsReady(page: Page, stores: readonly string[]): Promise<void> {
  for (const id of stores) {
    const card = page.getByTestId(`store-card-${id}`);
    await card.getByTestId('items-table').waitFor();
    await card.locator('[data-testid="store-chart"] canvas').first().waitFor();
  }
  await page.waitForTimeout(300); // let the chart's resize settle
}

async function shoot(browser: Browser, web: string, out: string, size: (typeof SIZES)[number], refreshStore: string, log: (m: string) => void): Promise<string[]> {
  const context = await browser.newContext({ viewport: { width: size.width, height: size.height }, locale: 'en-US', timezoneId: 'UTC', deviceScaleFactor: 1 });
  const page = await context.newPage();
  const saved: string[] = [];
  const file = (view: string): string => {
    const path = join(out, `${view}-${size.name}.png`);
    saved.push(path);
    return path;
  };
  try {
    // Signed out: what a planner sees before signing in.
    await page.goto(`${web}/`);
    await page.getByTestId('signed-out').waitFor();
    await page.screenshot({ path: file('sign-in') });

    await page.goto(`${web}/.auth/login/aad?user=pat`);
    await page.goto(`${web}/?stores=101,102&view=stores`);
    await cardsReady(page, ['101', '102']);
    await page.screenshot({ path: file('overview') });

    // One store card in full: header, freshness, accuracy, chart and items table.
    await page.getByTestId('store-card-101').screenshot({ path: file('store-card') });

    // The store picker open, with its search.
    await page.getByTestId('store-picker-toggle').click();
    await page.getByTestId('store-option-101').waitFor();
    await page.screenshot({ path: file('store-picker') });
    await page.keyboard.press('Escape');

    await page.goto(`${web}/?stores=101,102,103&view=transport`);
    await page.getByTestId('transport-table').waitFor();
    await page.screenshot({ path: file('transport') });

    // Issue 21: what needs attention (the first thing after sign-in), a store opened at that day, Pat's
    // seeded override with its history, and the transport view at p90 in pallets.
    await page.goto(`${web}/`);
    const attention = page.getByTestId('attention-panel');
    await attention.getByTestId('attention-list').waitFor();
    await attention.screenshot({ path: file('attention') });
    const first = attention.getByTestId('attention-entry').first();
    const focused = (await first.getAttribute('data-store')) ?? '101';
    await first.getByTestId('attention-open').click();
    await page.getByTestId(`store-card-${focused}`).locator('th.day-focus').waitFor();
    await cardsReady(page, [focused]);
    await page.screenshot({ path: file('store-at-day') });

    await page.goto(`${web}/?stores=101&days=14`);
    await cardsReady(page, ['101']);
    const adjusted = page.getByTestId('store-card-101');
    await adjusted.getByTestId('overrides-toggle').click();
    await adjusted.getByTestId('overrides-tab-history').click();
    await adjusted.getByTestId('history-table').waitFor();
    await adjusted.screenshot({ path: file('override-history') });

    await page.goto(`${web}/?stores=101,102,103&view=transport&level=p90&unit=pallets&days=14`);
    await page.getByTestId('calibration').waitFor();
    await page.getByTestId('transport-view').screenshot({ path: file('transport-p90-pallets') });

    // A refresh on its way: caught while a stage is current.
    await page.goto(`${web}/?stores=${refreshStore}&view=stores`);
    await cardsReady(page, [refreshStore]);
    const card = page.getByTestId(`store-card-${refreshStore}`);
    await card.getByTestId('refresh-button').click();
    await card.locator('[data-testid="refresh-progress"] li[data-state="current"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: file('refresh-in-progress') });
    await card.getByTestId('refresh-summary').filter({ hasText: /^Refresh (finished|failed)/ }).waitFor({ timeout: 120_000 });
    log(`${size.name}: refresh of ${refreshStore}: ${(await card.getByTestId('refresh-summary').textContent()) ?? ''}`);
  } finally {
    await context.close();
  }
  return saved;
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  const root = findRepoRoot(__dirname);
  const out = join(root, 'docs/screenshots');
  mkdirSync(out, { recursive: true });
  ensureDashboardBuilt(root);
  const log = (m: string): void => console.log(`screenshots: ${m}`);
  const stack = await startForeact({ root, apiPort: 0, webPort: 0, azuritePorts: { blob: 0, queue: 0, table: 0 }, log });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const saved: string[] = [];
    // A different store per size: a refresh per store is followed to its end before the next.
    for (const [i, size] of SIZES.entries()) saved.push(...(await shoot(browser, stack.webUrl, out, size, ['101', '102'][i] ?? '103', log)));
    for (const path of saved) log(`saved ${path.slice(root.length + 1)}`);
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`screenshots: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
