// Two people on the chat page in Debian's chromium (playwright-core): they sign in, see each other
// present, chat both ways (a /me action too), see each other typing, and one sees an unread count
// on the lobby while reading another room. SCREENSHOT=1 also saves the page to docs/screenshot.png
// (the picture in the README), so CI never rewrites it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  messagesOf,
  roomButton,
  send,
  signIn,
  skipWithoutBrowser,
  startPageApp,
  waitForMessage,
} from './helpers/chat-page.ts';

describe.skipIf(skipWithoutBrowser('page.test.ts'))('the chat page, two people', () => {
  it('shows presence, messages both ways, typing and unread counts', async () => {
    const app = await startPageApp();
    const { page: ann } = await signIn(app, 'ann');
    const { page: bob } = await signIn(app, 'bob');
    // Each sees the other arrive in the lobby.
    await ann.locator('#presence li', { hasText: 'bob' }).waitFor();
    await expect(bob.locator('#presence li').allTextContents()).resolves.toEqual([
      'ann',
      'bob (you)',
    ]);
    await expect(roomButton(ann, 'lobby').getAttribute('aria-label')).resolves.toMatch(/2 people/);

    // Every input has a label, and every button a name.
    const unlabelled = await ann.$$eval('input, button', (elements) =>
      elements
        .filter((e) =>
          e instanceof HTMLInputElement
            ? (e.labels?.length ?? 0) === 0
            : (e.getAttribute('aria-label') ?? e.textContent ?? '').trim() === '',
        )
        .map((e) => e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await send(ann, 'hello bob');
    await waitForMessage(bob, 'hello bob');
    await send(bob, 'hi ann');
    await send(bob, '/me waves');
    await waitForMessage(ann, 'waves');
    expect(await messagesOf(ann)).toEqual(['ann: hello bob', 'bob: hi ann', '* bob waves']);
    expect(await messagesOf(bob)).toEqual(await messagesOf(ann));
    // Each message carries its time, machine-readable.
    const datetime = await ann.locator('#messages li time').first().getAttribute('datetime');
    expect(Number.isNaN(Date.parse(datetime ?? ''))).toBe(false);

    // Typing shows on the other page, and goes when the message is sent.
    await bob.getByLabel(/^Message/).pressSequentially('still there', { delay: 150 });
    await ann.locator('#typing', { hasText: 'bob is typing…' }).waitFor();
    await bob.getByLabel(/^Message/).press('Enter');
    await waitForMessage(ann, 'still there');
    await ann.waitForFunction(() => document.getElementById('typing')?.textContent === '');

    // Ann opens another room (typed, then Enter); bob's next lobby message is unread for her.
    await ann.getByLabel('Join or create a room').fill('dev');
    await ann.getByLabel('Join or create a room').press('Enter');
    await ann.locator('#room-title', { hasText: '#dev' }).waitFor();
    expect(await messagesOf(ann)).toEqual([]);
    await send(bob, 'are you there?');
    await send(bob, 'ann?');
    await roomButton(ann, 'lobby').locator('.unread', { hasText: '2' }).waitFor();
    await expect(roomButton(ann, 'lobby').getAttribute('aria-label')).resolves.toMatch(/2 unread/);
    await expect(ann.title()).resolves.toBe('(2) socketlab chat');
    // Back in the lobby (a keyboard press on its button), they are read.
    await roomButton(ann, 'lobby').focus();
    await ann.keyboard.press('Enter');
    await waitForMessage(ann, 'ann?');
    await expect(roomButton(ann, 'lobby').locator('.unread').count()).resolves.toBe(0);
    // A name the contract refuses is not sent.
    await ann.getByLabel('Join or create a room').fill('no spaces');
    await ann.getByLabel('Join or create a room').press('Enter');
    await ann.locator('#room-error', { hasText: '1–32 letters' }).waitFor();

    if (process.env.SCREENSHOT === '1') {
      // The README's picture: bob says something in dev (unread for ann, who reads the lobby),
      // ann answers in the lobby, and bob is typing.
      await ann.getByLabel('Join or create a room').fill('');
      await bob.getByLabel('Join or create a room').fill('dev');
      await bob.getByLabel('Join or create a room').press('Enter');
      await bob.locator('#room-title', { hasText: '#dev' }).waitFor();
      await send(bob, 'standup in 5');
      await roomButton(ann, 'lobby').focus();
      await roomButton(ann, 'dev').locator('.unread', { hasText: '1' }).waitFor();
      await roomButton(bob, 'lobby').click();
      await send(ann, 'yes, sorry: the page fills in what a dropped connection missed');
      await waitForMessage(bob, 'dropped connection');
      await bob.getByLabel(/^Message/).pressSequentially('nice', { delay: 300 });
      await ann.locator('#typing', { hasText: 'bob is typing…' }).waitFor();
      await ann.getByLabel(/^Message/).focus();
      await ann.screenshot({
        path: fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url)),
      });
    }
  });

  it('shows the last messages on join and older ones on request, and leaves a room', async () => {
    const app = await startPageApp({ limits: { historyPerRoom: 3 } });
    const { page: bob } = await signIn(app, 'bob');
    // Bounded: five messages, each awaited on the page.
    for (let i = 1; i <= 5; i++) {
      await send(bob, `m${i}`);
      await waitForMessage(bob, `m${i}`);
    }
    const { page: cy } = await signIn(app, 'cy');
    await waitForMessage(cy, 'm5');
    expect(await messagesOf(cy)).toEqual(['bob: m3', 'bob: m4', 'bob: m5']);
    await cy.getByRole('button', { name: 'Show older messages' }).click();
    await waitForMessage(cy, 'm1');
    expect(await messagesOf(cy)).toEqual(['bob: m1', 'bob: m2', 'bob: m3', 'bob: m4', 'bob: m5']);
    await expect(cy.locator('#load-older').isHidden()).resolves.toBe(true);

    // A room joined and left: back in the lobby, which cannot be left.
    await cy.getByLabel('Join or create a room').fill('tmp');
    await cy.getByLabel('Join or create a room').press('Enter');
    await cy.locator('#room-title', { hasText: '#tmp' }).waitFor();
    await cy.getByRole('button', { name: 'Leave room' }).click();
    await cy.locator('#room-title', { hasText: '#lobby' }).waitFor();
    await expect(cy.getByRole('button', { name: 'Leave room' }).isDisabled()).resolves.toBe(true);
    await cy.waitForFunction(() => {
      const tmp = document.querySelector('#room-list [data-room="tmp"]');
      return tmp === null || tmp.getAttribute('aria-label')?.includes('not joined');
    });
  });
});
