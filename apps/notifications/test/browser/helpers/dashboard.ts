/// <reference lib="dom" />
// What the browser tests share: the dashboard built once per file into a temp dir, the app on
// port 0 serving it, Debian's chromium launched once per file (closed in afterAll), and what a
// person sees on the page. Without a browser a file is skipped with a line saying so, except under
// CI=true, where it fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, launchChromium, withTimeout } from '@socketlab/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, onTestFinished } from 'vitest';
import { buildWeb } from '../../../scripts/build-web.ts';
import type { NotifyApp, NotifyAppOptions } from '../../../src/server/app.ts';
import { startTestApp } from '../../helpers/app.ts';

export const CI = process.env.CI === 'true';
/** How long one step on a page may take. */
export const WAIT_MS = CI ? 15_000 : 6_000;

/** True when this machine cannot run the browser tests (and is not CI): the file is skipped. */
export function skipWithoutBrowser(file: string): boolean {
  if (chromiumPath() || CI) return false;
  console.log(`${file}: skipped, no browser: install Debian's chromium (apt-get install chromium)`);
  return true;
}

let browser: Browser | undefined;
let webDir: Promise<string> | undefined;
afterAll(async () => {
  const [b, dir] = [browser, webDir];
  browser = undefined;
  webDir = undefined;
  if (b !== undefined) await withTimeout(b.close(), 'the browser to close', WAIT_MS);
  if (dir !== undefined) await rm(await dir, { recursive: true, force: true });
});

/** Starts the app serving the dashboard built into a temp dir (once per file). */
export async function startPageApp(options: NotifyAppOptions = {}): Promise<NotifyApp> {
  webDir ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socketlab-notify-web-'));
    await buildWeb(dir);
    return dir;
  })();
  return startTestApp({ webDir: await webDir, ...options });
}

/** A fresh browser context (its own storage) for pages; closed when the test ends. */
export async function newContext(): Promise<BrowserContext> {
  browser ??= await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  onTestFinished(() => context.close());
  return context;
}

/** Opens the dashboard as `user` in `context` (the link the CLI prints); resolves once it is connected. */
export async function openDashboard(
  app: NotifyApp,
  user: string,
  context?: BrowserContext,
): Promise<Page> {
  const page = await (context ?? (await newContext())).newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  // a policy violation is only a console message: made a failure, so the CSP and the page agree
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) errors.push(new Error(message.text()));
  });
  onTestFinished(() => {
    if (errors.length > 0) throw new Error(`the page threw: ${errors.map(String).join('; ')}`);
  });
  await page.goto(`${app.url}/#token=${app.issueToken(user).token}`);
  await page
    .getByRole('status')
    .filter({ hasText: /^Connected/ })
    .waitFor();
  return page;
}

/** The list's titles, newest first. */
export function titles(page: Page): Promise<string[]> {
  return page.$$eval('#list li .title', (items) => items.map((item) => item.textContent ?? ''));
}
