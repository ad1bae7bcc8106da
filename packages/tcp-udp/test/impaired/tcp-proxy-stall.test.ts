/**
 * stall(), resume() and cutAll() of the impaired TCP proxy: a link that goes silently dead at a
 * chosen moment (nothing forwarded, nothing closed) and comes back with every held byte in order.
 *
 * "Nothing passes" cannot be awaited as an event; each check first lets the bytes reach the
 * proxy's kernel buffers (the sender's write callback) and then waits out a few round trips over
 * an unrelated loopback connection, so the proxy has had its chances to read and forward.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type net from 'node:net';
import { listenTestServer, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../src/impaired/prng.ts';
import { connect, startProxy } from '../helpers/impaired-tcp.ts';

/** One side of a connection: every byte it read, and whether it saw an end, a close or an error. */
function watch(socket: net.Socket) {
  const seen = { chunks: [] as Buffer[], length: 0, end: false, close: false, error: '' };
  socket.on('data', (chunk: Buffer) => {
    seen.chunks.push(chunk);
    seen.length += chunk.length;
  });
  socket.on('end', () => {
    seen.end = true;
  });
  socket.on('close', () => {
    seen.close = true;
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    seen.error = e.code ?? e.message;
  });
  return {
    seen,
    bytes: () => Buffer.concat(seen.chunks),
    /**
     * Resolves once `length` bytes have arrived in all. Counts, never concatenates: copying up
     * to 32 MiB on every poll made the wait itself the slow part under CI's load (it once timed out).
     */
    received: (length: number, what: string) =>
      pollUntil(() => seen.length >= length, what, { ms: 30_000 }),
  };
}

/** A target that hands over the server side of each connection, in order of arrival. */
async function startTarget() {
  const accepted: net.Socket[] = [];
  const { port } = await listenTestServer((socket) => accepted.push(socket), {
    allowHalfOpen: true,
  });
  const next = async (index: number): Promise<net.Socket> =>
    pollUntil(() => accepted[index], `target connection ${index}`);
  return { port, next };
}

/** Round trips over a plain loopback echo, not through the proxy: the event loop's I/O turns. */
async function startQuiet() {
  const { port } = await listenTestServer((socket) => socket.pipe(socket));
  const socket = await connect(port);
  return async (turns = 5): Promise<void> => {
    for (let i = 0; i < turns; i++) {
      socket.write('.');
      await withTimeout(once(socket, 'data'), 'a loopback round trip');
    }
  };
}

const write = (socket: net.Socket, data: Buffer | string): Promise<void> =>
  withTimeout(
    new Promise<void>((resolve, reject) => socket.write(data, (e) => (e ? reject(e) : resolve()))),
    'a write to reach the kernel',
  );

const randomBytes = (seed: number, size: number): Buffer =>
  Buffer.from(createSeededRandom(seed).fill(new Uint8Array(size)));

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A client and the target's side of the same connection through the proxy, both watched. */
async function pairThrough(
  proxyPort: number,
  target: Awaited<ReturnType<typeof startTarget>>,
  index = 0,
) {
  const client = await connect(proxyPort);
  const server = await target.next(index);
  return { client, server, atClient: watch(client), atServer: watch(server) };
}

describe('ImpairedTcpProxy.stall() and resume()', () => {
  it('holds every byte and the end-of-stream both ways while stalled, closing nothing; resume delivers them in order', async () => {
    const target = await startTarget();
    const proxy = await startProxy({ seed: 1 }, target.port);
    const quiet = await startQuiet();
    const { client, server, atClient, atServer } = await pairThrough(proxy.address.port, target);
    await write(client, 'hello ');
    await write(server, 'hi ');
    await atServer.received(6, 'the first bytes to the target');
    await atClient.received(3, 'the first bytes to the client');

    proxy.stall();
    expect(proxy.stalled).toEqual({ toTarget: true, toClient: true });
    await write(client, 'held ');
    await write(client, 'in order');
    await write(server, 'held back');
    client.end();
    await quiet();
    expect(String(atServer.bytes())).toBe('hello ');
    expect(String(atClient.bytes())).toBe('hi ');
    // no FIN, no RST: both connections are open as far as either end can tell
    expect(atServer.seen).toMatchObject({ end: false, close: false, error: '' });
    expect(atClient.seen).toMatchObject({ end: false, close: false, error: '' });
    expect(proxy.stats.active).toBe(1);

    proxy.resume();
    expect(proxy.stalled).toEqual({ toTarget: false, toClient: false });
    await withTimeout(once(server, 'end'), 'the held end-of-stream to reach the target', 10_000);
    expect(String(atServer.bytes())).toBe('hello held in order');
    await atClient.received(12, 'the held bytes to reach the client');
    expect(String(atClient.bytes())).toBe('hi held back');
    expect(proxy.stats.toTarget.bytes).toBe(19);
  });

  it('stalls and resumes ten times in a row, losing and duplicating nothing', async () => {
    const target = await startTarget();
    const proxy = await startProxy({ seed: 2, chunkBytes: 100 }, target.port);
    const quiet = await startQuiet();
    const { client, server, atClient, atServer } = await pairThrough(proxy.address.port, target);
    const up: Buffer[] = [];
    const down: Buffer[] = [];
    for (let round = 0; round < 10; round++) {
      const a = randomBytes(100 + round, 1000 + round);
      const b = randomBytes(200 + round, 500 + round);
      up.push(a);
      down.push(b);
      proxy.stall();
      const before = [atServer.bytes().length, atClient.bytes().length];
      await write(client, a);
      await write(server, b);
      await quiet(2);
      expect([atServer.bytes().length, atClient.bytes().length], `round ${round}`).toEqual(before);
      proxy.resume();
      await atServer.received(Buffer.concat(up).length, `round ${round} to the target`);
      await atClient.received(Buffer.concat(down).length, `round ${round} to the client`);
    }
    expect(sha(atServer.bytes())).toBe(sha(Buffer.concat(up)));
    expect(sha(atClient.bytes())).toBe(sha(Buffer.concat(down)));
    expect(atServer.seen.end || atClient.seen.end).toBe(false);
  });

  it('stalls one direction only: the other keeps flowing', async () => {
    const target = await startTarget();
    const proxy = await startProxy({ seed: 3 }, target.port);
    const quiet = await startQuiet();
    const { client, server, atClient, atServer } = await pairThrough(proxy.address.port, target);
    proxy.stall('toClient');
    expect(proxy.stalled).toEqual({ toTarget: false, toClient: true });
    await write(server, 'answer');
    await write(client, 'question');
    await atServer.received(8, 'client → target, not stalled');
    await quiet();
    expect(atClient.bytes()).toHaveLength(0);
    proxy.resume('toClient');
    await atClient.received(6, 'the held answer');
    expect(String(atClient.bytes())).toBe('answer');
  });

  it('holds a connection accepted while stalled, and forwards it after resume', async () => {
    const target = await startTarget();
    const proxy = await startProxy({ seed: 4 }, target.port);
    const quiet = await startQuiet();
    proxy.stall();
    const { client, server, atClient, atServer } = await pairThrough(proxy.address.port, target);
    await write(client, 'early');
    await write(server, 'welcome');
    await quiet();
    expect(atServer.bytes()).toHaveLength(0);
    expect(atClient.bytes()).toHaveLength(0);
    proxy.resume();
    await atServer.received(5, 'the held request');
    await atClient.received(7, 'the held greeting');
    expect([String(atServer.bytes()), String(atClient.bytes())]).toEqual(['early', 'welcome']);
  });

  it('keeps its memory bounded when a stalled client writes far more than the socket buffers hold', async () => {
    const target = await startTarget();
    const maxBufferedBytes = 64 * 1024;
    const proxy = await startProxy({ seed: 5, maxBufferedBytes }, target.port);
    const { client, atServer } = await pairThrough(proxy.address.port, target);
    proxy.stall();
    const data = randomBytes(5, 32 * 1024 * 1024);
    let largest = 0;
    client.write(data);
    // The client cannot hand it all to the kernel: TCP flow control has stopped it.
    await pollUntil(() => {
      largest = Math.max(largest, proxy.bufferedBytes().toTarget);
      return client.writableLength > 0 && client.writableNeedDrain;
    }, 'the stalled sender to be pushed back');
    // Let the kernel settle; the proxy still holds no more than a socket read or two.
    const quiet = await startQuiet();
    await quiet();
    largest = Math.max(largest, proxy.bufferedBytes().toTarget);
    expect(largest).toBeLessThanOrEqual(maxBufferedBytes + 128 * 1024);
    expect(client.writableLength).toBeGreaterThan(0);
    expect(atServer.bytes()).toHaveLength(0);

    proxy.resume();
    await atServer.received(data.length, 'all 32 MiB after resume');
    expect(sha(atServer.bytes())).toBe(sha(data));
    expect(proxy.bufferedBytes()).toEqual({ toTarget: 0, toClient: 0 });
  });

  it('passes a reset seen while stalled on only after resume', async () => {
    const target = await startTarget();
    const proxy = await startProxy({ seed: 6 }, target.port);
    const { client, atServer } = await pairThrough(proxy.address.port, target);
    await write(client, 'x');
    await atServer.received(1, 'the first byte');
    proxy.stall();
    client.resetAndDestroy();
    // the proxy may already see the reset (a paused socket still reads up to its highWaterMark),
    // but a stalled link passes nothing on
    const quiet = await startQuiet();
    await quiet();
    expect(atServer.seen).toMatchObject({ end: false, close: false, error: '' });
    proxy.resume();
    // the target keeps its half open (allowHalfOpen), so it reads the proxy's close as an end
    await pollUntil(() => atServer.seen.end, 'the target side to be closed after resume');
    await pollUntil(() => proxy.stats.active === 0, 'the proxy to release the connection');
  });

  it.each([['sideways'], [7]])('refuses an unknown direction %o', async (direction) => {
    const target = await startTarget();
    const proxy = await startProxy({}, target.port);
    expect(() => proxy.stall(direction as 'both')).toThrow(TypeError);
    expect(() => proxy.resume(direction as 'both')).toThrow(TypeError);
  });
});

describe('ImpairedTcpProxy.cutAll()', () => {
  it.each([
    ['reset', 'ECONNRESET'],
    ['close', ''],
  ] as const)(
    'cuts every connection with %s, stalled or not, and accepts new ones',
    async (mode, error) => {
      const target = await startTarget();
      const proxy = await startProxy({ seed: 7 }, target.port);
      const first = await pairThrough(proxy.address.port, target, 0);
      const second = await pairThrough(proxy.address.port, target, 1);
      proxy.stall();
      await write(first.client, 'held and dropped');
      expect(proxy.cutAll(mode)).toBe(2);
      for (const { atClient } of [first, second]) {
        await pollUntil(() => atClient.seen.close, `the client to see the ${mode}`);
      }
      // A socket closed with bytes unread in its kernel buffer sends a RST (Linux, RFC 2525
      // §2.17): the first connection's held bytes make even a 'close' read as a reset.
      expect(first.atClient.seen.error).toBe('ECONNRESET');
      expect(second.atClient.seen).toMatchObject({ error, end: mode === 'close' });
      await pollUntil(
        () => first.atServer.seen.end || first.atServer.seen.close,
        'the target side to be cut too',
      );
      expect(first.atServer.bytes()).toHaveLength(0);
      expect(proxy.stats.cuts).toBe(2);
      await pollUntil(() => proxy.stats.active === 0, 'the proxy to release both');
      expect(proxy.cutAll()).toBe(0);

      proxy.resume();
      const third = await pairThrough(proxy.address.port, target, 2);
      await write(third.client, 'again');
      await third.atServer.received(5, 'a new connection after the cut');
    },
  );

  it('refuses an unknown mode', async () => {
    const target = await startTarget();
    const proxy = await startProxy({}, target.port);
    expect(() => proxy.cutAll('slam' as 'close')).toThrow(TypeError);
  });
});
