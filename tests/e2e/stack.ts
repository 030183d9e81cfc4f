import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { ensureDashboardBuilt, launchChromium } from '../../scripts/chromium.js';
import type * as StartModule from '../../scripts/start.js';

const ROOT = resolve(__dirname, '../..');
const load = createRequire(__filename);
const dist = (path: string): string => join(ROOT, 'dist', path);

export interface ChromiumOnStack {
  stack: StartModule.ForeactStack;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The dashboard's address (the local Static Web Apps emulation in front of the API). */
  web: string;
}

/**
 * `npm start`'s stack from dist/ (the dashboard built when its bundle is older than its sources) and a page
 * in headless Chromium on it; the page's uncaught errors go to `pageErrors`. What started is stopped again
 * when a later step fails, so a failed start leaves nothing running.
 */
export async function startChromiumOnStack(pageErrors: string[], contextOptions: BrowserContextOptions = {}): Promise<ChromiumOnStack> {
  if (!existsSync(dist('scripts/start.js')) || !existsSync(dist('functions'))) throw new Error('dist/ is missing: compile first (npx tsc -p tsconfig.build.json; npm test does).');
  ensureDashboardBuilt(ROOT, 'capture');
  const { startForeact } = load(dist('scripts/start.js')) as typeof StartModule;
  const quiet = process.env.FOREACT_E2E_VERBOSE ? undefined : (): void => undefined;
  const stack = await startForeact({ root: ROOT, apiPort: 0, webPort: 0, azuritePorts: { blob: 0, queue: 0, table: 0 }, ...(quiet ? { log: quiet } : {}) });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1366, height: 900 }, ...contextOptions });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { stack, browser, context, page, web: stack.webUrl };
  } catch (e) {
    await browser?.close();
    await stack.stop();
    throw e;
  }
}
