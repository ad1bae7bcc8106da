/**
 * A client that floods the app's Socket.IO face with events, or sends a payload nested deep enough
 * to hurt, is throttled and then cut off by stage 4's flood guard; every other user is served on.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { NOTIFY_LIMITS, type SocketAck, type WebhooksReply } from '../../src/contract.ts';
import { type NotifyApp, startNotifyApp } from '../../src/server/app.ts';
import { createSocketGuard, guardNamespaces } from '../../src/server/socket-limits.ts';
import { call, notify, openInbox, startTestApp, waitFor } from '../helpers/app.ts';

/** A webhook receiver on 127.0.0.1 port 0 that takes everything. */
async function receiver(): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

/** A socket of `user`'s (on `url`, a namespace's), connected, that records the guard's `realtime:error` and its disconnect. */
async function connect(app: NotifyApp | { url: string; issueToken?: undefined }, user: string) {
  const socket: Socket = io(app.url, {
    transports: ['websocket'],
    reconnection: false,
    auth: { token: app.issueToken?.(user).token },
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  const errors: { code: string; reason: string }[] = [];
  socket.on('realtime:error', (error: { code: string; reason: string }) => errors.push(error));
  const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    `${user}'s socket to connect`,
  );
  return { socket, errors, disconnected };
}

const askWebhooks = (socket: Socket) =>
  withTimeout(
    socket.timeout(5000).emitWithAck('webhooks') as Promise<SocketAck<WebhooksReply>>,
    'the answer to webhooks',
  );

describe('socket floods', () => {
  it('throttles a client flooding webhooks, then disconnects it, and serves the others on', async () => {
    const app = await startTestApp({
      webhooks: { urls: [await receiver()], secret: 'x'.repeat(32) },
    });
    const bob = await openInbox(app, 'bob');
    const [first] = await notify(app, { user: 'bob', title: 'before the flood' });
    await waitFor(bob.got, 1, "bob's first notification");

    const ada = await connect(app, 'ada');
    const answers: unknown[] = [];
    // far past the budget: the burst, every strike, and more than the refill during the flood
    const flood = 10 * (NOTIFY_LIMITS.eventBurst + 20);
    for (let i = 0; i < flood; i++)
      ada.socket.emit('webhooks', (reply: unknown) => answers.push(reply));
    const reason = await withTimeout(ada.disconnected, "ada's flooding socket to be cut off");

    expect(reason).toBe('io server disconnect');
    expect(ada.errors).toEqual([
      { code: 'REALTIME_ERR_RATE_LIMITED', reason: expect.stringMatching(/events a second/) },
    ]);
    const limited = answers.filter(
      (a) => (a as { error?: { code?: string } }).error?.code === 'REALTIME_ERR_RATE_LIMITED',
    );
    expect(limited.length).toBeGreaterThan(0);
    // the rest of the flood was never handled
    expect(answers.filter((a) => (a as { ok?: boolean }).ok === true).length).toBeLessThan(
      flood / 2,
    );

    // bob, on the same server, still gets his notifications and his own webhook log
    const [second] = await notify(app, { user: 'bob', title: 'after the flood' });
    await waitFor(bob.got, 2, "bob's notification after the flood");
    expect(bob.got.map((n) => n.id)).toEqual([first, second]);
    const reply = await pollUntil(async () => {
      const r = await askWebhooks(bob.inbox.socket as unknown as Socket);
      return r.ok && r.deliveries.length === 2 ? r : undefined;
    }, "bob's two webhook deliveries");
    expect(reply.configured).toBe(true);
    expect(reply.deliveries.map((d) => d.notification).sort()).toEqual([first, second].sort());
    expect(bob.inbox.socket.connected).toBe(true);
  });

  it('disconnects a client sending a deeply nested payload, and stays up', async () => {
    const app = await startTestApp();
    const bob = await openInbox(app, 'bob');
    const ada = await connect(app, 'ada');
    let deep: unknown = 'x';
    for (let i = 0; i < 1000; i++) deep = [deep]; // deep enough, and within what the client encodes
    ada.socket.emit('resume', { after: deep }, () => {});
    const reason = await withTimeout(ada.disconnected, "ada's socket to be cut off");

    expect(reason).toBe('io server disconnect');
    expect(ada.errors).toEqual([
      { code: 'REALTIME_ERR_PAYLOAD', reason: expect.stringMatching(/nested deeper than 32/) },
    ]);
    // what one message may weigh and how long a connection may idle are bounded too (stage 4's
    // createRealtimeServer makes the service's server with floodGuardServerOptions' values)
    expect(app.io.engine.opts.maxHttpBufferSize).toBe(64 * 1024);
    expect(app.io.connectTimeout()).toBe(10_000);
    // the server is up: bob is pushed to, and a new socket connects and is answered
    await notify(app, { user: 'bob', title: 'still up' });
    await waitFor(bob.got, 1, "bob's notification after the deep payload");
    expect((await call(app, 'GET', '/health', { key: null })).status).toBe(200);
    const again = await connect(app, 'ada');
    expect(await askWebhooks(again.socket)).toMatchObject({ ok: true, configured: false });
  });

  it("keeps the app's own inbox, acking a burst of notifications, under the limit", async () => {
    const app = await startTestApp();
    const bob = await openInbox(app, 'bob');
    const count = NOTIFY_LIMITS.requestBurst;
    const ids = (
      await Promise.all(
        Array.from({ length: count }, (_, i) => notify(app, { user: 'bob', title: `n${i}` })),
      )
    ).flat();
    await waitFor(bob.got, count, `bob's ${count} notifications`);
    // every delivery ack reached the sender's history: none was dropped as a flood
    await pollUntil(
      async () => {
        // answered 429 while the key's burst refills: asked again
        const page = ((await call(app, 'GET', `/notifications?limit=${count}`)).body
          .notifications ?? []) as { id: string; deliveredTo: string[] }[];
        const acked = new Set(page.filter((r) => r.deliveredTo.includes('bob')).map((r) => r.id));
        return ids.every((id) => acked.has(id)) || undefined;
      },
      `bob's ${count} delivery acks in the sender's history`,
      { ms: 10_000, intervalMs: 100 },
    );
    expect(bob.inbox.socket.connected).toBe(true);
  });

  it('keeps an inbox connected through a burst far past its event budget (receipts are batched)', async () => {
    // Several senders at once: 3× the socket's event burst, pushed as fast as the REST side takes.
    const app = await startTestApp({ limits: { requestsPerSecond: 100_000, requestBurst: 1_000 } });
    const bob = await openInbox(app, 'bob');
    const count = 3 * NOTIFY_LIMITS.eventBurst;
    const ids = (
      await Promise.all(
        Array.from({ length: count }, (_, i) => notify(app, { user: 'bob', title: `b${i}` })),
      )
    ).flat();
    await waitFor(bob.got, count, `bob's ${count} notifications`, 20_000);
    // A receipt per notification would have spent the budget three times over and cut bob off.
    await pollUntil(
      async () => {
        const acked = new Set<string>();
        let after = '';
        for (let page = 0; page < 10; page++) {
          const { notifications = [] } = (
            await call(app, 'GET', `/notifications?limit=100${after && `&after=${after}`}`)
          ).body as { notifications?: { id: string; deliveredTo: string[] }[] };
          for (const r of notifications) if (r.deliveredTo.includes('bob')) acked.add(r.id);
          if (notifications.length < 100) break;
          after = notifications.at(-1)?.id ?? '';
        }
        return ids.every((id) => acked.has(id)) || undefined;
      },
      `bob's ${count} delivery acks in the sender's history`,
      { ms: 20_000, intervalMs: 200 },
    );
    expect(bob.inbox.socket.connected).toBe(true);
  });

  it('guards a namespace made after it, as the feeds are', async () => {
    const httpServer = createServer();
    const server = new Server(httpServer);
    onTestFinished(() => {
      server.close();
    });
    const guard = createSocketGuard({ eventsPerSecond: 1, eventBurst: 1 });
    guardNamespaces(server, guard);
    const feed = server.of('/telemetry');
    feed.on('connection', (socket) => socket.on('ping', (ack: (n: number) => void) => ack(1)));
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const client = await connect({ url: `http://127.0.0.1:${port}/telemetry` }, 'ada');
    expect(await client.socket.timeout(5000).emitWithAck('ping')).toBe(1);
    expect(await client.socket.timeout(5000).emitWithAck('ping')).toMatchObject({
      error: { code: 'REALTIME_ERR_RATE_LIMITED' },
    });
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    client.socket.emit('ping', deep);
    expect(await withTimeout(client.disconnected, 'the /telemetry socket to be cut off')).toBe(
      'io server disconnect',
    );
    expect(client.errors.map((e) => e.code)).toEqual(['REALTIME_ERR_PAYLOAD']);
    expect(guard.stats()).toMatchObject({ eventsDropped: 1, socketsDisconnected: 1 });
  });

  it('refuses an event limit that is not a number > 0 before opening anything', async () => {
    for (const limits of [{ eventsPerSecond: 0 }, { eventBurst: Number.NaN }]) {
      await expect(startNotifyApp({ limits })).rejects.toThrow(RangeError);
    }
  });
});
