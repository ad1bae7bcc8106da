import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import {
  failOnUncaught,
  lessonOf,
  loadExercise,
  probeService,
  withTimeout,
} from '@socketlab/testkit';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';

// The spec owns the NATS connections and the Socket.IO server (its clients `join` rooms through
// it); your bridge gets one NATS connection and the server. Messages are published from a second
// NATS connection, as another service would, and received by real socket.io-client clients.
type Exercise = typeof import('./exercise.ts');
type Bridge = Awaited<ReturnType<Exercise['startNatsBridge']>>;
const lesson = lessonOf(import.meta.url);
const nats = await probeService('nats');

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
};
const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

async function natsConnection(): Promise<NatsConnection> {
  const nc = await connect({ servers: nats.url, name: 'socketlab-02-nats-bridge' });
  onTestFinished(async () => {
    if (!nc.isClosed()) await nc.drain();
  });
  return nc;
}

/**
 * The bridge's NATS connection, with its calls to `subscribe` and the round trips (`flush`,
 * `rtt`) recorded, each round trip when it has completed: a subscription is only known to the
 * server after one.
 */
function watch(nc: NatsConnection): { watched: NatsConnection; calls: string[] } {
  const calls: string[] = [];
  const watched = new Proxy(nc, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'subscribe') {
        return (...args: unknown[]) => {
          calls.push(`subscribe ${String(args[0])}`);
          return value.apply(target, args);
        };
      }
      if (prop === 'flush' || prop === 'rtt') {
        return (...args: unknown[]) =>
          (value.apply(target, args) as Promise<unknown>).then((result) => {
            calls.push(`${prop} done`);
            return result;
          });
      }
      return value.bind(target);
    },
  });
  return { watched, calls };
}

/** A Socket.IO server whose clients join rooms with `join`, your bridge on it, and a publisher. */
async function start({ joinFirst }: { joinFirst?: string } = {}) {
  failOnUncaught(
    `A callback threw, and took the whole process down with it: check every payload before using it. ${lesson.see('Hostile payloads')}`,
  );
  const http = createServer();
  const io = new Server(http);
  io.on('connection', (socket) => {
    socket.on('join', (room: unknown, ack: unknown) => {
      if (typeof room === 'string') socket.join(room);
      if (typeof ack === 'function') ack(true);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => io.close());
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const nc = await natsConnection();
  const publisher = await natsConnection();
  const prefix = `ex${randomBytes(5).toString('hex')}`;
  const join = async (room: string): Promise<Socket> => {
    const socket = connectClient(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    onTestFinished(() => {
      socket.disconnect();
    });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      }),
      'a socket.io-client to connect',
    );
    await socket.timeout(5000).emitWithAck('join', room);
    return socket;
  };
  // a client already in a room when the bridge starts, so a test can publish the moment it resolves
  const early = joinFirst === undefined ? undefined : await join(joinFirst);
  const mod = await loadExercise<Exercise>(import.meta.url);
  const { watched, calls } = watch(nc);
  const bridge: Bridge = await withTimeout(
    mod.startNatsBridge({ nc: watched, io, prefix }),
    `startNatsBridge to resolve. ${lesson.see('Your task')}`,
  );
  const callsWhenResolved = [...calls];
  onTestFinished(() => bridge.close());
  return { nc, publisher, prefix, bridge, join, early, callsWhenResolved };
}

/** Everything a client receives as `nats:message` from now on. */
function inbox(socket: Socket): unknown[] {
  const got: unknown[] = [];
  socket.on('nats:message', (m: unknown) => got.push(m));
  return got;
}

/** Waits (bounded) until `got` holds `count` messages. */
async function until(got: unknown[], count: number, socket: Socket, what: string): Promise<void> {
  await withTimeout(
    (async () => {
      while (got.length < count) {
        await new Promise((resolve) => socket.once('nats:message', resolve));
      }
    })(),
    `${what} (received so far: ${show(got)}). ${lesson.see('Subjects to rooms')}`,
  );
}

/**
 * A round trip through NATS and then through each client's own connection: whatever the bridge
 * emitted for messages published before has arrived when this resolves.
 */
async function settle(publisher: NatsConnection, nc: NatsConnection, sockets: Socket[]) {
  await publisher.flush(); // the server has routed everything published before
  await nc.flush(); // and the bridge's connection has read it (messages come before the PONG)
  await Promise.all(sockets.map((s) => s.timeout(5000).emitWithAck('join', 'settle')));
}

/** Subscribes the spec to what the bridge publishes for clients. */
async function fromClients(nc: NatsConnection, prefix: string) {
  const got: { subject: string; data: unknown }[] = [];
  const waiters: (() => void)[] = [];
  nc.subscribe(`${prefix}.from-clients.>`, {
    callback: (_err, msg: Msg) => {
      let data: unknown;
      try {
        data = msg.json();
      } catch {
        data = `(not JSON: ${msg.string().slice(0, 100)})`;
      }
      got.push({ subject: msg.subject, data });
      for (const w of waiters.splice(0)) w();
    },
  });
  await nc.flush();
  return {
    got,
    next: (what: string) =>
      withTimeout(
        new Promise<void>((resolve) => waiters.push(resolve)),
        `${what}. ${lesson.see('From clients to NATS')}`,
      ),
  };
}

describe.skipIf(nats.skip)('02 · a NATS-to-Socket.IO bridge', () => {
  beforeAll(() => nats.require());

  it('relays <prefix>.rooms.<room> to that room’s clients as { subject, data }, and to no other', async () => {
    const { nc, publisher, prefix, join } = await start();
    const [ada, bob, cat] = [await join('lobby'), await join('lobby'), await join('kitchen')];
    const [toAda, toBob, toCat] = [inbox(ada), inbox(bob), inbox(cat)];
    publisher.publish(`${prefix}.rooms.lobby`, json({ price: 42, tags: ['a'] }));
    await until(toAda, 1, ada, 'ada (in lobby) to receive the message on rooms.lobby');
    await until(toBob, 1, bob, 'bob (in lobby) to receive the message on rooms.lobby');
    const expected = { subject: `${prefix}.rooms.lobby`, data: { price: 42, tags: ['a'] } };
    for (const [who, got] of [
      ['ada', toAda],
      ['bob', toBob],
    ] as const) {
      expect(
        got,
        `${who} received ${show(got)}: exactly { subject, data }. ${lesson.see('Subjects to rooms')}`,
      ).toEqual([expected]);
    }
    await settle(publisher, nc, [cat]);
    expect(
      toCat,
      `cat (in kitchen) received ${show(toCat)}. ${lesson.see('Subjects to rooms')}`,
    ).toEqual([]);
  });

  it('is subscribed when it resolves, and keeps each subject’s order', async () => {
    const { publisher, prefix, early, callsWhenResolved } = await start({ joinFirst: 'lobby' });
    const last = callsWhenResolved.findLastIndex((c) => c.startsWith('subscribe'));
    expect(
      last >= 0 && callsWhenResolved.slice(last).some((c) => c.endsWith(' done')),
      `when startNatsBridge resolved, its NATS calls were ${show(callsWhenResolved)}: await nc.flush() after subscribing, so the server knows the subscription before anyone publishes. ${lesson.see('Subjects and wildcards')}`,
    ).toBe(true);
    const ada = early as Socket;
    const got = inbox(ada);
    for (let i = 0; i < 20; i++) publisher.publish(`${prefix}.rooms.lobby`, json(i));
    await until(
      got,
      20,
      ada,
      'ada to receive 20 messages published right after startNatsBridge resolved',
    );
    expect((got as { data: number }[]).map((m) => m.data)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('relays only subjects with exactly one token after rooms', async () => {
    const { nc, publisher, prefix, join } = await start();
    const ada = await join('lobby');
    const got = inbox(ada);
    publisher.publish(`${prefix}.rooms.lobby.extra`, json('deeper'));
    publisher.publish(`${prefix}.other.lobby`, json('elsewhere'));
    publisher.publish(`${prefix}.rooms`, json('too short'));
    publisher.publish(`${prefix}.rooms.x.lobby`, json('deeper, ending in lobby'));
    publisher.publish(`${prefix}.rooms.lobby`, json('this one'));
    await until(got, 1, ada, 'ada to receive the message on rooms.lobby');
    await settle(publisher, nc, [ada]);
    expect(
      (got as { data: unknown }[]).map((m) => m.data),
      `ada received ${show(got)}. ${lesson.see('Subjects to rooms')}`,
    ).toEqual(['this one']);
  });

  it('drops and counts malformed payloads, and the others keep flowing', async () => {
    const { nc, publisher, prefix, bridge, join } = await start();
    const ada = await join('lobby');
    const got = inbox(ada);
    const bad: [string, Uint8Array][] = [
      ['not JSON', new TextEncoder().encode('{price: 42')],
      ['not UTF-8', new Uint8Array([0x22, 0xff, 0xfe, 0x22])],
      ['nested 2,000 levels', new TextEncoder().encode(`${'['.repeat(2000)}${']'.repeat(2000)}`)],
      ['17 levels deep', json(JSON.parse(`${'['.repeat(17)}1${']'.repeat(17)}`))],
      ['over 16 KiB', json('x'.repeat(17 * 1024))],
      ['empty', new Uint8Array(0)],
    ];
    for (const [i, [, payload]] of bad.entries()) {
      publisher.publish(`${prefix}.rooms.lobby`, payload);
      publisher.publish(`${prefix}.rooms.lobby`, json({ good: i }));
    }
    publisher.publish(
      `${prefix}.rooms.lobby`,
      json(JSON.parse(`${'['.repeat(15)}1${']'.repeat(15)}`)),
    );
    await until(got, bad.length + 1, ada, `ada to receive the ${bad.length + 1} good messages`);
    await settle(publisher, nc, [ada]);
    expect(
      (got as { data: unknown }[]).slice(0, bad.length).map((m) => m.data),
      `ada received ${show(got)}: each bad payload dropped (${bad.map(([what]) => what).join(', ')}). ${lesson.see('Checking payloads')}`,
    ).toEqual(bad.map((_, i) => ({ good: i })));
    expect(got.length, `16 levels deep is fine. ${lesson.see('Checking payloads')}`).toBe(
      bad.length + 1,
    );
    expect(
      bridge.dropped(),
      `dropped() after ${bad.length} bad payloads. ${lesson.see('Checking payloads')}`,
    ).toBe(bad.length);
  });

  it('publishes a member’s publish on <prefix>.from-clients.<room> as { from, data }', async () => {
    const { nc, prefix, join } = await start();
    const ada = await join('lobby');
    const inboxNats = await fromClients(nc, prefix);
    const arrived = inboxNats.next('the client publish to reach NATS');
    const ack = await ada.timeout(5000).emitWithAck('publish', {
      room: 'lobby',
      data: { text: 'hi' },
      from: 'the-admin',
    });
    expect(ack, `the acknowledgement. ${lesson.see('From clients to NATS')}`).toEqual({ ok: true });
    await arrived;
    expect(
      inboxNats.got,
      `NATS received ${show(inboxNats.got)}. ${lesson.see('From clients to NATS')}`,
    ).toEqual([
      { subject: `${prefix}.from-clients.lobby`, data: { from: ada.id, data: { text: 'hi' } } },
    ]);
  });

  it('refuses a publish that is malformed or from a non-member, and sends nothing', async () => {
    const { nc, prefix, join } = await start();
    const ada = await join('lobby');
    const inboxNats = await fromClients(nc, prefix);
    let deep: unknown = 1;
    for (let i = 0; i < 2000; i++) deep = [deep];
    for (const [request, error] of [
      [{ room: 'kitchen', data: 'hi' }, 'NOT_MEMBER'],
      ['lobby', 'INVALID'],
      [null, 'INVALID'],
      [{ room: 'lob.by', data: 'hi' }, 'INVALID'],
      [{ room: '*', data: 'hi' }, 'INVALID'],
      [{ room: 42, data: 'hi' }, 'INVALID'],
      [{ room: 'lobby' }, 'INVALID'],
      [{ room: 'lobby', data: deep }, 'INVALID'],
      [{ room: 'lobby', data: 'x'.repeat(17 * 1024) }, 'INVALID'],
    ] as const) {
      const ack = await ada.timeout(5000).emitWithAck('publish', request);
      expect(ack, `publish ${show(request)}. ${lesson.see('From clients to NATS')}`).toEqual({
        ok: false,
        error,
      });
    }
    ada.emit('publish', { room: 'lobby', data: 'without an ack' });
    const arrived = inboxNats.next('the last publish to reach NATS');
    await ada.timeout(5000).emitWithAck('publish', { room: 'lobby', data: 'last' });
    await arrived;
    await nc.flush();
    expect(
      inboxNats.got.map((m) => (m.data as { data: unknown }).data),
      `NATS received ${show(inboxNats.got)}. ${lesson.see('From clients to NATS')}`,
    ).toEqual(['without an ack', 'last']);
  });

  it('stops relaying and publishing after close()', async () => {
    const { nc, publisher, prefix, bridge, join } = await start();
    const ada = await join('lobby');
    const got = inbox(ada);
    await bridge.close();
    publisher.publish(`${prefix}.rooms.lobby`, json('after close'));
    await settle(publisher, nc, [ada]);
    expect(got, `ada received ${show(got)} after close(). ${lesson.see('Your task')}`).toEqual([]);
  });
});
