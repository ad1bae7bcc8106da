import { once } from 'node:events';
import net from 'node:net';
import { nextEvent, pollUntil, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ConnectionError, LimitExceededError } from '../../src/errors.ts';
import type { TcpConnection } from '../../src/tcp/connection.ts';
import { createTcpServer, DEFAULT_TCP_CLOSE_TIMEOUT_MS } from '../../src/tcp/server.ts';
import { connectTestClient, readAll, startTcpTestServer } from '../helpers/tcp-pair.ts';

describe('TcpServer', () => {
  it('closes gracefully: FIN to every connection, destroys the stubborn after the grace period', async () => {
    expect(DEFAULT_TCP_CLOSE_TIMEOUT_MS).toBe(5_000);
    const { server, port, accepted } = await startTcpTestServer({ closeTimeoutMs: 300 });
    const polite = await connectTestClient(port);
    const politeOnServer = await accepted();
    const stubborn = await connectTestClient(port);
    const stubbornOnServer = await accepted();
    polite.on('data', () => undefined); // reads (so it sees the FIN) …
    polite.on('end', () => void polite.end()); // … and answers the server's FIN with its own
    stubborn.on('data', () => undefined); // reads, but never ends its side
    await politeOnServer.write('bye\n');
    await withTimeout(server.close(), 'server.close() to finish within the grace period');
    expect(politeOnServer.closeReason).toBe('end');
    expect(stubbornOnServer.closeReason).toBe('destroyed');
    expect(await polite.closed).toBe('end');
    expect(server.connectionCount).toBe(0);
    const refused = await connectTestClient(port).catch((error: unknown) => error);
    expect((refused as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
  });

  it('turns away connections beyond maxConnections with a message, and accepts again later', async () => {
    const { server, port, accepted } = await startTcpTestServer({
      maxConnections: 2,
      rejectMessage: 'busy, try later\n',
    });
    const first = await connectTestClient(port);
    await accepted();
    await connectTestClient(port);
    await accepted();
    const rejected = nextEvent<[LimitExceededError, string]>(server, 'rejected');
    const third = await WireClient.connect('127.0.0.1', port);
    onTestFinished(() => third.close());
    expect(await third.readLine()).toBe('busy, try later');
    expect((await third.readToEnd()).length).toBe(0);
    const [error] = await rejected;
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error.code).toBe('TCPUDP_ERR_LIMIT_EXCEEDED');
    expect(error.limit).toBe(2);
    expect(server.connectionCount).toBe(2);
    first.reset();
    await pollClosed(server, 1);
    const fourth = await connectTestClient(port);
    const fourthOnServer = await accepted();
    await fourth.write('in');
    expect(String((await nextEvent<[Buffer]>(fourthOnServer, 'data'))[0])).toBe('in');
  });

  it('resets the connection of a handler that throws, reports it, and keeps serving', async () => {
    let calls = 0;
    const { server, port } = await startTcpTestServer({
      onConnection: async (conn: TcpConnection) => {
        calls++;
        if (calls === 1) for await (const _ of conn) throw new Error('handler bug');
        await conn.write('hello\n');
        await conn.end();
      },
    });
    const failed = nextEvent<[unknown, TcpConnection]>(server, 'handlerError');
    const victim = await connectTestClient(port);
    await victim.write('trigger the bug');
    const [error] = await failed;
    expect(String(error)).toContain('handler bug');
    await victim.closed;
    const next = await connectTestClient(port);
    const done = next.end();
    expect((await readAll(next)).toString()).toBe('hello\n');
    await done;
  });

  it('rejects listen() on an address in use with CONNECTION (EADDRINUSE)', async () => {
    const taken = net.createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    onTestFinished(() => void taken.close());
    const { port } = taken.address() as net.AddressInfo;
    const server = createTcpServer({ port });
    const failure = await server.listen().catch((error: unknown) => error);
    expect((failure as ConnectionError).code).toBe('TCPUDP_ERR_CONNECTION');
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    await server.close();
    const again = await server.listen().catch((error: unknown) => error);
    expect((again as ConnectionError).code).toBe('TCPUDP_ERR_CLOSED');
  });

  it.each([
    [{ port: 70_000 }, RangeError],
    [{ maxConnections: 0 }, RangeError],
    [{ closeTimeoutMs: -1 }, RangeError],
    [{ idleTimeoutMs: 2 ** 31 }, RangeError],
    [{ host: 'a\nb' }, TypeError],
    [{ onConnection: 'nope' }, TypeError],
    [{ rejectMessage: 42 }, TypeError],
  ])('rejects the options %o synchronously', (options, kind) => {
    expect(() => createTcpServer(options as never)).toThrow(kind);
  });
});

async function pollClosed(server: { connectionCount: number }, count: number): Promise<void> {
  await pollUntil(() => server.connectionCount === count, `${count} open connection(s)`);
}
