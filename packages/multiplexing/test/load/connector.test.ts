import { connectTcp, listenTestServer, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { MultiplexingError } from '../../src/errors.ts';
import {
  createReplyQueue,
  type LoadConnection,
  type LoadConnector,
  runLoad,
} from '../../src/load/index.ts';

describe('createReplyQueue', () => {
  it('yields what was pushed in order, then ends after end(), or throws after fail()', async () => {
    const clean = createReplyQueue();
    for (let i = 0; i < 1_000; i++) clean.push(Uint8Array.of(i & 0xff, i >> 8));
    clean.end();
    clean.push(Uint8Array.of(0xff)); // after end(): ignored
    const got: number[] = [];
    for await (const reply of clean.replies)
      got.push((reply[0] as number) | ((reply[1] as number) << 8));
    expect(got).toEqual(Array.from({ length: 1_000 }, (_, i) => i));

    const lost = createReplyQueue();
    lost.push(Uint8Array.of(1));
    lost.fail(new Error('gone'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const reply of lost.replies) seen.push(reply[0] as number);
      })(),
    ).rejects.toThrow('gone');
    expect(seen).toEqual([1]);
  });

  it('wakes a reader that waits for the next reply', async () => {
    const queue = createReplyQueue();
    const iterator = queue.replies[Symbol.asyncIterator]();
    const next = iterator.next();
    queue.push(Uint8Array.of(7));
    expect(await withTimeout(next, 'the pushed reply', 2_000)).toEqual({
      done: false,
      value: Uint8Array.of(7),
    });
    const last = iterator.next();
    queue.end();
    expect(await withTimeout(last, 'the end', 2_000)).toEqual({ done: true, value: undefined });
  });
});

interface MemoryStats {
  opened: number;
  closed: number;
  corks: number;
  drains: number;
}

/**
 * An in-memory echo: each message comes back on the next macrotask (a copy, so the generator's
 * buffer is not shared). `drainEvery` > 0 reports a full buffer after every n-th message, and
 * room again on the next macrotask.
 */
function memoryEcho({ drainEvery = 0 } = {}): { connect: LoadConnector; stats: MemoryStats } {
  const stats: MemoryStats = { opened: 0, closed: 0, corks: 0, drains: 0 };
  const connect: LoadConnector = async () => {
    stats.opened++;
    const queue = createReplyQueue();
    let sent = 0;
    let full = false;
    let corked = false;
    const connection: LoadConnection = {
      send(message) {
        const copy = Uint8Array.from(message);
        sent++;
        if (drainEvery > 0 && sent % drainEvery === 0) full = true;
        setImmediate(() => queue.push(copy));
      },
      replies: queue.replies,
      needsDrain: () => full,
      onceDrain(callback) {
        stats.drains++;
        setImmediate(() => {
          full = false;
          callback();
        });
      },
      cork() {
        expect(corked).toBe(false);
        corked = true;
        stats.corks++;
      },
      uncork() {
        expect(corked).toBe(true);
        corked = false;
      },
      close() {
        stats.closed++;
        queue.end();
      },
    };
    return connection;
  };
  return { connect, stats };
}

/**
 * A connector with framing of its own over real TCP: each message behind a u16 big-endian
 * length, the replies read back the same way; corked and drained on the `net.Socket`.
 */
function u16Connector(port: number, seen: { opened: number }): LoadConnector {
  return async () => {
    const socket = await connectTcp(port);
    seen.opened++;
    async function* replies(): AsyncGenerator<Uint8Array> {
      let pending = Buffer.alloc(0);
      for await (const chunk of socket as AsyncIterable<Buffer>) {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const size = pending.readUInt16BE(0);
          yield pending.subarray(2, 2 + size);
          pending = pending.subarray(2 + size);
        }
      }
    }
    return {
      send(message) {
        const header = Buffer.alloc(2);
        header.writeUInt16BE(message.length);
        socket.write(header);
        socket.write(message);
      },
      replies: replies(),
      needsDrain: () => socket.writableNeedDrain,
      onceDrain: (callback) => {
        socket.once('drain', callback);
      },
      cork: () => socket.cork(),
      uncork: () => socket.uncork(),
      close: () => socket.destroy(),
    };
  };
}

describe('runLoad through a custom connector', () => {
  it('drives a TCP byte echo through a connector that frames its own messages', async () => {
    const server = await listenTestServer((socket) => socket.pipe(socket));
    const seen = { opened: 0 };
    const report = await withTimeout(
      runLoad({
        connect: u16Connector(server.port, seen),
        targetName: `127.0.0.1:${server.port} (u16 framing)`,
        connections: 4,
        messagesPerSecond: 400,
        durationMs: 500,
        messageBytes: 1000,
        maxInFlight: 4,
      }),
      'the load run',
      15_000,
    );
    expect(report.stoppedBy).toBe('completed');
    expect(report.target).toBe(`127.0.0.1:${server.port} (u16 framing)`);
    expect(report.counts).toMatchObject({
      scheduled: 200,
      sent: 200,
      received: 200,
      unanswered: 0,
      unmatched: 0,
      duplicates: 0,
      disconnects: 0,
    });
    expect(report.latencyMs.count).toBe(200);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.uncorrectedLatencyMs.p99);
    expect(seen.opened).toBe(4);
  });

  it.each([
    { drainEvery: 0, name: 'without backpressure' },
    { drainEvery: 7, name: 'blocked every 7th message until it drains' },
  ])('gets every message back from an in-memory echo, $name', async ({ drainEvery }) => {
    const { connect, stats } = memoryEcho({ drainEvery });
    const report = await withTimeout(
      runLoad({
        connect,
        targetName: 'memory echo',
        connections: 3,
        messagesPerSecond: 300,
        durationMs: 500,
        messageBytes: 100,
      }),
      'the load run',
      15_000,
    );
    expect(report).toMatchObject({
      target: 'memory echo',
      framing: 'custom',
      stoppedBy: 'completed',
    });
    expect(report.counts).toEqual({
      scheduled: 150,
      sent: 150,
      received: 150,
      duplicates: 0,
      unsent: 0,
      unanswered: 0,
      unmatched: 0,
      disconnects: 0,
    });
    expect(report.latencyMs.count).toBe(150);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.max).toBeGreaterThanOrEqual(report.latencyMs.p99);
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.uncorrectedLatencyMs.p99);
    expect(report.throughput.receivedBytesPerSecond).toBeCloseTo(
      report.throughput.receivedPerSecond * 100,
      3,
    );
    expect(stats).toMatchObject({ opened: 3, closed: 3 });
    expect(stats.corks).toBeGreaterThan(0);
    if (drainEvery > 0) expect(stats.drains).toBeGreaterThanOrEqual(Math.floor(150 / 7 / 3));
    else expect(stats.drains).toBe(0);
  });

  it('works with a connection that has no backpressure or cork hooks and sends by promise', async () => {
    const connect: LoadConnector = async () => {
      const queue = createReplyQueue();
      return {
        send: async (message) => {
          const copy = Uint8Array.from(message);
          setImmediate(() => queue.push(copy));
        },
        replies: queue.replies,
        close: () => queue.end(),
      };
    };
    const report = await withTimeout(
      runLoad({ connect, messagesPerSecond: 200, durationMs: 200 }),
      'the load run',
      15_000,
    );
    expect(report.target).toBe('custom connector');
    expect(report.counts).toMatchObject({ sent: 40, received: 40, unanswered: 0 });
  });

  it('still reports when the close() of a connection throws, with that error as the first error', async () => {
    const connect: LoadConnector = async () => {
      const queue = createReplyQueue();
      return {
        send(message) {
          const copy = Uint8Array.from(message);
          setImmediate(() => queue.push(copy));
        },
        replies: queue.replies,
        close() {
          queue.end();
          throw new Error('close() broke');
        },
      };
    };
    const report = await withTimeout(
      runLoad({ connect, messagesPerSecond: 200, durationMs: 100 }),
      'the load run',
      15_000,
    );
    expect(report.counts).toMatchObject({ sent: 20, received: 20, unanswered: 0 });
    expect(report.firstError).toBe('close() broke');
  });

  it('reports a failed send and a replies stream that throws as the first error', async () => {
    const connect: LoadConnector = async () => {
      const queue = createReplyQueue();
      let sent = 0;
      return {
        send(message) {
          if (++sent === 3) {
            queue.fail(new Error('the transport broke'));
            throw new Error('cannot send: the transport broke');
          }
          const copy = Uint8Array.from(message);
          setImmediate(() => queue.push(copy));
        },
        replies: queue.replies,
        close: () => queue.end(),
      };
    };
    const report = await withTimeout(
      runLoad({ connect, messagesPerSecond: 100, durationMs: 10_000 }),
      'the run to notice',
      15_000,
    );
    expect(report.stoppedBy).toBe('connections-lost');
    expect(report.counts.disconnects).toBe(1);
    expect(report.counts.received).toBe(2);
    expect(report.firstError).toBe('cannot send: the transport broke');
  });

  it('rejects with MULTIPLEXING_ERR_CONNECTION when the connector fails, and closes those opened', async () => {
    const { connect: open, stats } = memoryEcho();
    let calls = 0;
    const refusal = new Error('refused by the test');
    const connect: LoadConnector = () => (++calls === 2 ? Promise.reject(refusal) : open());
    const failure = await runLoad({
      connect,
      targetName: 'ws://example.test',
      connections: 3,
      messagesPerSecond: 10,
      durationMs: 100,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MultiplexingError);
    expect(failure).toMatchObject({ code: 'MULTIPLEXING_ERR_CONNECTION', cause: refusal });
    expect((failure as Error).message).toMatch('to ws://example.test: refused by the test');
    expect(stats.closed).toBe(stats.opened);
  });

  it('rejects with MULTIPLEXING_ERR_CONNECTION when the connector throws or takes too long', async () => {
    const throwing = await runLoad({
      connect: () => {
        throw new Error('no transport');
      },
      messagesPerSecond: 10,
      durationMs: 100,
    }).catch((err: unknown) => err);
    expect(throwing).toMatchObject({ code: 'MULTIPLEXING_ERR_CONNECTION' });
    expect((throwing as Error).message).toMatch('to custom connector: no transport');

    let closedLate = false;
    let openLate: (connection: LoadConnection) => void = () => {};
    const slow = await runLoad({
      connect: () => new Promise((resolve) => (openLate = resolve)),
      connectTimeoutMs: 20,
      messagesPerSecond: 10,
      durationMs: 100,
    }).catch((err: unknown) => err);
    expect(slow).toMatchObject({ code: 'MULTIPLEXING_ERR_CONNECTION' });
    expect((slow as Error).message).toMatch('did not open a connection within 20 ms');
    // A connection that opens after the timeout is closed at once.
    const queue = createReplyQueue();
    openLate({ send() {}, replies: queue.replies, close: () => (closedLate = true) });
    await withTimeout(
      (async () => {
        while (!closedLate) await new Promise((resolve) => setImmediate(resolve));
      })(),
      'the late connection to be closed',
    );
  });
});

describe('runLoad options with a connector', () => {
  const connect = memoryEcho().connect;
  const base = { messagesPerSecond: 10, durationMs: 100 };
  it.each([
    [{ ...base }, TypeError, 'target must be { host, port } or { path } (or give connect instead)'],
    [{ ...base, connect: 'ws://x' }, TypeError, 'connect must be a function'],
    [
      { ...base, connect, target: { host: '127.0.0.1', port: 7 } },
      TypeError,
      'give either target or connect, not both',
    ],
    [{ ...base, connect, framing: 'line' }, TypeError, 'framing applies to the TCP target only'],
    [{ ...base, connect, targetName: 7 }, TypeError, 'targetName must be a string'],
    [
      { ...base, connect, messageBytes: 2 ** 24 + 1 },
      RangeError,
      'messageBytes must be an integer from 16 to 16777216',
    ],
    [{ ...base, connect, connectTimeoutMs: 0 }, RangeError, 'connectTimeoutMs must be an integer'],
  ])('throws synchronously for %j', (options, kind, message) => {
    expect(() => runLoad(options as never)).toThrow(kind);
    expect(() => runLoad(options as never)).toThrow(message);
  });
});
