import { randomBytes } from 'node:crypto';
import { freePort, nextEvent, pollUntil, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { ConnectionError, TimeoutError } from '../../src/errors.ts';
import { connectTcpClient } from '../../src/tcp/client.ts';
import {
  connectTestClient,
  openTcpPair,
  readAll,
  startTcpTestServer,
} from '../helpers/tcp-pair.ts';

describe('TcpConnection on real sockets', () => {
  it('half-closes: the client ends, the server still sends its reply, then ends', async () => {
    const { client, server } = await openTcpPair();
    const question = (async () => readAll(server, 'the question and the client FIN'))();
    await client.write('what is 6 x 7?');
    const clientDone = client.end(); // FIN: the client will send nothing more, but keeps reading
    const replyArrives = readAll(client, 'the reply and the server FIN');
    expect((await question).toString()).toBe('what is 6 x 7?');
    expect(server.peerEnded).toBe(true);
    await server.write('42'); // allowed: only the client's direction is closed
    await server.end();
    expect((await replyArrives).toString()).toBe('42');
    await withTimeout(clientDone, 'the client end() to resolve');
    expect(client.closeReason).toBe('end');
    expect(server.closeReason).toBe('end');
    expect(client.closeError).toBeUndefined();
  });

  it('echoes 1 MiB through async iteration with backpressure, byte for byte', async () => {
    const { port } = await startTcpTestServer({
      onConnection: async (conn) => {
        for await (const chunk of conn) await conn.write(chunk);
        await conn.end();
      },
    });
    const client = await connectTestClient(port);
    const payload = randomBytes(1 << 20);
    const echoed = readAll(client, 'the whole echo');
    for (let at = 0; at < payload.length; at += 64 * 1024) {
      await client.write(payload.subarray(at, at + 64 * 1024));
    }
    await client.end();
    expect(Buffer.compare(await echoed, payload)).toBe(0);
  });

  it('reports a reset to the peer as CONNECTION with cause ECONNRESET', async () => {
    const { client, server } = await openTcpPair();
    server.on('data', (chunk) => void server.write(chunk).catch(() => undefined));
    const errors: unknown[] = [];
    server.on('error', (error) => errors.push(error));
    // The echo proves the server has read everything: an RST that finds unread data would reach
    // Node as a plain end instead of ECONNRESET.
    const echo = nextEvent<[Buffer]>(client, 'data');
    await client.write('ping');
    expect(String((await echo)[0])).toBe('ping');
    client.reset();
    const reason = await withTimeout(server.closed, 'the server to see the reset');
    const error = server.closeError;
    expect(await client.closed).toBe('reset');
    expect(reason).toBe('error');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
    expect(((error as ConnectionError).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect((error as Error).message).toMatch(
      /connection reset by peer \[ECONNRESET\]\. The other end/,
    );
    expect(errors).toEqual([error]);
  });

  it('rejects a write on a reset connection with a typed error', async () => {
    const { client, server } = await openTcpPair();
    server.on('data', () => undefined);
    const echo = nextEvent(server, 'data');
    await client.write('x');
    await echo;
    client.reset();
    await server.closed;
    const failure = await server.write('too late').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).code).toBe('TCPUDP_ERR_CLOSED');
    expect(((failure as Error).cause as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
  });

  it('holds a write until the buffer drains, and rejects it if the peer resets meanwhile', async () => {
    const { client, server } = await openTcpPair(); // the server never reads: the kernel buffers fill, then ours does
    const chunk = Buffer.alloc(64 * 1024, 1);
    let pending: Promise<void> | undefined;
    for (let i = 0; i < 2_000 && pending === undefined; i++) {
      const write = client.write(chunk);
      const state = await Promise.race([
        write.then(() => 'resolved' as const),
        new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending'))),
      ]);
      if (state === 'pending') pending = write;
    }
    expect(pending, 'a write that waits for the peer to read').toBeDefined();
    // Backpressure: what waits in this process is about one chunk, not everything written.
    expect(client.bufferedBytes).toBeLessThanOrEqual(2 * chunk.length);
    const failure = pending?.catch((error: unknown) => error);
    server.reset();
    const error = await withTimeout(failure ?? Promise.resolve(), 'the pending write to fail');
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
    expect(await client.closed).toBe('error');
  });

  it('shares one drain listener among writes nobody awaits, and settles them all once read', async () => {
    const { client, server } = await openTcpPair(); // the server does not read yet
    const listeners = (): number[] => [
      client.socket.listenerCount('drain'),
      client.socket.listenerCount('close'),
    ];
    const before = listeners();
    const chunk = Buffer.alloc(64 * 1024, 2);
    // Fire-and-forget writes, as a chat server broadcasting to a slow client does: until the
    // kernel buffers are full and ours holds data, then 64 more, far past the 10 listeners after
    // which Node warns of a leak.
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 2_000 && client.bufferedBytes <= chunk.length; i++) {
      writes.push(client.write(chunk));
      await new Promise((resolve) => setImmediate(resolve)); // let the kernel take what it can
    }
    expect(client.bufferedBytes, 'our buffer holds data the kernel would not take').toBeGreaterThan(
      chunk.length,
    );
    for (let i = 0; i < 64; i++) writes.push(client.write(chunk));
    expect(listeners(), 'drain/close listeners after 64 writes that were not awaited').toEqual(
      before,
    );
    let received = 0;
    server.on('data', (data) => {
      received += data.length;
    });
    await withTimeout(Promise.all(writes), 'every write to resolve once the peer reads', 15_000);
    expect(listeners()).toEqual(before);
    const total = writes.length * chunk.length;
    await pollUntil(() => received === total, `all ${total} bytes to arrive`, { ms: 15_000 });
  });

  it('fails to connect to a closed port with CONNECTION (ECONNREFUSED)', async () => {
    const port = await freePort('127.0.0.1');
    const failure = await connectTestClient(port).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
    expect((failure as Error).message).toMatch(
      /connection refused \[ECONNREFUSED\]\. .*nothing listens on that port/,
    );
  });

  it('destroys an idle connection with TIMEOUT on the side that set it', async () => {
    const { client, server } = await openTcpPair({ idleTimeoutMs: 150 });
    const reason = await withTimeout(server.closed, 'the idle timeout');
    const error = server.closeError;
    expect(reason).toBe('timeout');
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('TCPUDP_ERR_TIMEOUT');
    expect((error as TimeoutError).timeoutMs).toBe(150);
    // The client only sees the connection end: the server's socket was closed.
    await readAll(client, "the client to see the server's close");
    expect(client.peerEnded).toBe(true);
  });

  it('ends an iteration with the idle TimeoutError on a client with idleTimeoutMs', async () => {
    const { port } = await startTcpTestServer();
    const client = await connectTestClient(port, { idleTimeoutMs: 150 });
    const failure = await readAll(client, 'the idle timeout').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    expect(client.closeReason).toBe('timeout');
  });

  it('rejects a write after end() with CLOSED, and end() twice is harmless', async () => {
    const { client, server } = await openTcpPair();
    server.on('end', () => void server.end());
    const done = client.end();
    const failure = await client.write('after FIN').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as ConnectionError).code).toBe('TCPUDP_ERR_CLOSED');
    expect((failure as Error).message).toMatch(/end\(\) was already called/);
    await withTimeout(Promise.all([done, client.end()]), 'both end() calls');
    expect(client.closeReason).toBe('end');
  });

  it('bounds the wait for the peer FIN with end({ timeoutMs })', async () => {
    const { client, server } = await openTcpPair(); // the server never ends its side
    const failure = await client.end({ timeoutMs: 100 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    expect((failure as Error).message).toMatch(/did not close its side within 100 ms/);
    expect(client.closeReason).toBe('timeout');
    // The server never ended its side: it stays half-open (CLOSE-WAIT) until it does.
    expect(server.closeReason).toBeUndefined();
  });

  it('reports destroy() as destroyed and destroy(error) as error', async () => {
    const { port, accepted } = await startTcpTestServer();
    const a = await connectTestClient(port);
    await accepted();
    a.destroy();
    expect(await a.closed).toBe('destroyed');
    const b = await connectTestClient(port);
    await accepted();
    const why = new ConnectionError('TCPUDP_ERR_CLOSED', 'test said so');
    b.destroy(why);
    expect(await b.closed).toBe('error');
    expect(b.closeError).toBe(why);
  });

  it('rejects bad options synchronously', () => {
    expect(() => connectTcpClient({ port: 0 })).toThrow(RangeError);
    expect(() => connectTcpClient({ port: 80, connectTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => connectTcpClient({ port: 80, host: '' })).toThrow(TypeError);
    expect(() => connectTcpClient({ port: 80, idleTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => connectTcpClient({ port: 80, connectTimeoutMs: 1.5 })).toThrow(TypeError);
  });
});
