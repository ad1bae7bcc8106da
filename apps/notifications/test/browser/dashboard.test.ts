// SCREENSHOT=1 also saves the first test's page to docs/screenshot.png (the README's picture).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTelemetryClient } from '@socketlab/distributed';
import { pollUntil, probeService } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { SentRecord } from '../../src/contract.ts';
import { call, notify } from '../helpers/app.ts';
import {
  newContext,
  openDashboard,
  skipWithoutBrowser,
  startPageApp,
  titles,
} from './helpers/dashboard.ts';

describe.skipIf(skipWithoutBrowser('test/browser/dashboard.test.ts'))('the dashboard', () => {
  it('shows a notification posted over REST as a toast and in the list, and sends a read receipt', async () => {
    const app = await startPageApp();
    const page = await openDashboard(app, 'ada');
    // what `curl -X POST …/notify -H 'x-api-key: …' -d '{…}'` sends
    const res = await call(app, 'POST', '/notify', {
      body: { user: 'ada', title: 'Build green', body: 'main #42', priority: 'high' },
    });
    expect(res.status).toBe(202);
    await page.getByRole('alert').filter({ hasText: 'Build green — main #42' }).waitFor();
    await page.locator('#list li', { hasText: 'Build green' }).waitFor();
    expect(await page.locator('#unread').textContent()).toBe('1');
    await page.getByRole('button', { name: 'Mark “Build green” read' }).click();
    await page.locator('#list li[data-read="true"]', { hasText: 'Build green' }).waitFor();
    const [record] = await pollUntil(async () => {
      const sent = (await call(app, 'GET', '/notifications')).body.notifications as SentRecord[];
      return sent[0]?.readBy.includes('ada') ? sent : undefined;
    }, 'the read receipt in the sender’s history');
    expect(record).toMatchObject({ title: 'Build green', deliveredTo: ['ada'], readBy: ['ada'] });
    if (process.env.SCREENSHOT === '1') {
      await page.getByLabel('Follow a topic').fill('deploys');
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('button', { name: 'Unsubscribe from deploys' }).waitFor();
      await notify(app, { topic: 'deploys', title: 'Deployed v1.4.2', body: 'to production' });
      await notify(app, { user: 'ada', title: 'Nightly report ready', priority: 'low' });
      await notify(app, { user: 'ada', title: 'Invoice 7 paid', body: '€120.00 from ACME' });
      await page.getByRole('status').filter({ hasText: 'Invoice 7 paid' }).waitFor();
      await page.screenshot({
        path: fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url)),
      });
    }
  });

  it('gives a user who was away the three notifications they missed, once each, on return', async () => {
    const app = await startPageApp();
    const context = await newContext();
    const first = await openDashboard(app, 'ada', context);
    await notify(app, { user: 'ada', title: 'before' });
    await first.locator('#list li', { hasText: 'before' }).waitFor();
    await first.close();
    for (const title of ['one', 'two', 'three']) await notify(app, { user: 'ada', title });
    const back = await openDashboard(app, 'ada', context);
    await back.locator('#list li', { hasText: 'three' }).waitFor();
    expect(await titles(back)).toEqual(['three', 'two', 'one', 'before']);
    await notify(app, { user: 'ada', title: 'live again' });
    await back.locator('#list li', { hasText: 'live again' }).waitFor();
    expect(await titles(back)).toEqual(['live again', 'three', 'two', 'one', 'before']);
  });

  it('subscribes to a topic, shows its notifications, and stops after unsubscribing', async () => {
    const app = await startPageApp();
    const page = await openDashboard(app, 'ada');
    await page.getByLabel('Follow a topic').fill('deploys');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('button', { name: 'Unsubscribe from deploys' }).waitFor();
    await notify(app, { topic: 'deploys', title: 'v1 out' });
    await page.locator('#list li', { hasText: 'v1 out' }).waitFor();
    await page.getByRole('button', { name: 'Unsubscribe from deploys' }).click();
    await page
      .getByRole('button', { name: 'Unsubscribe from deploys' })
      .waitFor({ state: 'detached' });
    await notify(app, { topic: 'deploys', title: 'v2 out' });
    await notify(app, { user: 'ada', title: 'barrier' });
    await page.locator('#list li', { hasText: 'barrier' }).waitFor();
    expect(await titles(page)).toEqual(['barrier', 'v1 out']);
  });

  it('refuses a bad topic name on the page with a message', async () => {
    const app = await startPageApp();
    const page = await openDashboard(app, 'ada');
    await page.getByLabel('Follow a topic').fill('no spaces');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('alert').filter({ hasText: 'A topic is 1–64' }).waitFor();
  });
});

const mqtt = await probeService('mqtt');

describe.skipIf(skipWithoutBrowser('test/browser/dashboard.test.ts') || mqtt.skip)(
  'the dashboard with --mqtt',
  () => {
    beforeAll(() => mqtt.require());

    it('shows an MQTT publish in the telemetry panel', async () => {
      const root = `socketlab-test-${randomBytes(4).toString('hex')}`;
      const app = await startPageApp({ mqtt: { url: mqtt.url, filter: `${root}/#` } });
      const page = await openDashboard(app, 'ada');
      const publisher = await createTelemetryClient({ url: mqtt.url });
      onTestFinished(() => publisher.close());
      await publisher.publish(`${root}/greenhouse/temp`, { celsius: 21.5 }, { qos: 1 });
      const row = page.getByRole('row', { name: new RegExp(`${root}/greenhouse/temp`) });
      await row.waitFor();
      expect(await row.textContent()).toContain('{"celsius":21.5}');
    });
  },
);
