/**
 * Promised (README, "failing safely"): when Redis or NATS restarts during a broadcast, the
 * instances recover without a restart of their own — their clients (ioredis, nats.js) reconnect
 * and subscribe again, and broadcasts flow as before. What was published while the broker was
 * down is not promised: Redis Pub/Sub and core NATS are at most once (a publish queued by the
 * client while offline may arrive, or not); the Streams adapter and JetStream are the way to keep
 * it. These tests restart brokers of their own, on free loopback ports, never the shared ones.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { canConnect, pollUntil, withTimeout } from '@socketlab/testkit';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../src/balancing/index.ts';
import { bridgeNatsToSocketIo } from '../../src/nats/index.ts';
import type { ScalingAdapter } from '../../src/scaling/index.ts';
import { json, client as natsClient, socketIoServer } from '../nats/helpers.ts';
import { client, inbox, startInstances } from './helpers.ts';

const isCi = process.env.CI === 'true';

/** A server binary: on PATH or in the usual places. */
function find(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter),
    '/usr/sbin',
    '/usr/local/bin',
    '/usr/bin',
  ];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

const redisServer = find('redis-server');
const natsServer = find('nats-server');
for (const [name, binary, install] of [
  ['redis-server', redisServer, 'apt-get install redis-server'],
  ['nats-server', natsServer, 'apt-get install nats-server'],
] as const) {
  if (binary === undefined && !isCi) {
    console.warn(
      `skipped: ${name} is not installed (${install}): these tests restart one of their own`,
    );
  }
}

/** A broker process of our own on `port`, started and killed at will; killed when the test ends. */
function broker(command: string, args: string[], port: number) {
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn(command, args, { stdio: 'ignore' });
    child = started;
    onTestFinished(() => {
      if (started.exitCode === null && started.signalCode === null) started.kill('SIGKILL');
    });
    await pollUntil(
      () => canConnect('127.0.0.1', port, 200),
      `${path.basename(command)} on port ${port}`,
      {
        ms: 10_000,
      },
    );
  };
  const crash = async (): Promise<void> => {
    const current = child;
    if (current === undefined || current.exitCode !== null) return;
    const gone = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await withTimeout(gone, `${path.basename(command)} to exit`);
  };
  return { start, crash };
}

describe.skipIf(redisServer === undefined && !isCi).each<ScalingAdapter>(['pubsub', 'streams'])(
  'Redis restarts during a broadcast (%s adapter)',
  (adapter) => {
    beforeAll(() => {
      if (redisServer === undefined)
        throw new Error('redis-server is not installed (CI=true: a failure)');
    });

    it('the instances reconnect on their own, and broadcasts reach every instance again', async () => {
      const port = await freePort();
      const redis = broker(
        redisServer as string,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        port,
      );
      await redis.start();
      const url = `redis://127.0.0.1:${port}`;
      const errors: Error[] = [];
      const { instances } = await startInstances(url, adapter, 2, {
        keyPrefix: 'restart',
        onRedisError: (error) => errors.push(error),
      });
      const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
      b.io.on('connection', (socket) => void socket.join('feed'));
      const socket = await client(b.url);
      const ticks = inbox(socket, 'tick') as number[];
      await pollUntil(() => b.io.sockets.sockets.size === 1, 'the client to be in its room');

      a.io.to('feed').emit('tick', 0);
      await pollUntil(() => ticks.length === 1, 'tick 0, before the restart');

      await redis.crash();
      for (let n = 1; n <= 10; n++) a.io.to('feed').emit('tick', n); // while Redis is down
      await redis.start();

      // Back: a probe from A reaches B's client once both have reconnected and subscribed again.
      let probe = 1_000;
      await pollUntil(
        () => {
          if (ticks.some((n) => n >= 1_000)) return true;
          a.io.to('feed').emit('tick', probe++);
          return false;
        },
        'a broadcast from A to reach B after the restart',
        { ms: 15_000, intervalMs: 100 },
      );
      // then every broadcast arrives, in order
      const before = ticks.length;
      for (let n = 2_000; n < 2_020; n++) a.io.to('feed').emit('tick', n);
      await pollUntil(() => ticks.includes(2_019), 'the burst after the restart');
      const burst = ticks.slice(before).filter((n) => n >= 2_000);
      expect(burst).toEqual(Array.from({ length: 20 }, (_, i) => 2_000 + i));
      // the same instances, never restarted, and the client never dropped; what ioredis met while
      // it reconnected went to onRedisError, not to the console
      expect(socket.connected).toBe(true);
      expect(a.redis.status).toBe('ready');
      expect(
        errors.every((e) => /ECONNRESET|ECONNREFUSED|Connection is closed/.test(e.message)),
        String(errors),
      ).toBe(true);
      // closed while Redis runs (the hooks would kill it first)
      await Promise.all(instances.map((instance) => instance.close()));
    });

    /** A Redis of the test's own on a free port, and one instance on it (300 ms connect timeout). */
    async function oneInstanceOnItsOwnRedis(keyPrefix: string) {
      const port = await freePort();
      const redis = broker(
        redisServer as string,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        port,
      );
      await redis.start();
      const { instances } = await startInstances(`redis://127.0.0.1:${port}`, adapter, 1, {
        keyPrefix,
        connectTimeoutMs: 300,
      });
      return { port, redis, instance: instances[0] as (typeof instances)[0] };
    }

    it('close() with Redis gone still resolves: its connections are dropped after connectTimeoutMs', async () => {
      const { redis, instance: a } = await oneInstanceOnItsOwnRedis('gone');
      await redis.crash();
      await withTimeout(a.close(), 'close() with Redis gone', 5_000);
      expect(a.redis.status).not.toBe('ready');
    });

    it('messages sent while Redis does not answer, then close(): no unhandled rejection', async () => {
      const { port, instance: a } = await oneInstanceOnItsOwnRedis('queued');
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
      // Redis stays connected but answers nothing: commands wait on the open connections, and
      // close() drops those after connectTimeoutMs, which rejects every one still waiting.
      const admin = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true });
      await admin.connect();
      await admin.call('CLIENT', 'PAUSE', '10000', 'ALL');
      admin.disconnect();
      // Both adapters PUBLISH these without handling the answer.
      a.io.to('room:acme').emit('price', 1);
      a.io.serverSideEmit('hello');
      await withTimeout(a.close(), 'close() with Redis gone', 5_000);
      // The dropped connections close (and reject what waited on them) after close() resolved.
      await pollUntil(() => a.redis.status === 'end', 'the main connection to end');
      // An unhandled rejection is reported once the microtasks of its turn have run.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.map(String)).toEqual([]);
    });
  },
);

describe.skipIf(natsServer === undefined && !isCi)('NATS restarts during a broadcast', () => {
  beforeAll(() => {
    if (natsServer === undefined)
      throw new Error('nats-server is not installed (CI=true: a failure)');
  });

  it('the bridge’s connection reconnects and subscribes again; messages reach the room again', async () => {
    const port = await freePort();
    const nats = broker(natsServer as string, ['-a', '127.0.0.1', '-p', String(port)], port);
    await nats.start();
    const options = {
      servers: `nats://127.0.0.1:${port}`,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 50,
    };
    const nc = await connect(options);
    const publisher = await connect(options);
    // Closed here, while the broker runs (closing a connection that is reconnecting rejects its
    // flush); the hook is for a test that failed before the end.
    const closeAll = async (): Promise<void> => {
      await bridge.close();
      await Promise.all([nc.close(), publisher.close()]);
    };
    const { io, url } = await socketIoServer();
    io.on('connection', (socket) => void socket.join('room:acme'));
    const bridge = await bridgeNatsToSocketIo({
      nc,
      io,
      subjects: [{ subject: 'prices.*', room: (s) => `room:${s.split('.')[1]}` }],
    });
    onTestFinished(() => closeAll().catch(() => {}));
    const socket = await natsClient(url);
    const seen: number[] = [];
    socket.on('nats:message', (m: { data: number }) => seen.push(m.data));
    await pollUntil(() => io.sockets.sockets.size === 1, 'the client to be in its room');

    publisher.publish('prices.acme', json(0));
    await pollUntil(() => seen.length === 1, 'price 0, before the restart');

    await nats.crash();
    for (let n = 1; n <= 10; n++) publisher.publish('prices.acme', json(n)); // while NATS is down
    await nats.start();

    let probe = 1_000;
    await pollUntil(
      () => {
        if (seen.some((n) => n >= 1_000)) return true;
        publisher.publish('prices.acme', json(probe++));
        return false;
      },
      'a price to reach the room after the restart',
      { ms: 15_000, intervalMs: 100 },
    );
    const before = seen.length;
    for (let n = 2_000; n < 2_020; n++) publisher.publish('prices.acme', json(n));
    await pollUntil(() => seen.includes(2_019), 'the burst after the restart');
    expect(seen.slice(before).filter((n) => n >= 2_000)).toEqual(
      Array.from({ length: 20 }, (_, i) => 2_000 + i),
    );
    expect(bridge.stats.relayed).toBe(seen.length);
    expect(socket.connected).toBe(true);
    expect(nc.isClosed()).toBe(false);
    await closeAll();
  });
});
