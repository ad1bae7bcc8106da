/**
 * Fan-out to many Socket.IO clients (1,000; 50 with BENCH_QUICK=1), spread evenly over k = 1, 2
 * and 3 instances, against one instance with the in-memory adapter, in the same run:
 * - Redis: instances made with `createScaledServer({ adapter: 'pubsub' })` on one Redis with a
 *   key prefix of their own; a backend emits each message with `createScaledEmitter`, so every
 *   instance (even the only one) gets it from Redis Pub/Sub and sends it to its own clients;
 * - NATS: plain instances, each with `bridgeNatsToSocketIo` from one subject to one room every
 *   client is in; the backend publishes each message on the subject;
 * - in-memory (the baseline): one instance, `io.emit` in the process, no broker.
 * A batch of 20 messages (10 quick) ends when every client has received all of them (bounded);
 * each set-up is measured in two windows of 1 s (one of 100 ms quick), and the set-ups are run
 * in order then in reverse order (once quick); the best of each counts.
 * Unit: deliveries (message × client) per second. Servers, clients and the backend share one process
 * (and the broker its two cores): the ratios say what the broker hop costs, not what separate
 * machines would reach.
 *   pnpm --filter @socketlab/distributed bench fanout
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect as connectNats } from '@nats-io/transport-node';
import {
  BENCH_QUICK,
  type BenchCase,
  type BenchRow,
  measureOpsPerSecond,
  probeService,
  type ServiceProbe,
  withTimeout,
} from '@socketlab/testkit';
import { createRealtimeServer } from '@socketlab/websockets/realtime';
import { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { bridgeNatsToSocketIo, createScaledEmitter, createScaledServer } from '../src/index.ts';

const CLIENTS = BENCH_QUICK ? 50 : 1_000;
/** Messages per batch. */
const BATCH = BENCH_QUICK ? 10 : 20;
const BUDGET_MS = BENCH_QUICK ? 100 : 1_000;
/** Measurement windows per set-up; the best counts. */
const WINDOWS = BENCH_QUICK ? 1 : 2;
/** Bound on any single wait (connecting a client, a batch reaching every client). */
export const STEP_MS = 15_000;
/** A 64-byte payload. */
const PAYLOAD = 'x'.repeat(64);
const ROOM = 'all';

/**
 * Whether `service` answers: a missing one prints one line (what to start) and the area is
 * skipped, except under CI=true, where it throws.
 */
export async function needService(name: 'redis' | 'nats' | 'rabbitmq'): Promise<ServiceProbe> {
  const probe = await probeService(name);
  if (!probe.skip) probe.require();
  return probe;
}

/** Listens on 127.0.0.1 port 0; resolves with the URL. */
export async function listen(io: Server): Promise<string> {
  await new Promise<void>((resolve) => io.httpServer.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(io.httpServer.address() as AddressInfo).port}`;
}

/** `count` socket.io-clients (WebSocket only), spread round robin over `urls`, 100 at a time. */
export async function connectClients(urls: readonly string[], count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < count; i += 100) {
      const wave: Promise<void>[] = [];
      for (let j = i; j < Math.min(count, i + 100); j++) {
        const socket = connectClient(urls[j % urls.length] as string, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
        });
        sockets.push(socket);
        wave.push(
          new Promise<void>((resolve, reject) => {
            socket.once('connect', () => resolve());
            socket.once('connect_error', reject);
          }),
        );
      }
      await withTimeout(Promise.all(wave), `bench: ${wave.length} clients to connect`, STEP_MS);
    }
    return sockets;
  } catch (error) {
    for (const socket of sockets) socket.disconnect();
    throw error;
  }
}

/** One set-up to measure: where the clients connect, how to broadcast, how to tear it down. */
interface FanoutSetup {
  urls: string[];
  /** Resolves once an instance has `count` sockets in the room (so a broadcast reaches all). */
  joined(count: number): Promise<void>;
  broadcast(payload: string): void;
  close(): Promise<void>;
}

/** What one set-up achieved: per second of wall clock, and per second of this process's CPU. */
interface Delivered {
  perSecond: number;
  perCpuSecond: number;
}

/** Deliveries to CLIENTS clients on `setup`, which is closed afterwards. */
async function deliveries(setup: FanoutSetup): Promise<Delivered> {
  let clients: Socket[] = [];
  try {
    clients = await connectClients(setup.urls, CLIENTS);
    await withTimeout(setup.joined(CLIENTS), 'bench: every client in the room', STEP_MS);
    let received = 0;
    let waiting: { until: number; resolve: () => void } | undefined;
    for (const socket of clients) {
      socket.on('m', () => {
        received++;
        if (waiting !== undefined && received >= waiting.until) waiting.resolve();
      });
    }
    const batches: BenchCase = {
      name: 'fanout',
      run: async (n) => {
        const until = received + n * CLIENTS;
        const done = new Promise<void>((resolve) => {
          waiting = { until, resolve };
        });
        for (let i = 0; i < n; i++) setup.broadcast(PAYLOAD);
        await withTimeout(done, `bench: ${n} messages to reach ${CLIENTS} clients`, STEP_MS);
      },
    };
    // the best of a few windows: the cores are shared, a window can lose its time slices
    let perSecond = 0;
    const cpuBefore = process.cpuUsage();
    const receivedBefore = received;
    for (let w = 0; w < WINDOWS; w++) {
      const options = { batch: BATCH, budgetMs: BUDGET_MS, maxBatches: 1_000 };
      perSecond = Math.max(perSecond, await measureOpsPerSecond(batches, options));
    }
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      perSecond: perSecond * CLIENTS,
      perCpuSecond: (received - receivedBefore) / cpuSeconds,
    };
  } finally {
    for (const socket of clients) socket.disconnect();
    await setup.close();
  }
}

/** Counts the sockets of `io`'s own instance in the room, until there are `count` (bounded). */
async function localRoom(ios: readonly Server[], count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const total = ios.reduce((sum, io) => sum + (io.sockets.adapter.rooms.get(ROOM)?.size ?? 0), 0);
    if (total >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`bench: fewer than ${count} sockets joined ${ROOM}`);
}

const joinOnConnect = (io: Server): void => {
  io.on('connection', (socket) => {
    socket.join(ROOM);
  });
};

async function inMemory(): Promise<FanoutSetup> {
  const io = createRealtimeServer({ connectionStateRecovery: false });
  joinOnConnect(io);
  const url = await listen(io);
  return {
    urls: [url],
    joined: (count) => localRoom([io], count),
    broadcast: (payload) => io.to(ROOM).emit('m', payload),
    close: () => io.close(),
  };
}

async function overRedis(redisUrl: string, keyPrefix: string, k: number): Promise<FanoutSetup> {
  const servers: Awaited<ReturnType<typeof createScaledServer>>[] = [];
  let emitter: Awaited<ReturnType<typeof createScaledEmitter>> | undefined;
  const close = async (): Promise<void> => {
    await emitter?.close();
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    const urls: string[] = [];
    for (let i = 0; i < k; i++) {
      const scaled = await createScaledServer({
        redisUrl,
        adapter: 'pubsub',
        keyPrefix,
        connectionStateRecovery: false,
      });
      servers.push(scaled);
      joinOnConnect(scaled.io);
      urls.push(await listen(scaled.io));
    }
    emitter = await createScaledEmitter({ redisUrl, adapter: 'pubsub', keyPrefix });
    const { io } = emitter;
    return {
      urls,
      joined: (count) =>
        localRoom(
          servers.map((s) => s.io),
          count,
        ),
      broadcast: (payload) => io.to(ROOM).emit('m', payload),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function overNats(natsUrl: string, subject: string, k: number): Promise<FanoutSetup> {
  const publisher = await connectNats({ servers: natsUrl, name: 'socketlab-bench-publisher' });
  const parts: { io: Server; close: () => Promise<void> }[] = [];
  const close = async (): Promise<void> => {
    for (const part of parts) await part.close();
    await publisher.drain();
  };
  try {
    const urls: string[] = [];
    for (let i = 0; i < k; i++) {
      const io = createRealtimeServer({ connectionStateRecovery: false });
      joinOnConnect(io);
      const nc = await connectNats({ servers: natsUrl, name: `socketlab-bench-instance-${i}` });
      const bridge = await bridgeNatsToSocketIo({
        nc,
        io,
        subjects: [{ subject, room: () => ROOM, event: 'm' }],
      });
      parts.push({
        io,
        close: async () => {
          await bridge.close();
          await nc.drain();
          await io.close();
        },
      });
      urls.push(await listen(io));
    }
    const bytes = new TextEncoder().encode(JSON.stringify(PAYLOAD));
    return {
      urls,
      joined: (count) =>
        localRoom(
          parts.map((p) => p.io),
          count,
        ),
      broadcast: () => publisher.publish(subject, bytes),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Deletes what the run left under `prefix` (the pub/sub adapter keeps no keys; this checks). */
async function dropKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

const IN_MEMORY = `1 instance in-memory, ${CLIENTS} clients`;
/** Deliveries per second of this process's CPU (user + system): what the load on the machine does not change. */
const CPU_UNIT = 'deliveries per CPU-second of the process';

function row(
  bench: string,
  unit: string,
  value: number,
  baseline: string,
  baselineValue: number,
): BenchRow {
  return { bench, unit, value, baseline, baselineValue, ratio: value / baselineValue };
}

/** The fan-out area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const redis = await needService('redis');
  const nats = await needService('nats');
  const keyPrefix = `bench-fanout-${randomUUID().slice(0, 8)}`;
  const subject = `bench.fanout.${randomUUID().slice(0, 8)}`;
  const setups: { bench: string; make: () => Promise<FanoutSetup> }[] = [
    { bench: 'in-memory', make: inMemory },
  ];
  for (const k of [1, 2, 3]) {
    if (!redis.skip)
      setups.push({
        bench: `fanout-redis-${k}-instances`,
        make: () => overRedis(redis.url, keyPrefix, k),
      });
    if (!nats.skip)
      setups.push({
        bench: `fanout-nats-${k}-instances`,
        make: () => overNats(nats.url, subject, k),
      });
  }
  // every set-up in order, then (full run) in reverse order, the best of each counts: a set-up
  // measured while the machine was busier gets a second chance at the other end of the run
  const best = new Map<string, Delivered>();
  try {
    const order = BENCH_QUICK ? setups : [...setups, ...[...setups].reverse()];
    for (const setup of order) {
      const got = await deliveries(await setup.make());
      const before = best.get(setup.bench) ?? { perSecond: 0, perCpuSecond: 0 };
      best.set(setup.bench, {
        perSecond: Math.max(before.perSecond, got.perSecond),
        perCpuSecond: Math.max(before.perCpuSecond, got.perCpuSecond),
      });
    }
  } finally {
    if (!redis.skip) await dropKeys(redis.url, keyPrefix);
  }
  const memory = best.get('in-memory') ?? { perSecond: 0, perCpuSecond: 0 };
  const out: BenchRow[] = [];
  for (const { bench } of setups) {
    const got = best.get(bench);
    if (bench === 'in-memory' || got === undefined) continue;
    out.push(row(bench, 'deliveries/s', got.perSecond, IN_MEMORY, memory.perSecond));
  }
  for (const broker of ['redis', 'nats']) {
    const one = best.get(`fanout-${broker}-1-instances`);
    const three = best.get(`fanout-${broker}-3-instances`);
    if (one === undefined || three === undefined) continue;
    const overOne = `1 instance over ${broker}`;
    out.push(
      row(
        `fanout-${broker}-3-vs-1`,
        'deliveries/s (goal >= 0.8)',
        three.perSecond,
        overOne,
        one.perSecond,
      ),
      row(`fanout-${broker}-3-vs-1-cpu`, CPU_UNIT, three.perCpuSecond, overOne, one.perCpuSecond),
      row(`fanout-${broker}-3-cpu`, CPU_UNIT, three.perCpuSecond, IN_MEMORY, memory.perCpuSecond),
    );
  }
  return out;
}
