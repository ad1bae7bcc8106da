/// <reference lib="dom" />
// What the browser tests share: the page built once per file into a temp dir, the app started on
// port 0 serving it, Debian's chromium launched once per file (closed in afterAll), and steps a
// person takes on the page (sign in, send, read the messages). Without a browser a file is
// skipped with a line saying so, except under CI=true, where it fails.
import { pageTestSuite } from '@socketlab/testkit';
import type { BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../../scripts/build-web.ts';
import type { ChatApp, ChatAppOptions } from '../../../src/server/app.ts';
import { startTestApp } from '../../helpers/chat.ts';

export const CI = process.env.CI === 'true';
/** How long one step on a page may take. */
export const WAIT_MS = CI ? 15_000 : 6_000;
const suite = pageTestSuite(buildWeb, 'chat', { stepTimeoutMs: WAIT_MS });

/** True when this machine cannot run the browser tests (and is not CI): the file is skipped. */
export const skipWithoutBrowser = (file: string): boolean => suite.skipWithoutBrowser(file);

/** Starts the app on 127.0.0.1, port 0, serving the built page; closed when the test ends. */
export async function startPageApp(options: ChatAppOptions = {}): Promise<ChatApp> {
  return startTestApp({ webRoot: await suite.builtPage(), ...options });
}

/** A fresh browser context (its own sessionStorage and network) with one page; closed when the test ends. */
export const openPage = (): Promise<{ page: Page; context: BrowserContext }> => suite.openPage();

/** Opens the app and signs in as `nick`; resolves once the page lists `nick` as present. */
export async function signIn(
  app: ChatApp,
  nick: string,
): Promise<{ page: Page; context: BrowserContext }> {
  const opened = await openPage();
  await opened.page.goto(app.url);
  await opened.page.getByLabel('Nickname').fill(nick);
  await opened.page.getByRole('button', { name: 'Enter the chat' }).click();
  await opened.page.locator('#presence li', { hasText: nick }).waitFor();
  return opened;
}

/** Types `text` in the message box and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByLabel(/^Message/);
  await box.fill(text);
  await box.press('Enter');
}

/** Waits until the shown room has a message containing `text`. */
export async function waitForMessage(page: Page, text: string): Promise<void> {
  await page.locator('#messages li', { hasText: text }).first().waitFor();
}

/** The shown room's messages as "nick: text" (or "* nick text"), oldest first, time left out. */
export function messagesOf(page: Page): Promise<string[]> {
  return page.$$eval('#messages li', (items) =>
    items.map((item) =>
      `${item.querySelector('.from')?.textContent ?? ''} ${item.querySelector('.text')?.textContent ?? ''}`.trim(),
    ),
  );
}

/** The room list's button for `room`. */
export function roomButton(page: Page, room: string) {
  return page.locator(`#room-list button[data-room="${room}"]`);
}
