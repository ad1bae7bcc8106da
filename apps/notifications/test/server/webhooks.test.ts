import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@socketlab/distributed';
import { pollUntil } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { WebhookDelivery } from '../../src/contract.ts';
import { call, notify, startTestApp } from '../helpers/app.ts';

const SECRET = 'whsec-test-0123456789abcdef0123456789';

/** A receiver on 127.0.0.1 port 0 that answers each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[]) {
  const got: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    got.push({ headers: req.headers, body });
    res.writeHead(statuses.shift() ?? 200).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const deliveries = async (app: Awaited<ReturnType<typeof startTestApp>>) =>
  (await call(app, 'GET', '/webhooks')).body.deliveries as WebhookDelivery[];

describe('outbound webhooks', () => {
  it('delivers each posted notification signed, retrying a 503, and logs the delivery', async () => {
    const hook = await receiver([503]);
    const app = await startTestApp({
      webhooks: { urls: [hook.url], secret: SECRET, sender: { baseDelayMs: 20, maxAttempts: 3 } },
    });
    const [id] = await notify(app, { user: 'ada', title: 'hooked' });
    const [entry] = await pollUntil(async () => {
      const log = await deliveries(app);
      return log[0]?.state === 'delivered' ? log : undefined;
    }, 'the delivery to succeed on its second attempt');
    expect(entry).toMatchObject({ notification: id, url: hook.url, attempts: 2, status: 200 });
    expect(hook.got).toHaveLength(2);
    const last = hook.got[1] as (typeof hook.got)[number];
    // the receiver's check: a valid signature over the raw body, with the secret
    expect(() =>
      verifyWebhook(last.headers as Record<string, string>, last.body, SECRET),
    ).not.toThrow();
    expect(hook.got[0]?.headers['webhook-id']).toBe(last.headers['webhook-id']);
    expect(JSON.parse(last.body)).toMatchObject({
      type: 'notification.created',
      data: { id, user: 'ada', title: 'hooked' },
    });
  });

  it('logs a delivery the receiver refuses as dead, without retrying it', async () => {
    const hook = await receiver([400]);
    const app = await startTestApp({
      webhooks: { urls: [hook.url], secret: SECRET, sender: { baseDelayMs: 20, maxAttempts: 3 } },
    });
    await notify(app, { user: 'ada', title: 'refused' });
    const [entry] = await pollUntil(async () => {
      const log = await deliveries(app);
      return log[0]?.state === 'dead' ? log : undefined;
    }, 'the delivery to be dead-lettered');
    expect(entry).toMatchObject({ attempts: 1, status: 400 });
    expect(hook.got).toHaveLength(1);
  });

  it('shows the log only for an API key', async () => {
    const hook = await receiver([]);
    const app = await startTestApp({ webhooks: { urls: [hook.url], secret: SECRET } });
    expect((await call(app, 'GET', '/webhooks', { key: null })).status).toBe(401);
  });
});
