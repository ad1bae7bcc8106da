import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { freePort, listenTestServer, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../src/impaired/prng.ts';
import { listenImpairedTcpProxy } from '../../src/impaired/tcp-proxy.ts';
import { connect, startProxy } from '../helpers/impaired-tcp.ts';

/** A TCP server that records every byte of each connection and resolves when it ends or breaks. */
async function startSink(mode: 'record' | 'echo' = 'record') {
  const connections: Promise<{ bytes: Buffer; error?: string }>[] = [];
  const { server, port } = await listenTestServer(
    (socket) => {
      if (mode === 'echo') socket.pipe(socket);
      const chunks: Buffer[] = [];
      connections.push(
        new Promise((resolve) => {
          let error: string | undefined;
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          socket.on('error', (e: NodeJS.ErrnoException) => {
            error = e.code ?? e.message;
          });
          socket.on('close', () =>
            resolve(
              error ? { bytes: Buffer.concat(chunks), error } : { bytes: Buffer.concat(chunks) },
            ),
          );
        }),
      );
    },
    { allowHalfOpen: mode === 'echo' },
  );
  // the first connection's outcome, once it has arrived and closed
  const first = (async () => {
    if (connections.length === 0) await once(server, 'connection');
    return (await connections[0]) ?? { bytes: Buffer.alloc(0) };
  })();
  first.catch(() => {});
  return { port, first };
}

async function pollUntilInactive(proxy: { stats: { active: number } }): Promise<void> {
  await pollUntil(() => proxy.stats.active === 0, 'the proxy to release the connection');
}

const randomBytes = (seed: number, size: number): Buffer =>
  Buffer.from(createSeededRandom(seed).fill(new Uint8Array(size)));

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('listenImpairedTcpProxy', () => {
  it('re-splits writes into pieces and keeps every byte in order', async () => {
    const sink = await startSink();
    const proxy = await startProxy({ seed: 1, chunkBytes: 7 }, sink.port);
    const client = await connect(proxy.address.port);
    const data = randomBytes(1, 1000);
    client.end(data);
    const received = await withTimeout(sink.first, 'the sink to see the whole stream');
    expect(sha(received.bytes)).toBe(sha(data));
    expect(proxy.stats.toTarget).toEqual({ bytes: 1000, pieces: Math.ceil(1000 / 7) });
  });

  it('keeps order through jitter, both ways (an echo through the proxy)', async () => {
    const sink = await startSink('echo');
    const proxy = await startProxy({ seed: 4, chunkBytes: 100, jitterMs: 5 }, sink.port);
    const client = await connect(proxy.address.port);
    const data = randomBytes(4, 20_000);
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.end(data);
    await withTimeout(once(client, 'end'), 'the echo to end (seed 4)');
    expect(sha(Buffer.concat(chunks))).toBe(sha(data));
    expect(proxy.stats.toClient.bytes).toBe(20_000);
  });

  it('delays every piece by at least delayMs', async () => {
    const sink = await startSink('echo');
    const proxy = await startProxy({ seed: 2, toTarget: { delayMs: 60 } }, sink.port);
    const client = await connect(proxy.address.port);
    const started = performance.now();
    client.write('ping');
    await withTimeout(once(client, 'data'), 'the delayed echo');
    // a lower bound only: the delay is a floor by construction, the machine may add to it
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('throttles to bytesPerSecond', async () => {
    const sink = await startSink('echo');
    const proxy = await startProxy(
      { seed: 2, toTarget: { bytesPerSecond: 20_000, chunkBytes: 500 } },
      sink.port,
    );
    const client = await connect(proxy.address.port);
    const started = performance.now();
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.end(randomBytes(2, 3000));
    await withTimeout(once(client, 'end'), 'the throttled echo to end');
    expect(Buffer.concat(chunks)).toHaveLength(3000);
    // 3000 bytes at 20000 B/s: the last piece may not leave before 5 × 25 ms after the first
    expect(performance.now() - started).toBeGreaterThanOrEqual(120);
  });

  it('cuts the connection after exactly cutAfterBytes', async () => {
    const sink = await startSink();
    const proxy = await startProxy(
      { seed: 3, chunkBytes: 300, toTarget: { cutAfterBytes: 1000 } },
      sink.port,
    );
    const client = await connect(proxy.address.port);
    const data = randomBytes(3, 5000);
    client.on('error', () => {});
    client.write(data);
    await withTimeout(once(client, 'close'), 'the client to see the cut');
    const { bytes } = await withTimeout(sink.first, 'the sink to see the cut');
    expect(bytes).toEqual(data.subarray(0, 1000));
    expect(proxy.stats.cuts).toBe(1);
  });

  it('cuts with a TCP reset in reset mode', async () => {
    const sink = await startSink();
    const proxy = await startProxy(
      { seed: 3, cutMode: 'reset', toTarget: { cutAfterBytes: 10 } },
      sink.port,
    );
    const client = await connect(proxy.address.port);
    const failed = new Promise<string>((resolve) =>
      client.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
    );
    client.write(randomBytes(5, 100));
    expect(await withTimeout(failed, 'the client to be reset')).toBe('ECONNRESET');
    // The target side may read the bytes then ECONNRESET, or the bytes then a plain close: Linux
    // reports a reset that arrives behind unread data either way. It never gets more than 10 bytes.
    const outcome = await withTimeout(sink.first, 'the sink to be reset');
    expect(outcome.bytes.length).toBeLessThanOrEqual(10);
  });

  it('cuts the target → client direction on its own, and counts connections', async () => {
    const sink = await startSink('echo');
    const proxy = await startProxy({ seed: 8, toClient: { cutAfterBytes: 100 } }, sink.port);
    const client = await connect(proxy.address.port);
    client.on('error', () => {});
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.write(randomBytes(8, 1000));
    await withTimeout(once(client, 'close'), 'the cut of the echo');
    expect(Buffer.concat(chunks)).toEqual(randomBytes(8, 1000).subarray(0, 100));
    expect(proxy.stats).toMatchObject({ connections: 1, cuts: 1 });
    await pollUntilInactive(proxy);
  });

  it('destroys open connections on close()', async () => {
    const sink = await startSink('echo');
    const proxy = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port: sink.port } });
    const client = await connect(proxy.address.port);
    client.on('error', () => {});
    client.write('hello');
    await withTimeout(once(client, 'data'), 'the first echo');
    expect(proxy.stats.active).toBe(1);
    await withTimeout(proxy.close(), 'the proxy to close');
    await withTimeout(once(client, 'close'), 'the client to be disconnected');
  });

  it('leaves no delay timer behind on close(), so a process can exit at once', async () => {
    const sink = await startSink('echo');
    const proxy = await listenImpairedTcpProxy({
      target: { host: '127.0.0.1', port: sink.port },
      toTarget: { delayMs: 60_000 },
    });
    const client = await connect(proxy.address.port);
    client.on('error', () => {});
    await pollUntil(() => proxy.stats.active === 1, 'the proxy to open its upstream');
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    client.write('held for a minute');
    // The piece is held (waiting out its delay) once the proxy counts it as buffered; counting
    // timers to see it start raced with other timers of the process (CI once missed it).
    await pollUntil(() => proxy.bufferedBytes().toTarget > 0, 'the piece to wait out its delay');
    const held = timers();
    await proxy.close();
    expect(timers(), 'the held piece’s timer, cleared by close()').toBeLessThan(held);
  });

  it('closes the client when the target refuses', async () => {
    const proxy = await startProxy({ seed: 1 }, await freePort());
    const client = await connect(proxy.address.port);
    client.on('error', () => {});
    await withTimeout(once(client, 'close'), 'the proxy to drop the client');
  });

  it.each([
    [{ chunkBytes: -1 }, RangeError],
    [{ delayMs: 1.5 }, TypeError],
    [{ toClient: { bytesPerSecond: -5 } }, RangeError],
    [{ cutAfterBytes: -2 }, RangeError],
    [{ cutMode: 'slam' }, TypeError],
    [{ maxConnections: 0 }, RangeError],
  ])('refuses bad options %o', async (options, type) => {
    await expect(
      listenImpairedTcpProxy({ target: { host: '127.0.0.1', port: 9 }, ...(options as object) }),
    ).rejects.toThrow(type);
  });
});
