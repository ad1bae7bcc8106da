/**
 * Memory held for one stalled subscriber of a conflated feed (stage 5's ConflatingFeed served by
 * the app's feed namespace, as telemetry and prices are): UPDATES updates over KEYS keys, the
 * subscriber never acks its first batch. Baseline in the same run: a queue of every update for
 * that subscriber, what a non-conflating fan-out holds.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConflatingFeed } from '@socketlab/distributed';
import { BENCH_QUICK, type BenchRow, withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { serveFeedNamespace } from '../src/server/feed-namespace.ts';
import { gc } from './helpers.ts';

const UPDATES = BENCH_QUICK ? 20_000 : 200_000;
const KEYS = 100;
const update = (i: number) => ({ price: i, sequence: i, timestamp: 1_700_000_000_000 + i });

function heapAfter(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function conflated(): Promise<number> {
  const http = createServer();
  const server = new Server(http);
  const feed = new ConflatingFeed<string, unknown>({ maxKeys: KEYS * 2 });
  const served = serveFeedNamespace(server, {
    namespace: '/feed',
    event: 'feed',
    authenticate: () => 'bench',
    feed,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}/feed`, {
    transports: ['websocket'],
    auth: { token: 'x' },
  });
  client.on('feed', () => {}); // never acks: stalled after the first batch
  await withTimeout(
    new Promise<void>((resolve) => client.once('connect', () => resolve())),
    'the subscriber',
  );
  const before = heapAfter();
  for (let i = 0; i < UPDATES; i++) feed.publish(`k${i % KEYS}`, update(i));
  const held = heapAfter() - before;
  client.disconnect();
  served.close();
  await server.close();
  return Math.max(held, 1);
}

function queued(): number {
  const before = heapAfter();
  const queue: { key: string; value: unknown }[] = [];
  for (let i = 0; i < UPDATES; i++) queue.push({ key: `k${i % KEYS}`, value: update(i) });
  const held = heapAfter() - before;
  if (queue.length !== UPDATES) throw new Error('the queue lost updates');
  return held;
}

export async function rows(): Promise<BenchRow[]> {
  const value = await conflated();
  const baselineValue = queued();
  return [
    {
      bench: `stalled-subscriber-${UPDATES}-updates`,
      unit: 'bytes held (lower is better)',
      value,
      baseline: 'queue of every update',
      baselineValue,
      ratio: value / baselineValue,
    },
  ];
}
