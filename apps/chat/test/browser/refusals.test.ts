// What the page says when the server refuses or goes away: a rate-limit notice when messages come
// too fast; back to the nickname form, with the reason, when its token is refused; "shutting
// down… reconnecting…" when the server closes, and a resume when it is back.
import { describe, expect, it } from 'vitest';
import {
  messagesOf,
  openPage,
  send,
  signIn,
  skipWithoutBrowser,
  startPageApp,
} from './helpers/chat-page.ts';

describe.skipIf(skipWithoutBrowser('refusals.test.ts'))('the chat page, refused', () => {
  it('shows a rate-limit notice when messages come faster than the limit', async () => {
    const app = await startPageApp({ limits: { messageBurst: 2, messagesPerSecond: 1 } });
    const { page } = await signIn(app, 'ann');
    // Bounded: the burst is 2, so one of these 4 is refused.
    for (let i = 0; i < 4; i++) await send(page, `flood ${i}`);
    await page.locator('#notice', { hasText: 'Slow down' }).waitFor();
    // The notice is an alert (read out), and the page stays signed in.
    await expect(page.locator('#notice').getAttribute('role')).resolves.toBe('alert');
    await expect(page.locator('#chat-view').isVisible()).resolves.toBe(true);
  });

  it('returns to the nickname form with the reason when the token is refused', async () => {
    const app = await startPageApp();
    const { page } = await openPage();
    await page.goto(app.url);
    // A saved session whose token the server did not sign.
    await page.evaluate(() => {
      const user = { id: 'guest:forged', nick: 'mallory', via: 'web' };
      const session = { token: 'not.a.token', user, expiresAt: Date.now() + 60_000 };
      sessionStorage.setItem('socketlab-chat', JSON.stringify({ session, rooms: ['lobby'] }));
    });
    await page.reload();
    await page.locator('#login-error', { hasText: 'sign in again' }).waitFor();
    await expect(page.locator('#login-view').isVisible()).resolves.toBe(true);
    await expect(page.evaluate(() => sessionStorage.getItem('socketlab-chat'))).resolves.toBeNull();
    // And signing in again works.
    await page.getByLabel('Nickname').fill('ann');
    await page.getByRole('button', { name: 'Enter the chat' }).click();
    await page.locator('#presence li', { hasText: 'ann' }).waitFor();
    await send(page, 'back');
    await page.locator('#messages li', { hasText: 'back' }).waitFor();
  });

  it('says the server is shutting down, then resumes when it is back on the same port', async () => {
    const jwtSecret = 'a test secret of at least 32 bytes, for the restart';
    const first = await startPageApp({ jwtSecret });
    const { page } = await signIn(first, 'ann');
    await send(page, 'before the restart');
    await page.locator('#messages li', { hasText: 'before the restart' }).waitFor();
    await first.close();
    await page.locator('#banner', { hasText: /shutting down.*reconnecting…/ }).waitFor();
    // The same secret: the page's token is still good, so it resumes without a sign-in.
    const second = await startPageApp({ jwtSecret, port: first.port });
    await page.waitForFunction(() => document.getElementById('banner-text')?.textContent === '');
    // Its memory store started over: the page says so and shows the new history, whose seqs
    // reuse the old numbers, rather than dropping new messages as already seen.
    await page.locator('#notice', { hasText: 'history of #lobby started over' }).waitFor();
    await send(page, 'after the restart');
    await page.locator('#messages li', { hasText: 'after the restart' }).waitFor();
    expect(await messagesOf(page)).toEqual(['ann: after the restart']);
    expect(second.port).toBe(first.port);
  });
});
