/// <reference lib="dom" />
// What the page tests share: the page built once per file into a temp dir, Debian's chromium
// launched once per file (closed in afterAll), and a receiver serving that page. Without a
// browser a file is skipped with a line saying so, except under CI=true, where it fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, launchChromium, withTimeout } from '@socketlab/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, onTestFinished } from 'vitest';
import { buildWeb } from '../../../scripts/build-web.ts';
import type { WebReceiverOptions } from '../../../src/web/index.ts';
import { startTestReceiver, type TestReceiver, WAIT_MS } from '../helpers.ts';

export { WAIT_MS } from '../helpers.ts';

/** True when this machine cannot run the browser tests (and is not CI): the file is skipped. */
export function skipWithoutBrowser(file: string): boolean {
  if (chromiumPath() || process.env.CI === 'true') return false;
  console.log(`${file}: skipped, no browser: install Debian's chromium (apt-get install chromium)`);
  return true;
}

let browser: Browser | undefined;
let webRoot: Promise<string> | undefined;
afterAll(async () => {
  const [b, root] = [browser, webRoot];
  browser = undefined;
  webRoot = undefined;
  if (b !== undefined) await withTimeout(b.close(), 'the browser to close', WAIT_MS);
  if (root !== undefined) await rm(await root, { recursive: true, force: true });
});

/** The page, built with scripts/build-web.ts into a temp dir (once per file). */
export function builtPage(): Promise<string> {
  webRoot ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socketlab-ft-web-page-'));
    await buildWeb(dir);
    return dir;
  })();
  return webRoot;
}

/** A receiver serving the built page; closed when the test ends. */
export async function startPageReceiver(
  options: Partial<WebReceiverOptions> = {},
): Promise<TestReceiver> {
  return startTestReceiver({ webRoot: await builtPage(), ...options });
}

/** The shared browser (launched on first use). */
export async function sharedBrowser(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

/** A fresh browser context with one page open at `url`; closed when the test ends. */
export async function openPage(url: string): Promise<{ page: Page; context: BrowserContext }> {
  const context = await (await sharedBrowser()).newContext({
    viewport: { width: 1000, height: 640 },
  });
  onTestFinished(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) errors.push(new Error(message.text()));
  });
  onTestFinished(() => {
    if (errors.length > 0) {
      throw new Error(`the page threw or was refused: ${errors.map(String).join('; ')}`);
    }
  });
  await page.goto(url);
  await page.locator('body[data-ready="true"]').waitFor();
  return { page, context };
}

/** The upload row of the file named `name`. */
export function uploadRow(page: Page, name: string) {
  return page.locator('#uploads li', { has: page.locator('.name', { hasText: name }) });
}

/** Waits until the upload of `name` shows `state` (data-state). */
export async function waitForState(page: Page, name: string, state: string): Promise<void> {
  await page.locator(`#uploads li[data-state="${state}"]`, { hasText: name }).waitFor();
}
