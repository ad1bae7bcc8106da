import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@socketlab/distributed';
import { pollUntil } from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import type {
  SocketAck,
  WebhookDelivery,
  WebhookDeliveryView,
  WebhooksReply,
} from '../../src/contract.ts';
import { webhookView } from '../../src/server/webhooks.ts';
import { call, notify, openInbox, startTestApp } from '../helpers/app.ts';

const SECRET = 'whsec-test-0123456789abcdef0123456789';

/** A receiver on 127.0.0.1 port 0 that answers each request with the next status of `statuses` (then 200). */
/**
 * A webhook receiver answering `statuses` in turn (then 200), or, with `perNotification`, those
 * statuses to each notification's own attempts: deliveries run concurrently, so a shared turn
 * would hand another notification's retry the status meant for this one.
 */
async function receiver(statuses: number[], { perNotification = false } = {}) {
  const got: { headers: IncomingMessage['headers']; body: string }[] = [];
  const attempts = new Map<string, number>();
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    got.push({ headers: req.headers, body });
    if (!perNotification) {
      res.writeHead(statuses.shift() ?? 200).end();
      return;
    }
    const id = String((JSON.parse(body) as { data?: { id?: unknown } }).data?.id);
    const attempt = attempts.get(id) ?? 0;
    attempts.set(id, attempt + 1);
    res.writeHead(statuses[attempt] ?? 200).end();
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

/** A token an operator put in a receiver's query string: it must never reach a user's page. */
const QUERY_TOKEN = 'q-token-never-shown-0123';

/** `user`'s inbox socket, with the `webhook` pushes it gets and its `webhooks` request. */
async function webhookWatcher(app: Awaited<ReturnType<typeof startTestApp>>, user: string) {
  const { inbox } = await openInbox(app, user);
  const pushes: WebhookDeliveryView[] = [];
  inbox.socket.on('webhook', (view) => pushes.push(view));
  const ask = () =>
    inbox.socket.timeout(5_000).emitWithAck('webhooks') as Promise<SocketAck<WebhooksReply>>;
  return { pushes, ask, socket: inbox.socket };
}

describe('the webhook log on a user’s sockets', () => {
  it('shows each user the deliveries of their own notifications only, host only, live', async () => {
    const hook = await receiver([503, 503], { perNotification: true });
    const url = `${hook.url}?token=${QUERY_TOKEN}`;
    const app = await startTestApp({
      webhooks: { urls: [url], secret: SECRET, sender: { baseDelayMs: 20, maxAttempts: 3 } },
    });
    const ada = await webhookWatcher(app, 'ada');
    const bob = await webhookWatcher(app, 'bob');
    const [forAda] = await notify(app, { user: 'ada', title: 'for ada' });
    const [forBob] = await notify(app, { user: 'bob', title: 'for bob' });
    await notify(app, { topic: 'deploys', title: 'for the topic' });
    for (const who of [ada, bob]) {
      await pollUntil(
        () => who.pushes.some((v) => v.state === 'delivered') || undefined,
        'a delivered push',
      );
    }
    expect(new Set(ada.pushes.map((v) => v.notification))).toEqual(new Set([forAda]));
    expect(new Set(bob.pushes.map((v) => v.notification))).toEqual(new Set([forBob]));
    // one push as it begins, one per attempt, one when delivered: the page sees it retrying
    expect(ada.pushes.map((v) => [v.state, v.attempts, v.status])).toContainEqual([
      'pending',
      1,
      503,
    ]);

    const host = new URL(hook.url).host;
    const adaReply = await ada.ask();
    expect(adaReply).toEqual({
      ok: true,
      configured: true,
      deliveries: [
        {
          id: `${forAda}.0`,
          notification: forAda,
          title: 'for ada',
          host,
          state: 'delivered',
          attempts: 3,
          status: 200,
          error: null,
          updatedAt: expect.any(Number),
        },
      ],
    });
    const bobReply = await bob.ask();
    expect(bobReply.ok && bobReply.deliveries.map((v) => v.title)).toEqual(['for bob']);
    // the senders' log has all three, with the URL; nothing a user got has the path, query or secret
    expect(await deliveries(app)).toHaveLength(3);
    const seen = JSON.stringify([ada.pushes, bob.pushes, adaReply, bobReply]);
    for (const secret of [SECRET, QUERY_TOKEN, '/hook', 'token=']) {
      expect(seen).not.toContain(secret);
    }
  });

  it('says a server without webhooks has none configured', async () => {
    const app = await startTestApp();
    const ada = await webhookWatcher(app, 'ada');
    expect(await ada.ask()).toEqual({ ok: true, configured: false, deliveries: [] });
  });

  it('refuses a webhooks request with arguments', async () => {
    const app = await startTestApp();
    const { socket } = await webhookWatcher(app, 'ada');
    // untyped: the contract's `webhooks` takes no argument, a hostile client sends one anyway
    const reply = await (socket as unknown as Socket)
      .timeout(5_000)
      .emitWithAck('webhooks', { user: 'bob' });
    expect(reply).toMatchObject({ ok: false, error: 'INVALID_REQUEST' });
  });

  it('takes the receiver’s path, query and credentials out of an error it shows', () => {
    const url = 'https://hook:pa55word@hooks.example.com/services/T0/B1/xyz?token=abc';
    const view = webhookView(
      {
        id: 'n.0',
        notification: 'n',
        url,
        state: 'pending',
        attempts: 1,
        status: null,
        error: `fetch failed for ${url} (/services/T0/B1/xyz?token=abc, pa55word)`,
        updatedAt: 1,
      },
      'title',
    );
    expect(view.host).toBe('hooks.example.com');
    expect(view.error).toBe('fetch failed for … (…, …)');
    expect(JSON.stringify(view)).not.toMatch(/xyz|abc|pa55word/);
  });
});
