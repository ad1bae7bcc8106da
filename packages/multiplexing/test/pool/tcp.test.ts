/**
 * The pool on real sockets (127.0.0.1, port 0): many concurrent requests over a few
 * connections, a connection the server closes while idle, a server restart, a connection that
 * breaks mid-request, and the raw-stream connector.
 */
import { nextEvent, pollUntil, rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ConnectionTransport,
  createConnectionPool,
  createFramedPoolConnector,
  createTcpPoolConnector,
  type PooledFramedConnection,
} from '../../src/index.ts';
import { listenReplyServer } from './reply-server.ts';

function framedPool(port: number, maxSize: number) {
  const pool = createConnectionPool({
    connect: createFramedPoolConnector({ host: '127.0.0.1', port }, { connectTimeoutMs: 2_000 }),
    maxSize,
    acquireTimeoutMs: 5_000,
  });
  onTestFinished(async () => {
    await pool.close({ timeoutMs: 0 });
  });
  return pool;
}

const ask = (pool: ReturnType<typeof framedPool>, text: string): Promise<string> =>
  pool.use(async (conn) => (await conn.request(Buffer.from(text))).toString());

describe('a framed pool against a real server', () => {
  it('answers 200 concurrent requests over at most 4 connections', async () => {
    const server = await listenReplyServer();
    const pool = framedPool(server.port, 4);
    const requests = Array.from({ length: 200 }, (_, i) => ask(pool, `req ${i}`));
    const replies = await withTimeout(Promise.all(requests), '200 replies', 10_000);
    expect(replies).toEqual(requests.map((_, i) => `reply:req ${i}`));
    expect(server.counts.accepted).toBe(4);
    expect(server.counts.maxOpen).toBe(4);
    expect(pool.stats).toMatchObject({ size: 4, idle: 4, borrowed: 0, waiting: 0, created: 4 });
  });

  it.each([
    ['resets (RST)', 'resetAndDestroy'],
    ['closes (FIN)', 'end'],
  ] as const)('drops an idle connection the server %s and lends a new one', async (_, how) => {
    const server = await listenReplyServer();
    const pool = framedPool(server.port, 1);
    expect(await ask(pool, 'one')).toBe('reply:one');
    const dropped = nextEvent<[PooledFramedConnection, string]>(pool, 'destroyed');
    const [serverSide] = server.sockets;
    serverSide?.[how]();
    const [connection, reason] = await dropped;
    expect(reason).toBe('closed-while-idle');
    expect(connection.closed).toBe(true);
    expect(await ask(pool, 'two')).toBe('reply:two');
    expect(server.counts.accepted).toBe(2);
  });

  it('never lends a connection holding bytes nobody asked for (a late or unsolicited frame)', async () => {
    const server = await listenReplyServer();
    const pool = framedPool(server.port, 1);
    const reasons: string[] = [];
    pool.on('destroyed', (_c, reason) => reasons.push(reason));
    const first = await pool.acquire();
    pool.release(first);
    const [serverSide] = server.sockets;
    serverSide?.write(Buffer.from([0, 0, 0, 5, ...Buffer.from('stale')]));
    await pollUntil(() => first.closed, 'the stray frame to arrive');
    expect(await ask(pool, 'fresh')).toBe('reply:fresh');
    expect(reasons).toEqual(['closed-while-idle']);
    expect(server.counts.accepted).toBe(2);
  });

  it('destroys a connection that breaks mid-request, and the next request gets a new one', async () => {
    const server = await listenReplyServer();
    const pool = framedPool(server.port, 1);
    const error = await rejectionOf(ask(pool, 'die'), 'a request the server answers with RST');
    expect(error.code).toMatch(/^(TCPUDP_ERR_CONNECTION|MULTIPLEXING_ERR_CONNECTION)$/);
    expect(pool.stats).toMatchObject({ size: 0, destroyed: 1 });
    expect(await ask(pool, 'after')).toBe('reply:after');
  });

  it('recovers after the server restarts: refused while it is down, served once it is back', async () => {
    const first = await listenReplyServer();
    const pool = framedPool(first.port, 2);
    expect(await ask(pool, 'before')).toBe('reply:before');
    const dropped = nextEvent(pool, 'destroyed');
    await first.close();
    await dropped;
    const refused = await rejectionOf(ask(pool, 'down'), 'a request while the server is down');
    expect(refused.code).toBe('MULTIPLEXING_ERR_CONNECTION');
    expect((refused.cause as { code?: string }).code).toBe('TCPUDP_ERR_CONNECTION');
    const second = await listenReplyServer(first.port);
    expect(await ask(pool, 'after')).toBe('reply:after');
    expect(second.counts.accepted).toBe(1);
  });

  it('waits for a borrowed connection on close(), then closes it', async () => {
    const server = await listenReplyServer();
    const pool = framedPool(server.port, 1);
    const connection = await pool.acquire();
    const closing = pool.close({ timeoutMs: 5_000 });
    expect(await connection.request(Buffer.from('still mine'))).toEqual(
      Buffer.from('reply:still mine'),
    );
    pool.release(connection);
    expect(await closing).toEqual({ released: 1, destroyedAtDeadline: 0 });
    expect(connection.closed).toBe(true);
  });
});

describe('createTcpPoolConnector', () => {
  it('lends ConnectionTransports over raw TCP and reuses them', async () => {
    const server = await listenReplyServer();
    const pool = createConnectionPool<ConnectionTransport>({
      connect: createTcpPoolConnector({ port: server.port }),
      maxSize: 1,
    });
    onTestFinished(async () => {
      await pool.close({ timeoutMs: 0 });
    });
    const frame = Buffer.from([0, 0, 0, 2, 0x68, 0x69]); // the u32 length prefix, then "hi"
    for (let i = 0; i < 2; i++) {
      const reply = await pool.use(async (transport) => {
        const message = new Promise<Buffer>((resolve) => transport.once('message', resolve));
        transport.send(frame);
        return withTimeout(message, 'the reply');
      });
      expect(reply.subarray(4).toString()).toBe('reply:hi');
    }
    expect(server.counts.accepted).toBe(1);
  });
});
