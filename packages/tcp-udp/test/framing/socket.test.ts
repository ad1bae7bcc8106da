import net from 'node:net';
import path from 'node:path';
import { listenOnFreePort, nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConnectionError, LimitExceededError, ProtocolError } from '../../src/errors.ts';
import { lengthPrefixCodec, varintCodec } from '../../src/framing/length-prefix.ts';
import { decodeLineText, encodeLineText, lineCodec } from '../../src/framing/line-codec.ts';
import {
  type ConnectFramedOptions,
  connectFramed,
  FramedSocket,
} from '../../src/framing/socket.ts';
import { connectClient, hungUpWithin, startEchoServer, tempDir } from '../helpers/framing-peers.ts';

/** A plain TCP server whose accepted sockets the test drives by hand. */
async function rawServer(): Promise<{ port: number; accepted: Promise<net.Socket> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true });
  const accepted = new Promise<net.Socket>((resolve) =>
    server.once('connection', (socket) => {
      sockets.push(socket);
      resolve(socket);
    }),
  );
  const { port } = await listenOnFreePort(server);
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port, accepted };
}

/** A FramedSocket to a fresh {@link rawServer}, destroyed when the test finishes, and the server's side. */
async function framedToRawServer(
  options?: ConnectFramedOptions,
): Promise<{ client: FramedSocket; accepted: Promise<net.Socket> }> {
  const { port, accepted } = await rawServer();
  const client = await connectFramed({ host: '127.0.0.1', port }, options);
  onTestFinished(() => client.destroy());
  return { client, accepted };
}

/** Collects every frame until the iteration ends. */
async function readAll(framed: FramedSocket): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for await (const frame of framed) frames.push(frame);
  return frames;
}

/** True once `promise` has settled, after letting the event loop turn a few times. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let turn = 0; turn < 5 && !settled; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return settled;
}

describe('FramedSocket over TCP', () => {
  it.each([
    { framing: 'length' as const, codec: () => lengthPrefixCodec() },
    { framing: 'varint' as const, codec: () => varintCodec() },
    { framing: 'line' as const, codec: () => lineCodec() },
  ])(
    'exchanges frames with a $framing echo server and ends on a graceful close',
    async ({ framing, codec }) => {
      const server = await startEchoServer({ framing });
      const client = await connectClient(server, { codec: codec() });
      const sent = Array.from({ length: 300 }, (_, i) =>
        encodeLineText(`message ${i} ${'x'.repeat(i)}`),
      );
      for (const payload of sent) await client.send(payload);
      await client.end();
      const echoed = await withTimeout(readAll(client), 'every echo, then the end of the stream');
      expect(echoed.map(decodeLineText)).toEqual(sent.map(decodeLineText));
      expect(await withTimeout(client.closed, 'the socket to close')).toBeUndefined();
    },
  );

  it('works over IPv6 loopback too', async () => {
    const server = await startEchoServer({ framing: 'varint', host: '::1' });
    expect(server.describeAddress()).toMatch(/^\[::1\]:\d+$/);
    const client = await connectClient(server, { codec: varintCodec() });
    await client.send(Buffer.from('over ::1'));
    expect((await withTimeout(client.read(), 'the echo over ::1'))?.toString()).toBe('over ::1');
  });

  it('carries a 1 MiB frame, and an empty one', async () => {
    const server = await startEchoServer({ framing: 'length' });
    const client = await connectClient(server);
    const big = Buffer.alloc(1024 * 1024, 0x5a);
    await client.send(big);
    await client.send(Buffer.alloc(0));
    expect((await withTimeout(client.read(), 'the big echo'))?.equals(big)).toBe(true);
    expect((await withTimeout(client.read(), 'the empty echo'))?.length).toBe(0);
  });

  it('rejects a payload over maxFrameBytes without writing anything', async () => {
    const { client, accepted } = await framedToRawServer({
      codec: lengthPrefixCodec({ maxFrameBytes: 8 }),
    });
    await expect(client.send(Buffer.alloc(9))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_FRAME_TOO_LARGE',
    });
    await client.end();
    const peer = await accepted;
    let received = 0;
    peer.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    await nextEvent(peer, 'end');
    expect(received).toBe(0);
  });

  it('throws a frame too large from the iterator and destroys only that connection', async () => {
    const { client, accepted } = await framedToRawServer({
      codec: lengthPrefixCodec({ maxFrameBytes: 16 }),
    });
    const peer = await accepted;
    peer.write(Buffer.from([0, 0, 0, 1, 0x61, 0xff, 0xff, 0xff, 0xff]));
    const frames: string[] = [];
    const err = await withTimeout(
      (async () => {
        try {
          for await (const frame of client) frames.push(frame.toString());
        } catch (error) {
          return error;
        }
        return undefined;
      })(),
      'the iterator to fail',
    );
    expect(frames).toEqual(['a']); // frames before the bad one are still delivered
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err).toMatchObject({ code: 'TCPUDP_ERR_FRAME_TOO_LARGE', actual: 2 ** 32 - 1 });
    expect(await withTimeout(client.closed, 'the socket to close')).toBe(err);
    await hungUpWithin(peer, 'the peer to see the connection close');
  });

  it('reports a stream that ends inside a frame as truncated', async () => {
    const { client, accepted } = await framedToRawServer();
    const peer = await accepted;
    peer.end(Buffer.from([0, 0, 0, 10, 1, 2, 3]));
    const err = await withTimeout(
      readAll(client).catch((e: unknown) => e),
      'the iterator to fail',
    );
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'TCPUDP_ERR_TRUNCATED' });
  });

  it('reports an abrupt reset as a connection error', async () => {
    const { client, accepted } = await framedToRawServer();
    (await accepted).resetAndDestroy();
    const err = await withTimeout(
      readAll(client).catch((e: unknown) => e),
      'the iterator to fail',
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'TCPUDP_ERR_CONNECTION' });
    expect((err as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    await expect(client.send(Buffer.from('late'))).rejects.toMatchObject({
      code: 'TCPUDP_ERR_CLOSED',
    });
  });

  it('refuses to connect to a closed port with a connection error', async () => {
    const { port } = await rawServer();
    const closedPort = await (async () => {
      const probe = net.createServer();
      const { port: free } = await listenOnFreePort(probe);
      await new Promise((resolve) => probe.close(resolve));
      return free;
    })();
    expect(closedPort).not.toBe(port);
    await expect(connectFramed({ host: '127.0.0.1', port: closedPort })).rejects.toMatchObject({
      code: 'TCPUDP_ERR_CONNECTION',
    });
  });

  it('ends reads on destroy(), and throws the reason given to destroy(err)', async () => {
    const server = await startEchoServer({ framing: 'length' });
    const plain = await connectClient(server);
    const reading = plain.read();
    plain.destroy();
    expect(await withTimeout(reading, 'a pending read to end')).toBeUndefined();
    await expect(plain.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'TCPUDP_ERR_CLOSED' });

    const failed = await connectClient(server);
    const pending = failed.read();
    const reason = new Error('the owner gave up');
    failed.destroy(reason);
    await expect(withTimeout(pending, 'a pending read to fail')).rejects.toBe(reason);
    expect(await withTimeout(failed.closed, 'the socket to close')).toBe(reason);
  });

  it('destroys the socket when a for-await loop breaks early, as Node streams do', async () => {
    const server = await startEchoServer({ framing: 'line' });
    const client = await connectClient(server, { codec: lineCodec() });
    await client.send(encodeLineText('one'));
    await client.send(encodeLineText('two'));
    for await (const line of client) {
      expect(decodeLineText(line)).toBe('one');
      break;
    }
    expect(await withTimeout(client.closed, 'the socket to close after break')).toBeUndefined();
    expect(client.socket.destroyed).toBe(true);
  });

  it('rejects bad options synchronously', () => {
    const socket = new net.Socket();
    expect(() => new FramedSocket(socket, { maxBufferedFrames: 0 })).toThrow(RangeError);
    expect(() => new FramedSocket(socket, { maxBufferedBytes: 1.5 })).toThrow(TypeError);
    socket.destroy();
  });
});

describe('FramedSocket backpressure', () => {
  it('keeps a send pending while the peer does not read, and resolves it once the peer reads', async () => {
    const { client, accepted } = await framedToRawServer();
    const peer = await accepted;
    peer.pause(); // the peer reads nothing: the kernel buffers fill up
    const payload = Buffer.alloc(256 * 1024, 0x42);
    let pending: Promise<void> | undefined;
    let sends = 0;
    for (; sends < 512; sends++) {
      const sending = client.send(payload);
      if (!(await settlesSoon(sending))) {
        pending = sending;
        break;
      }
    }
    expect(
      pending,
      `every one of ${sends} sends of 256 KiB resolved with nobody reading`,
    ).toBeDefined();
    // More sends queue behind it, sharing one 'drain' listener.
    const more = Array.from({ length: 50 }, () => client.send(Buffer.from('x')));
    expect(client.socket.listenerCount('drain')).toBe(1);
    expect(await settlesSoon(pending as Promise<void>)).toBe(false);

    let received = 0;
    peer.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    peer.resume();
    await withTimeout(
      Promise.all([pending, ...more]),
      'the pending sends to resolve after the peer reads',
      10_000,
    );
    const expected = (sends + 1) * (4 + payload.length) + 50 * 5;
    await pollUntil(() => received === expected, `all ${expected} bytes to arrive`, { ms: 10_000 });
  });

  it('rejects every pending send with TCPUDP_ERR_CLOSED when the connection closes', async () => {
    const { client, accepted } = await framedToRawServer();
    const peer = await accepted;
    peer.pause();
    const payload = Buffer.alloc(256 * 1024);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 512 && pending.length === 0; i++) {
      const sending = client.send(payload);
      if (!(await settlesSoon(sending))) pending.push(sending);
    }
    expect(pending).toHaveLength(1);
    for (let i = 0; i < 20; i++) pending.push(client.send(payload));
    const outcomes = Promise.allSettled(pending);
    peer.resetAndDestroy();
    for (const outcome of await withTimeout(outcomes, 'the pending sends to settle')) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({
        code: 'TCPUDP_ERR_CLOSED',
      });
    }
    expect(client.socket.listenerCount('drain')).toBe(1);
  });

  it('pauses the socket when nobody reads received frames, and delivers them all later', async () => {
    const { client, accepted } = await framedToRawServer({
      codec: lineCodec(),
      maxBufferedFrames: 10,
    });
    const peer = await accepted;
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    peer.end(`${lines.join('\n')}\n`);
    await pollUntil(() => client.socket.isPaused(), 'the client socket to pause');
    expect(client.bufferedFrames).toBeGreaterThanOrEqual(10);
    expect(client.bufferedFrames).toBeLessThan(lines.length);
    const got = await withTimeout(readAll(client), 'every line after resuming', 10_000);
    expect(got.length).toBe(lines.length);
    expect(got.map(decodeLineText)).toEqual(lines);
  });
});

describe('FramedSocket over a Unix socket path', () => {
  it('exchanges frames with an echo server listening on a path', async () => {
    const socketPath = path.join(tempDir(), 'echo.sock');
    const server = await startEchoServer({ framing: 'varint', path: socketPath });
    expect(server.address).toBe(socketPath);
    const client = await connectClient(server, { codec: varintCodec() });
    const payloads = [Buffer.from('over a path'), Buffer.alloc(70_000, 7), Buffer.alloc(0)];
    for (const payload of payloads) await client.send(payload);
    await client.end();
    const echoed = await withTimeout(readAll(client), 'the echoes over the Unix socket');
    expect(echoed.map((b) => b.toString('hex'))).toEqual(payloads.map((b) => b.toString('hex')));
  });

  it('reports a missing socket path as a connection error', async () => {
    const missing = path.join(tempDir(), 'nobody-here.sock');
    const err = await connectFramed({ path: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'TCPUDP_ERR_CONNECTION', cause: { code: 'ENOENT' } });
  });
});
