import { pollUntil, probeService, withTimeout } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { createScaledEmitter, type ScalingAdapter } from '../../src/scaling/index.ts';
import { client, inbox, startBalancer, startInstances } from './helpers.ts';

const redis = await probeService('redis');

/**
 * A client reaches instance A through a balancer, gets tick 0, loses its connection, and while it
 * is away instance B broadcasts ticks 1–5 to its room; its reconnection is then routed to B.
 * What it gets depends only on the adapter.
 */
async function dropAndMoveToAnotherInstance(
  adapter: ScalingAdapter,
  sendMissed?: (keyPrefix: string) => Promise<void>,
) {
  const { instances, keyPrefix } = await startInstances(redis.url, adapter, 2);
  const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
  for (const { io } of instances) {
    io.on('connection', (socket) => {
      socket.on('subscribe', (room: string, ack: () => void) => {
        void socket.join(room);
        ack();
      });
    });
  }
  const goneFromA = new Promise<string>((resolve) =>
    a.io.once('connection', (socket) => socket.once('disconnect', resolve)),
  );
  const balancer = await startBalancer(a.url);
  const socket = await client(balancer.url, {
    reconnection: true,
    reconnectionDelay: 10,
    randomizationFactor: 0,
    reconnectionAttempts: 50,
  });
  const firstId = socket.id;
  await socket.emitWithAck('subscribe', 'feed');
  const ticks = inbox(socket, 'tick');
  const tick0 = new Promise((resolve) => socket.once('tick', resolve));
  b.io.to('feed').emit('tick', 0);
  await withTimeout(tick0, 'tick 0 before the drop');

  // the link drops; the balancer holds the reconnection until the missed ticks are sent
  balancer.hold();
  balancer.route(b.url);
  const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
  balancer.cut();
  await withTimeout(disconnected, 'the client to see its connection drop');
  expect(await withTimeout(goneFromA, 'instance A to see the client go')).toBe('transport close');
  // A stored the session (streams adapter) with a SET on its Redis connection when it saw the
  // close; a PING on that connection answers after it
  await a.redis.ping();
  if (sendMissed) await sendMissed(keyPrefix);
  else for (let n = 1; n <= 5; n++) b.io.to('feed').emit('tick', n);
  await b.io.fetchSockets(); // every tick is in Redis before the client is let through

  const reconnected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  balancer.release();
  await withTimeout(reconnected, 'the client to reconnect through the balancer to instance B');
  return { a, b, socket, ticks, firstId, balancer };
}

describe.skipIf(redis.skip)('connection state recovery across instances', () => {
  beforeAll(() => redis.require());

  it('streams adapter: a client that reconnects to another instance keeps its id and rooms and gets every missed event once, in order', async () => {
    const { a, b, socket, ticks, firstId } = await dropAndMoveToAnotherInstance('streams');
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(firstId);
    // the missed packets are sent right after the CONNECT; tick 6 comes after them
    const tick6 = new Promise((resolve) => socket.on('tick', (n) => n === 6 && resolve(n)));
    a.io.to('feed').emit('tick', 6); // its room came back with it: a broadcast from A reaches it on B
    await withTimeout(tick6, 'tick 6 after the recovery');
    expect(ticks).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await b.io.in('feed').fetchSockets()).map((s) => s.id)).toEqual([firstId]);
  });

  it('streams adapter: events a process without sockets sent meanwhile are recovered too', async () => {
    const { socket, ticks } = await dropAndMoveToAnotherInstance('streams', async (keyPrefix) => {
      const emitter = await createScaledEmitter({
        redisUrl: redis.url,
        adapter: 'streams',
        keyPrefix,
      });
      for (let n = 1; n <= 5; n++) emitter.io.to('feed').emit('tick', n);
      await emitter.close();
    });
    expect(socket.recovered).toBe(true);
    await pollUntil(
      () => ticks.length >= 6 || undefined,
      'the five missed ticks after the recovery',
    );
    expect(ticks).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('pub/sub adapter: the same client comes back as a new socket, without its rooms, and the missed events are gone', async () => {
    const { a, socket, ticks, firstId } = await dropAndMoveToAnotherInstance('pubsub');
    expect(socket.recovered).toBe(false);
    expect(socket.id).not.toBe(firstId);
    // not in 'feed' any more on any instance: it must subscribe again
    expect(await a.io.in('feed').fetchSockets()).toEqual([]);
    await socket.emitWithAck('subscribe', 'feed');
    const tick6 = new Promise((resolve) => socket.once('tick', resolve));
    a.io.to('feed').emit('tick', 6);
    await withTimeout(tick6, 'tick 6 after subscribing again');
    expect(ticks).toEqual([0, 6]); // 1–5 were published while no subscriber had the client
  });
});
