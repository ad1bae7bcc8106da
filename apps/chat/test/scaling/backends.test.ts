/**
 * The scaled backends under a bare Socket.IO server (no chat app): what one instance sends
 * through its fan-out reaches the room's sockets on every instance, and only them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeService, withTimeout } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createNatsBackend, createRedisBackend } from '../../src/backends/index.ts';
import { type ChatBackend, type ChatFanout, socketRoom } from '../../src/store/types.ts';
import { natsPrefix, redisPrefix } from '../store/namespaces.ts';

const redis = await probeService('redis');
const nats = await probeService('nats');

/** A Socket.IO server on `backend`, listening on a free port; sockets join the room they ask for. */
async function instance(backend: ChatBackend): Promise<{ url: string; fanout: ChatFanout }> {
  const httpServer = createServer();
  const io = new Server(httpServer, { ...backend.serverOptions });
  io.on('connection', (socket) => {
    const room = socket.handshake.query.room;
    if (typeof room === 'string') socket.join(socketRoom(room));
  });
  const fanout = await backend.attach(io);
  onTestFinished(async () => {
    await io.close();
    await backend.close();
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, fanout };
}

function client(url: string, room: string) {
  return connectSocketIo(url, `a client of ${url} in ${room}`, {
    transports: ['websocket'],
    query: { room },
  });
}

/** The first argument of the next `event` on `socket`, bounded. */
function nextEvent(socket: Socket, event: string): Promise<unknown> {
  return withTimeout(new Promise((resolve) => socket.once(event, resolve)), `${event} on a client`);
}

async function crossesInstances(make: () => ChatBackend): Promise<void> {
  const a = await instance(make());
  const b = await instance(make());
  const onA = await client(a.url, 'r');
  const onB = await client(b.url, 'r');
  const elsewhere = await client(b.url, 'other');
  const missed: unknown[] = [];
  elsewhere.on('message', (m: unknown) => missed.push(m));
  const gotA = nextEvent(onA, 'message');
  const gotB = nextEvent(onB, 'message');
  a.fanout.toRoom('r', 'message', { text: 'from a' });
  expect(await gotA).toEqual({ text: 'from a' });
  expect(await gotB).toEqual({ text: 'from a' });
  const everyone = nextEvent(elsewhere, 'rooms');
  const alsoA = nextEvent(onA, 'rooms');
  b.fanout.toAll('rooms', [{ name: 'r', members: 2, lastSeq: 0 }]);
  expect(await everyone).toEqual([{ name: 'r', members: 2, lastSeq: 0 }]);
  expect(await alsoA).toEqual([{ name: 'r', members: 2, lastSeq: 0 }]);
  expect(missed).toEqual([]);
}

describe.skipIf(redis.skip)('the Redis backend', () => {
  beforeAll(() => redis.require());

  it('carries room and global events to every instance', async () => {
    const keyPrefix = redisPrefix(redis.url);
    await crossesInstances(() => createRedisBackend({ url: redis.url, keyPrefix }));
  });

  it('refuses to attach when Redis does not answer, saying so', async () => {
    const backend = createRedisBackend({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    onTestFinished(() => backend.close());
    const io = new Server(createServer(), { ...backend.serverOptions });
    onTestFinished(() => io.close());
    await expect(backend.attach(io)).rejects.toThrow(/did not answer within 300 ms/);
  });
});

describe.skipIf(nats.skip)('the NATS backend', () => {
  beforeAll(() => nats.require());

  it('refuses to attach when NATS does not answer, saying so', async () => {
    const backend = createNatsBackend({ url: 'nats://127.0.0.1:1' });
    onTestFinished(() => backend.close());
    const io = new Server(createServer(), { ...backend.serverOptions });
    onTestFinished(() => io.close());
    await expect(backend.attach(io)).rejects.toThrow(/start it with JetStream/);
  });

  it('carries room and global events to every instance', async () => {
    const prefix = natsPrefix(nats.url);
    await crossesInstances(() => createNatsBackend({ url: nats.url, prefix }));
  });
});
