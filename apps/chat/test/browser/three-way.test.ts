// Two pages and an nc user in one room: the nc user (a real TCP client of the gateway, which is a
// Socket.IO client of the app) appears in the pages' presence list, its line appears on both
// pages, and each page's message appears on the nc client.
import { describe, expect, it } from 'vitest';
import { connectNc } from '../tcp/nc.ts';
import {
  messagesOf,
  send,
  signIn,
  skipWithoutBrowser,
  startPageApp,
  waitForMessage,
} from './helpers/chat-page.ts';

describe.skipIf(skipWithoutBrowser('three-way.test.ts'))('two pages and nc, one room', () => {
  it('carries messages all three ways and shows the nc user present', async () => {
    // The app with its nc gateway, as `socketlab-chat --tcp-port` starts it.
    const app = await startPageApp({ tcpPort: 0 });
    if (app.tcpPort === undefined)
      throw new Error('startChatApp({ tcpPort: 0 }) started no gateway');
    const { page: ann } = await signIn(app, 'ann');
    const { page: bob } = await signIn(app, 'bob');

    const nc = await connectNc(app.tcpPort);
    await nc.waitFor(/^\* welcome, you are guest1, in #lobby/);
    await nc.say('/nick carol');
    await nc.waitFor('* you are now carol');
    for (const page of [ann, bob]) {
      await page.locator('#presence li', { hasText: 'carol' }).waitFor();
      await expect(
        page.locator('#presence li', { hasText: 'carol' }).textContent(),
      ).resolves.toMatch(/via nc/);
    }

    await nc.say('hello from a terminal');
    await waitForMessage(ann, 'hello from a terminal');
    await waitForMessage(bob, 'hello from a terminal');
    await send(ann, 'hello carol');
    await nc.waitFor('<ann> hello carol');
    await send(bob, '/me waves at carol');
    await nc.waitFor('* bob waves at carol');
    await nc.say('/me waves back');
    await waitForMessage(bob, 'waves back');
    await waitForMessage(ann, 'waves back');
    const expected = [
      'carol: hello from a terminal',
      'ann: hello carol',
      '* bob waves at carol',
      '* carol waves back',
    ];
    expect(await messagesOf(ann)).toEqual(expected);
    expect(await messagesOf(bob)).toEqual(expected);
  });
});
