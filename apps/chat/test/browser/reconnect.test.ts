// A page that loses its network shows "reconnecting…", and once back re-joins its rooms after the
// last seq it saw: what was said meanwhile appears, in order, once (and when more was missed than
// one answer holds, the rest on request); a reload keeps the session.
import { describe, expect, it } from 'vitest';
import {
  messagesOf,
  send,
  signIn,
  skipWithoutBrowser,
  startPageApp,
  waitForMessage,
} from './helpers/chat-page.ts';

describe.skipIf(skipWithoutBrowser('reconnect.test.ts'))('the chat page, reconnecting', () => {
  it('shows reconnecting… while offline and fills in the missed messages in order, once', async () => {
    const app = await startPageApp();
    const { page: ann, context: annNet } = await signIn(app, 'ann');
    const { page: bob } = await signIn(app, 'bob');
    await send(bob, 'before');
    await waitForMessage(ann, 'before');

    // Chromium's offline mode drops the connection: Socket.IO sees its transport close.
    const messagesBox = await ann.locator('#messages').boundingBox();
    await annNet.setOffline(true);
    await ann.locator('#banner', { hasText: 'reconnecting…' }).waitFor();
    const banner = await ann.locator('#banner').boundingBox();
    // The status line had its space already: showing it moved nothing.
    expect(await ann.locator('#messages').boundingBox()).toEqual(messagesBox);
    for (const text of ['missed 1', 'missed 2', 'missed 3']) {
      await send(bob, text);
      await waitForMessage(bob, text);
    }
    expect(await messagesOf(ann)).toEqual(['bob: before']);

    await annNet.setOffline(false);
    await waitForMessage(ann, 'missed 3');
    await ann.waitForFunction(() => document.getElementById('banner-text')?.textContent === '');
    // The status line kept its place and size: nothing below it moved.
    expect(await ann.locator('#banner').boundingBox()).toEqual(banner);
    await send(bob, 'after');
    await waitForMessage(ann, 'after');
    expect(await messagesOf(ann)).toEqual([
      'bob: before',
      'bob: missed 1',
      'bob: missed 2',
      'bob: missed 3',
      'bob: after',
    ]);
    const seqs = await ann.$$eval('#messages li', (items) =>
      items.map((i) => Number(i.getAttribute('data-seq'))),
    );
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('resumes the same session and rooms after a reload', async () => {
    const app = await startPageApp();
    const { page: ann } = await signIn(app, 'ann');
    await ann.getByLabel('Join or create a room').fill('dev');
    await ann.getByLabel('Join or create a room').press('Enter');
    await ann.locator('#room-title', { hasText: '#dev' }).waitFor();
    await send(ann, 'written before the reload');
    await waitForMessage(ann, 'before the reload');
    await ann.reload();
    // No nickname asked: the page is back in the lobby and dev, with dev's history.
    await ann.locator('#whoami', { hasText: 'ann' }).waitFor();
    await expect(ann.locator('#login-view').isHidden()).resolves.toBe(true);
    await ann.locator('#room-list button[data-room="dev"]').click();
    await waitForMessage(ann, 'before the reload');
  });

  it('says when more was missed than a resume holds, and fills in the rest on request', async () => {
    const app = await startPageApp({ limits: { historyPerRoom: 3 } });
    const { page: ann, context: annNet } = await signIn(app, 'ann');
    const { page: bob } = await signIn(app, 'bob');
    await send(bob, 'm1');
    await waitForMessage(ann, 'm1');
    await annNet.setOffline(true);
    await ann.locator('#banner', { hasText: 'reconnecting…' }).waitFor();
    // Bounded: five messages while ann is away, more than one answer of 3 holds.
    for (let i = 2; i <= 6; i++) {
      await send(bob, `m${i}`);
      await waitForMessage(bob, `m${i}`);
    }
    await annNet.setOffline(false);
    await waitForMessage(ann, 'm6');
    await ann.locator('#truncated', { hasText: 'while you were away' }).waitFor();
    expect(await messagesOf(ann)).toEqual(['bob: m4', 'bob: m5', 'bob: m6']);
    // One request of 3 reaches the first message: nothing older is left to ask for.
    await ann.getByRole('button', { name: 'Show older messages' }).click();
    await waitForMessage(ann, 'm1');
    await expect(ann.locator('#load-older').isHidden()).resolves.toBe(true);
    expect(await messagesOf(ann)).toEqual([
      'bob: m1',
      'bob: m2',
      'bob: m3',
      'bob: m4',
      'bob: m5',
      'bob: m6',
    ]);
    await ann.waitForFunction(() => document.getElementById('truncated')?.textContent === '');
  });
});
