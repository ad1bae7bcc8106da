/// <reference lib="dom" />
// What the page tests share: the page built once per file into a temp dir, Debian's chromium
// launched once per file (closed in afterAll), and a receiver serving that page. Without a
// browser a file is skipped with a line saying so, except under CI=true, where it fails.
import { pageTestSuite } from '@socketlab/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../../scripts/build-web.ts';
import type { WebReceiverOptions } from '../../../src/web/index.ts';
import { startTestReceiver, type TestReceiver, WAIT_MS } from '../helpers.ts';

export { WAIT_MS } from '../helpers.ts';

const suite = pageTestSuite(buildWeb, 'ft-web', { stepTimeoutMs: WAIT_MS });

/** True when this machine cannot run the browser tests (and is not CI): the file is skipped. */
export const skipWithoutBrowser = (file: string): boolean => suite.skipWithoutBrowser(file);
/** The page, built with scripts/build-web.ts into a temp dir (once per file). */
export const builtPage = (): Promise<string> => suite.builtPage();
/** The shared browser (launched on first use). */
export const sharedBrowser = () => suite.browser();

/** A receiver serving the built page; closed when the test ends. */
export async function startPageReceiver(
  options: Partial<WebReceiverOptions> = {},
): Promise<TestReceiver> {
  return startTestReceiver({ webRoot: await builtPage(), ...options });
}

/** A fresh browser context with one page open at `url`, ready; closed when the test ends. */
export async function openPage(url: string): Promise<{ page: Page; context: BrowserContext }> {
  const opened = await suite.openPage();
  await opened.page.goto(url);
  await opened.page.locator('body[data-ready="true"]').waitFor();
  return opened;
}

/** The upload row of the file named `name`. */
export function uploadRow(page: Page, name: string) {
  return page.locator('#uploads li', { has: page.locator('.name', { hasText: name }) });
}

/**
 * Waits until the upload of `name` shows `state` (data-state); `timeout` for a state a whole
 * upload at a paced rate must reach first.
 */
export async function waitForState(
  page: Page,
  name: string,
  state: string,
  timeout?: number,
): Promise<void> {
  await page
    .locator(`#uploads li[data-state="${state}"]`, { hasText: name })
    .waitFor(timeout === undefined ? {} : { timeout });
}
