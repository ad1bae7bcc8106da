import { pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  broadcast,
  type ConnectionCloseReason,
  createConnectionManager,
  listenManagedTcp,
  type ManagedConnection,
  type MultiplexingError,
  type SlowConsumerPolicy,
} from '../../src/index.ts';
import { manyClients, stalledClient } from '../helpers/clients.ts';

const HIGH_WATER = 256 * 1024;
const MESSAGE_BYTES = 32 * 1024;
/** 20 MiB per client: well past what the kernel's socket buffers absorb on loopback. */
const MESSAGES = 640;

/**
 * Three clients that read and one that never does; the server broadcasts 20 MiB to all of them
 * (as raw TCP: every client counts bytes), pacing itself on the readers only, and records the
 * most it ever held for the one that does not read.
 */
async function broadcastToOneStalled(slowConsumerPolicy: SlowConsumerPolicy) {
  const manager = createConnectionManager({
    maxBufferedBytes: HIGH_WATER,
    slowConsumerPolicy,
    closeTimeoutMs: 300,
  });
  const listener = await listenManagedTcp({ manager });
  onTestFinished(async () => {
    await manager.shutdown({ closeTimeoutMs: 200 });
  });
  const readers = await manyClients(listener.address.port, 3);
  await pollUntil(() => manager.size === 3, 'the readers admitted');
  const readerConns = new Set(manager.connections);
  await stalledClient(listener.address.port);
  await pollUntil(() => manager.size === 4, 'the stalled client admitted');
  const slow = [...manager.connections].find((c) => !readerConns.has(c)) as ManagedConnection;
  const closes: [ConnectionCloseReason, Error | undefined][] = [];
  manager.on('close', (_conn, reason, error) => closes.push([reason, error]));

  let mostHeld = 0;
  let mostInSocket = 0;
  const outcomes = { sent: 0, queued: 0, dropped: 0, overflow: 0, closed: 0 };
  for (let i = 0; i < MESSAGES; i++) {
    const message = Buffer.alloc(MESSAGE_BYTES, i % 251);
    const result = broadcast(manager.connections, message);
    for (const key of Object.keys(outcomes) as (keyof typeof outcomes)[])
      outcomes[key] += result[key];
    mostHeld = Math.max(mostHeld, slow.bufferedBytes);
    mostInSocket = Math.max(mostInSocket, slow.transport.bufferedAmount);
    // Pace on the readers (as a real server would on its healthy clients), never on the slow one.
    if ([...readerConns].some((c) => c.bufferedBytes > HIGH_WATER / 2)) {
      await pollUntil(
        () => [...readerConns].every((c) => c.bufferedBytes <= HIGH_WATER / 4),
        'the readers to catch up',
        { intervalMs: 1, maxTries: 10_000 },
      );
    }
  }
  const total = MESSAGES * MESSAGE_BYTES;
  await pollUntil(
    () => readers.every((r) => r.received.bytes === total),
    'every reader to get all',
    {
      ms: 15_000,
      intervalMs: 5,
    },
  );
  return { manager, slow, readers, readerConns, closes, mostHeld, mostInSocket, outcomes };
}

describe('broadcast to a client that never reads', () => {
  it('drop-oldest: the server holds at most the high-water mark for it; the others get every byte', async () => {
    const { slow, readers, readerConns, mostHeld, mostInSocket, outcomes } =
      await broadcastToOneStalled('drop-oldest');
    expect(mostHeld).toBeLessThanOrEqual(HIGH_WATER);
    // The limit was really reached (the kernel's buffers are full), and messages were dropped.
    expect(mostHeld).toBeGreaterThan(HIGH_WATER - MESSAGE_BYTES);
    expect(mostInSocket).toBeLessThanOrEqual(HIGH_WATER);
    expect(slow.droppedMessages).toBeGreaterThan(0);
    expect(slow.state).toBe('open');
    for (const conn of readerConns) expect(conn.droppedMessages).toBe(0);
    expect(readers.map((r) => r.received.bytes)).toEqual(
      [1, 2, 3].map(() => MESSAGES * MESSAGE_BYTES),
    );
    expect(outcomes.overflow).toBe(0);
    console.info(
      `drop-oldest: held at most ${mostHeld} B (socket ${mostInSocket} B) for the stalled client; dropped ${slow.droppedMessages}/${MESSAGES} messages`,
    );
  });

  it('disconnect: the slow client is closed with MULTIPLEXING_ERR_SLOW_CONSUMER; the others get every byte', async () => {
    const { slow, readers, closes, mostHeld, outcomes } = await broadcastToOneStalled('disconnect');
    expect(mostHeld).toBeLessThanOrEqual(HIGH_WATER);
    expect(outcomes.overflow).toBe(1);
    expect(outcomes.closed).toBeGreaterThan(0);
    await withTimeout(slow.closed, 'the slow client to be closed');
    expect(closes).toHaveLength(1);
    expect(closes[0]?.[0]).toBe('slow-consumer');
    expect((closes[0]?.[1] as MultiplexingError | undefined)?.code).toBe(
      'MULTIPLEXING_ERR_SLOW_CONSUMER',
    );
    expect(readers.map((r) => r.received.bytes)).toEqual(
      [1, 2, 3].map(() => MESSAGES * MESSAGE_BYTES),
    );
  });
});

describe("a high-water mark no larger than Node's own socket buffer (64 KiB since Node 22)", () => {
  it('drop-oldest still delivers the newest message: the socket is not allowed to take the whole mark', async () => {
    const mark = 64 * 1024;
    const size = 4096;
    const manager = createConnectionManager({
      maxBufferedBytes: mark,
      slowConsumerPolicy: 'drop-oldest',
    });
    const listener = await listenManagedTcp({ manager });
    onTestFinished(async () => {
      await manager.shutdown({ closeTimeoutMs: 200 });
    });
    const stalled = await stalledClient(listener.address.port);
    await pollUntil(() => manager.size === 1, 'the stalled client admitted');
    const slow = [...manager.connections][0] as ManagedConnection;
    const message = (seq: number): Buffer =>
      Buffer.from(`${String(seq).padStart(6, '0')} `.padEnd(size - 1, 'x').concat('\n'));
    // Until the mark is reached (the kernel's buffers, ~4 MiB on loopback, are full), then 64 more.
    let total = 0;
    let stopAt = 6144;
    for (; total < stopAt; total++) {
      slow.send(message(total));
      if (stopAt === 6144 && slow.droppedMessages > 0) stopAt = total + 1 + 64;
    }
    expect(slow.droppedMessages).toBeGreaterThan(0);
    expect(slow.bufferedBytes).toBeLessThanOrEqual(mark);
    const newest = message(total - 1).toString('latin1');
    let received = '';
    stalled.setEncoding('latin1');
    stalled.on('data', (text: string) => {
      received = (received + text).slice(-2 * size);
    });
    stalled.resume();
    await pollUntil(
      () => received.endsWith(newest),
      `the newest message (${total - 1}) once the client reads (the socket held ${slow.transport.bufferedAmount} B)`,
      { ms: 10_000, intervalMs: 5 },
    );
    expect(slow.state).toBe('open');
  });
});
