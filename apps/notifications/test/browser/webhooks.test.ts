// The dashboard's webhooks panel: a receiver that fails once then answers shows up as retrying,
// then delivered, for the user the notification was for and for no one else.
// SCREENSHOT=1 also saves the panel to docs/webhooks-panel.png (the README's picture of it).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PAGE_CONTENT_SECURITY_POLICY } from '@socketlab/internal';
import { describe, expect, it, onTestFinished } from 'vitest';
import { notify } from '../helpers/app.ts';
import {
  newContext,
  openDashboard,
  skipWithoutBrowser,
  startPageApp,
} from './helpers/dashboard.ts';

const SECRET = 'whsec-test-0123456789abcdef0123456789';
/** A token in the receiver's query string: the page must never show it. */
const QUERY_TOKEN = 'q-token-never-shown-0123';

/**
 * A receiver on 127.0.0.1 port 0: answers the first request 500, and holds the next one until
 * `release()` (then 200), so the page is seen retrying for as long as the test needs.
 */
async function gatedReceiver() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let requests = 0;
  const server = createServer(async (req, res) => {
    for await (const _ of req); // the body, unread
    requests++;
    if (requests === 1) {
      res.writeHead(500).end();
      return;
    }
    await gate;
    res.writeHead(200).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    release();
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/hook`, release };
}

describe.skipIf(skipWithoutBrowser('test/browser/webhooks.test.ts'))('the webhooks panel', () => {
  it('shows a delivery of the user’s notification retrying, then delivered, to that user only', async () => {
    const hook = await gatedReceiver();
    const app = await startPageApp({
      webhooks: {
        urls: [`${hook.url}?token=${QUERY_TOKEN}`],
        secret: SECRET,
        // the held attempt must outlast the page's waits
        sender: { baseDelayMs: 20, maxAttempts: 3, deliveryTimeoutMs: 60_000 },
      },
    });
    const page = await openDashboard(app, 'ada');
    const note = page.locator('#webhooks-note');
    await note.filter({ hasText: 'No webhook deliveries of your notifications yet.' }).waitFor();

    await notify(app, { user: 'ada', title: 'Invoice 7 paid' });
    const row = page.locator('#webhook-rows tr', { hasText: 'Invoice 7 paid' });
    await page.locator('#webhook-rows tr[data-state="retrying"]').waitFor();
    const cells = () => row.locator('td').allTextContents();
    expect((await cells()).slice(0, 5)).toEqual([
      hook.host,
      'Invoice 7 paid',
      '1',
      'HTTP 500',
      'retrying',
    ]);

    hook.release();
    await page.locator('#webhook-rows tr[data-state="delivered"]').waitFor();
    expect((await cells()).slice(0, 5)).toEqual([
      hook.host,
      'Invoice 7 paid',
      '2',
      'HTTP 200',
      'delivered',
    ]);
    expect(await page.locator('#webhook-rows tr').count()).toBe(1);
    const html = await page.content();
    for (const secret of [QUERY_TOKEN, SECRET, '/hook']) expect(html).not.toContain(secret);

    // a reload starts from the server's list
    await page.reload();
    await page.locator('#webhook-rows tr[data-state="delivered"]').waitFor();
    if (process.env.SCREENSHOT === '1') {
      await page.locator('section.webhooks').screenshot({
        path: fileURLToPath(new URL('../../docs/webhooks-panel.png', import.meta.url)),
      });
    }

    // another user's page lists none of it
    const bob = await openDashboard(app, 'bob', await newContext());
    await bob
      .locator('#webhooks-note')
      .filter({ hasText: 'No webhook deliveries of your notifications yet.' })
      .waitFor();
    expect(await bob.locator('#webhook-rows tr').count()).toBe(0);
  });

  it('says so in one line when the server has no webhooks, under the page’s CSP', async () => {
    const app = await startPageApp();
    const res = await fetch(`${app.url}/`);
    await res.body?.cancel();
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CONTENT_SECURITY_POLICY);
    const page = await openDashboard(app, 'ada');
    await page
      .locator('#webhooks-note')
      .filter({ hasText: /^No webhooks are configured on this server\.$/ })
      .waitFor();
    expect(await page.locator('#webhooks-table').isHidden()).toBe(true);
  });
});
