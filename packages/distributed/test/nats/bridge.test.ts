import type { Msg } from '@nats-io/transport-node';
import { probeService, withTimeout } from '@socketlab/testkit';
import type { Socket as ClientSocket } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DistributedError } from '../../src/errors.ts';
import { bridgeNatsToSocketIo, SOCKET_ID_HEADER } from '../../src/nats/index.ts';
import { client, json, natsConnection, next, socketIoServer, unique } from './helpers.ts';

const nats = await probeService('nats');

/** A server whose clients join a room with `join`, and a bridge for `<p>.prices.*` → `room:<token>`. */
async function setup(
  extra: (p: string) => Partial<Parameters<typeof bridgeNatsToSocketIo>[0]> = () => ({}),
) {
  const nc = await natsConnection(nats.url);
  const { io, url } = await socketIoServer();
  io.on('connection', (socket) => {
    socket.on('join', (room: unknown, ack: unknown) => {
      if (typeof room === 'string') socket.join(`room:${room}`);
      if (typeof ack === 'function') ack(true);
    });
  });
  const p = `t${unique()}`;
  const drops: string[] = [];
  const bridge = await bridgeNatsToSocketIo({
    nc,
    io,
    subjects: [{ subject: `${p}.prices.*`, room: (s) => `room:${s.split('.').at(-1)}` }],
    onDrop: (error: DistributedError, subject) => drops.push(`${error.code} ${subject}`),
    ...extra(p),
  });
  const join = async (room: string) => {
    const socket = await client(url);
    await socket.emitWithAck('join', room);
    return socket;
  };
  return { nc, io, url, p, bridge, drops, join };
}

/** Everything a client receives as `nats:message` from now on. */
function inbox(socket: ClientSocket): unknown[] {
  const got: unknown[] = [];
  socket.on('nats:message', (m: unknown) => got.push(m));
  return got;
}

/** A round trip on the client's own connection: whatever was emitted to it before has arrived. */
const settle = (sockets: ClientSocket[]) =>
  Promise.all(sockets.map((s) => s.emitWithAck('join', 'settle')));

describe.skipIf(nats.skip)('bridgeNatsToSocketIo', () => {
  beforeAll(() => nats.require());

  it('fans a NATS subject out to the room it names, and to no other', async () => {
    const { nc, p, bridge, join } = await setup();
    const acme = await join('acme');
    const acme2 = await join('acme');
    const other = await join('globex');
    const toOther = inbox(other);
    const at1 = next(acme, 'nats:message', 'the acme room to receive the price');
    const at2 = next(acme2, 'nats:message', 'the second acme client to receive the price');
    nc.publish(`${p}.prices.acme`, json({ price: 42 }));
    const expected = { subject: `${p}.prices.acme`, data: { price: 42 } };
    expect(await at1).toEqual(expected);
    expect(await at2).toEqual(expected);
    await settle([other]);
    expect(toOther).toEqual([]);
    expect(bridge.stats.relayed).toBe(1);
  });

  it('drops and counts a malformed payload, while the others flow', async () => {
    const { nc, p, bridge, drops, join } = await setup();
    const acme = await join('acme');
    const got = inbox(acme);
    const subject = `${p}.prices.acme`;
    const bad = [
      new TextEncoder().encode('{not json'),
      new Uint8Array([0xff, 0xfe]),
      new TextEncoder().encode(`${'['.repeat(3000)}${']'.repeat(3000)}`),
      json('x'.repeat(20_000)),
    ];
    for (const [i, payload] of bad.entries()) {
      nc.publish(subject, payload);
      nc.publish(subject, json({ i }));
    }
    await withTimeout(
      (async () => {
        while (got.length < bad.length) await next(acme, 'nats:message', 'the good messages');
      })(),
      'the good messages to arrive',
    );
    await settle([acme]);
    expect(got).toEqual(bad.map((_, i) => ({ subject, data: { i } })));
    expect(bridge.stats.dropped).toBe(4);
    expect(drops).toEqual(bad.map(() => `DISTRIBUTED_ERR_PAYLOAD ${subject}`));
  });

  it('publishes a client event back to NATS on an allowed subject, with the socket id', async () => {
    const { nc, url, p, bridge } = await setup((p) => ({ inbound: { allow: [`${p}.chat.*`] } }));
    const socket = await client(url);
    const received = withTimeout(
      new Promise<Msg>((resolve) => {
        nc.subscribe(`${p}.chat.*`, { callback: (_e, m) => resolve(m), max: 1 });
      }),
      'the client event on NATS',
    );
    await nc.flush();
    const ack = await socket.emitWithAck('nats:publish', `${p}.chat.lobby`, { text: 'hi' });
    expect(ack).toEqual({ ok: true });
    const msg = await received;
    expect(msg.subject).toBe(`${p}.chat.lobby`);
    expect(msg.json()).toEqual({ text: 'hi' });
    expect(msg.headers?.get(SOCKET_ID_HEADER)).toBe(socket.id);
    expect(bridge.stats.published).toBe(1);
  });

  it('refuses a client publish on a subject not allowed, a wildcard, or a hostile payload', async () => {
    const { nc, url, p, bridge } = await setup((p) => ({ inbound: { allow: [`${p}.chat.*`] } }));
    const socket = await client(url);
    const leaked: string[] = [];
    nc.subscribe(`${p}.>`, {
      callback: (_e, m) => {
        leaked.push(m.subject);
      },
    });
    await nc.flush();
    let deep: unknown = 1;
    for (let i = 0; i < 2000; i++) deep = [deep];
    for (const [subject, data] of [
      [`${p}.admin.lobby`, {}],
      [`${p}.chat.*`, {}],
      [`${p}.chat.>`, {}],
      [42, {}],
      [`${p}.chat.lobby`, deep],
    ] as const) {
      const ack = await socket.emitWithAck('nats:publish', subject, data);
      expect(ack, `publish on ${String(subject)}`).toMatchObject({
        ok: false,
        code: 'DISTRIBUTED_ERR_PAYLOAD',
      });
    }
    socket.emit('nats:publish', `${p}.chat.lobby`, 'no ack');
    expect(await socket.emitWithAck('nats:publish', `${p}.chat.lobby`, 'ok')).toEqual({ ok: true });
    await nc.flush();
    expect(leaked).toEqual([`${p}.chat.lobby`, `${p}.chat.lobby`]);
    expect(bridge.stats.refused).toBe(5);
  });

  it('serves one room across two Socket.IO instances, each client getting each message once', async () => {
    const p = `t${unique()}`;
    const instances = await Promise.all(
      [1, 2].map(async () => {
        const nc = await natsConnection(nats.url); // each instance has its own NATS connection
        const { io, url } = await socketIoServer();
        io.on('connection', (socket) => {
          socket.on('join', (room: string, ack: () => void) => {
            socket.join(room);
            ack();
          });
        });
        const bridge = await bridgeNatsToSocketIo({
          nc,
          io,
          subjects: [{ subject: `${p}.rooms.*`, room: (s) => s.split('.').at(-1) }],
        });
        return { url, bridge };
      }),
    );
    const sockets = await Promise.all(
      instances
        .flatMap(({ url }) => [url, url])
        .map(async (url) => {
          const socket = await client(url);
          await socket.emitWithAck('join', 'lobby');
          return socket;
        }),
    );
    const boxes = sockets.map(inbox);
    const publisher = await natsConnection(nats.url);
    for (let i = 0; i < 5; i++) publisher.publish(`${p}.rooms.lobby`, json(i));
    await withTimeout(
      (async () => {
        for (const [i, socket] of sockets.entries()) {
          while ((boxes[i] as unknown[]).length < 5)
            await next(socket, 'nats:message', 'a message');
        }
      })(),
      'every client on both instances to get 5 messages',
    );
    await settle(sockets);
    for (const box of boxes) {
      expect((box as { data: number }[]).map((m) => m.data)).toEqual([0, 1, 2, 3, 4]);
    }
    expect(instances.map(({ bridge }) => bridge.stats.relayed)).toEqual([5, 5]);
  });

  it('stops relaying after close()', async () => {
    const { nc, p, bridge, join } = await setup();
    const acme = await join('acme');
    const got = inbox(acme);
    await bridge.close();
    nc.publish(`${p}.prices.acme`, json({ price: 1 }));
    await nc.flush();
    await settle([acme]);
    expect(got).toEqual([]);
  });
});
