import type net from 'node:net';
import {
  connectTcp,
  fromHex,
  nextEvent,
  pollUntil,
  rejectionOf,
  withTimeout,
} from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import {
  connectService,
  type ListenServiceOptions,
  listenService,
  type ServiceConnection,
  type ServiceMessage,
} from '../../src/service-protocol/index.ts';
import { type Gate, gate, Turnstile } from './gate.ts';
import { V1_AND_V2 } from './protocols.ts';

async function serve(options: Partial<ListenServiceOptions> = {}) {
  const errors: DistributedError[] = [];
  const server = await listenService({
    protocol: V1_AND_V2,
    onRequest: ({ value }) => ({
      name: 'user',
      value: { userId: value.userId, name: `user-${value.userId}`, email: '' },
    }),
    onError: (error) => errors.push(error),
    ...options,
  });
  onTestFinished(() => server.close());
  return { server, errors, port: server.address.port };
}

async function connect(
  port: number,
  options: { requestTimeoutMs?: number; maxPendingRequests?: number } = {},
) {
  const client = await connectService({ host: '127.0.0.1', port, protocol: V1_AND_V2, ...options });
  onTestFinished(() => client.destroy());
  return client;
}

describe('service protocol over TCP', () => {
  it('answers a request with the response correlated to it', async () => {
    const { port } = await serve();
    const client = await connect(port);
    expect(client.version).toBe(2);
    const reply = await withTimeout(client.request('getUser', { userId: 7 }), 'the response');
    expect(reply).toEqual({ name: 'user', value: { userId: 7, name: 'user-7', email: '' } });
  });

  it('matches 200 concurrent requests to their responses when the server answers out of order', async () => {
    const { port } = await serve({
      // Later requests finish first: each waits on a promise resolved in reverse order below.
      onRequest: async ({ value }) => {
        await gates.get(value.userId as number)?.promise;
        return {
          name: 'user',
          value: { userId: value.userId, name: `n${value.userId}`, email: '' },
        };
      },
    });
    const gates = new Map<number, Gate>();
    for (let i = 0; i < 200; i++) gates.set(i, gate());
    const client = await connect(port);
    const replies = Array.from({ length: 200 }, (_, i) => client.request('getUser', { userId: i }));
    await pollUntil(() => client.pendingRequests === 200, 'all 200 requests sent');
    for (let i = 199; i >= 0; i--) gates.get(i)?.resolve();
    const values = await withTimeout(Promise.all(replies), 'all 200 responses');
    expect(values.map((reply) => reply.value)).toEqual(
      Array.from({ length: 200 }, (_, i) => ({ userId: i, name: `n${i}`, email: '' })),
    );
  });

  it('delivers one-way events in order', async () => {
    const seen: ServiceMessage[] = [];
    const { port } = await serve({ onEvent: (event) => seen.push(event) });
    const client = await connect(port);
    for (let i = 1; i <= 20; i++) await client.notify('userSeen', { userId: i, at: i * 10 });
    await pollUntil(() => seen.length === 20, '20 events');
    expect(seen.map((e) => e.value)).toEqual(
      Array.from({ length: 20 }, (_, k) => ({ userId: k + 1, at: (k + 1) * 10 })),
    );
  });

  it('rejects with DISTRIBUTED_ERR_TIMEOUT when no response comes, and drops the late one', async () => {
    const late = gate();
    const { port } = await serve({
      onRequest: async ({ value }) => {
        await late.promise;
        return { name: 'user', value: { userId: value.userId, name: 'late', email: '' } };
      },
    });
    const clientErrors: DistributedError[] = [];
    const client = await connectService({
      host: '127.0.0.1',
      port,
      protocol: V1_AND_V2,
      requestTimeoutMs: 50,
      onError: (error) => clientErrors.push(error),
    });
    onTestFinished(() => client.destroy());
    const error = await rejectionOf(client.request('getUser', { userId: 1 }));
    expect(error.code).toBe('DISTRIBUTED_ERR_TIMEOUT');
    late.resolve();
    await pollUntil(() => clientErrors.length === 1, 'the late response to be reported');
    expect(clientErrors[0]?.code).toBe('DISTRIBUTED_ERR_TIMEOUT');
    expect(clientErrors[0]?.message).toContain('not waiting');
    expect(client.pendingRequests).toBe(0);
  });

  it("passes the handler's failure back with its code", async () => {
    const { port } = await serve({
      onRequest: () => {
        throw new DistributedError('DISTRIBUTED_ERR_LIMIT', 'too many users');
      },
    });
    const client = await connect(port);
    const error = await rejectionOf(client.request('getUser', { userId: 1 }));
    expect(error.code).toBe('DISTRIBUTED_ERR_LIMIT');
    expect(error.message).toContain('too many users');
    // The connection goes on.
    expect(client.pendingRequests).toBe(0);
  });

  it('refuses a request past maxPendingRequests with DISTRIBUTED_ERR_LIMIT', async () => {
    const never = gate();
    onTestFinished(() => never.resolve());
    const { port } = await serve({
      onRequest: async () => {
        await never.promise;
        return { name: 'user', value: { userId: 0, name: '', email: '' } };
      },
    });
    const client = await connect(port, { maxPendingRequests: 2 });
    const first = client.request('getUser', { userId: 1 }).catch(() => {});
    const second = client.request('getUser', { userId: 2 }).catch(() => {});
    const error = await rejectionOf(client.request('getUser', { userId: 3 }));
    expect(error.code).toBe('DISTRIBUTED_ERR_LIMIT');
    client.destroy();
    await Promise.all([first, second]);
  });

  it('runs at most maxConcurrentHandlers at once and reads no further until one finishes', async () => {
    const turnstile = new Turnstile();
    onTestFinished(() => turnstile.releaseAll());
    const { port } = await serve({
      maxConcurrentHandlers: 2,
      onRequest: async ({ value }) => {
        await turnstile.enter();
        return { name: 'user', value: { userId: value.userId, name: '', email: '' } };
      },
    });
    const client = await connect(port);
    const replies = Array.from({ length: 6 }, (_, i) => client.request('getUser', { userId: i }));
    await pollUntil(() => turnstile.started === 2, 'two handlers to start');
    for (let n = 0; n < 6; n++) {
      await pollUntil(() => turnstile.entered(n), `handler ${n + 1} to start`);
      turnstile.release(n);
    }
    await withTimeout(Promise.all(replies), 'all six responses');
    expect(turnstile.started).toBe(6);
    expect(turnstile.most).toBe(2);
  });

  it('closes a connection that declares a frame over maxFrameBytes, and serves the others', async () => {
    const { port, errors } = await serve({ maxFrameBytes: 1024 });
    const good = await connect(port);
    const hostile = await connectTcp(port);
    onTestFinished(() => {
      hostile.destroy();
    });
    hostile.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await nextEvent(hostile, 'close');
    await pollUntil(() => errors.length > 0, 'the server to report the frame');
    expect(errors[0]?.code).toBe('DISTRIBUTED_ERR_PAYLOAD');
    const reply = await withTimeout(good.request('getUser', { userId: 3 }), 'the response');
    expect(reply.value).toMatchObject({ userId: 3 });
  });

  it('closes an established connection that sends a frame over maxFrameBytes', async () => {
    const { port, errors, server } = await serve({ maxFrameBytes: 1024 });
    const client = await connect(port);
    await pollUntil(() => server.connections.size === 1, 'the connection to be registered');
    const [connection] = server.connections as Set<ServiceConnection>;
    // A frame header written straight to the client's socket, past the server's limit.
    (client as unknown as { framed: { socket: net.Socket } }).framed.socket.write(
      Buffer.from([0x00, 0x01, 0x00, 0x00]),
    );
    const closedWith = await withTimeout(
      connection?.closed as Promise<unknown>,
      'the server side to close',
    );
    expect((closedWith as DistributedError).code).toBe('DISTRIBUTED_ERR_PAYLOAD');
    expect(errors.map((e) => e.code)).toContain('DISTRIBUTED_ERR_PAYLOAD');
    const error = await rejectionOf(client.request('getUser', { userId: 1 }));
    expect(error.code).toBe('DISTRIBUTED_ERR_UNAVAILABLE');
  });

  it.each([
    ['a frame of unknown kind', '00000002 7f00'],
    ['a second HELLO', '00000009 01 534c5350 0001 0001'],
  ])('closes with a protocol-error CLOSE frame on %s', async (_what, hostile) => {
    const { port, errors } = await serve();
    const raw = await connectTcp(port);
    onTestFinished(() => {
      raw.destroy();
    });
    const received: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => received.push(chunk));
    raw.write(Buffer.from('00000009 01 534c5350 0001 0001'.replaceAll(' ', ''), 'hex'));
    raw.write(Buffer.from(hostile.replaceAll(' ', ''), 'hex'));
    await nextEvent(raw, 'close');
    const bytes = Buffer.concat(received);
    // WELCOME (version 1), then CLOSE with reason 3 (protocol-error).
    expect(bytes.subarray(0, 7).toString('hex')).toBe('00000003020001');
    expect(bytes.subarray(11, 13).toString('hex')).toBe('0303');
    await pollUntil(() => errors.length > 0, 'the server to report the frame');
    expect(errors[0]?.code).toBe('DISTRIBUTED_ERR_PAYLOAD');
  });

  it('reports an event whose body does not decode, and keeps the connection', async () => {
    const { port, errors } = await serve();
    const raw = await connectTcp(port);
    onTestFinished(() => {
      raw.destroy();
    });
    const received: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => received.push(chunk));
    // HELLO 1–1, an event in version 9, then getUser { userId: 7 } as request 1.
    raw.write(
      fromHex(
        '00000009 01 534c5350 0001 0001  00000008 13 0003 09 00000007  0000000c 10 00000001 0001 01 00000007',
      ),
    );
    await pollUntil(
      () => Buffer.concat(received).length >= 7 + 4 + 20,
      'the WELCOME and the response',
    );
    expect(Buffer.concat(received).subarray(7).toString('hex')).toBe(
      fromHex('00000014 11 00000001 0002 01 00000007 0006 757365722d37').toString('hex'),
    );
    expect(errors.map((e) => e.code)).toEqual(['DISTRIBUTED_ERR_PAYLOAD']);
    expect(errors[0]?.message).toContain('version 9');
  });

  it('times out a connection that never says HELLO', async () => {
    const { port, errors } = await serve({ handshakeTimeoutMs: 50 });
    const silent = await connectTcp(port);
    onTestFinished(() => {
      silent.destroy();
    });
    await nextEvent(silent, 'close');
    expect(errors[0]?.code).toBe('DISTRIBUTED_ERR_TIMEOUT');
  });

  it('fails waiting requests with DISTRIBUTED_ERR_UNAVAILABLE when the server closes', async () => {
    const never = gate();
    onTestFinished(() => never.resolve());
    const { port, server } = await serve({
      onRequest: async () => {
        await never.promise;
        return { name: 'user', value: { userId: 0, name: '', email: '' } };
      },
    });
    const client = await connect(port);
    const waiting = client.request('getUser', { userId: 1 });
    await pollUntil(() => server.connections.size === 1, 'the connection to be registered');
    const closing = server.close();
    const error = await rejectionOf(waiting);
    expect(error.code).toBe('DISTRIBUTED_ERR_UNAVAILABLE');
    never.resolve();
    await withTimeout(closing, 'the server to close');
    expect(await withTimeout(client.closed, 'the client to close')).toBeUndefined();
  });

  it('fails connecting to a closed port with DISTRIBUTED_ERR_UNAVAILABLE', async () => {
    const { port, server } = await serve();
    await server.close();
    const error = await rejectionOf(
      connectService({ host: '127.0.0.1', port, protocol: V1_AND_V2 }),
    );
    expect(error.code).toBe('DISTRIBUTED_ERR_UNAVAILABLE');
  });
});
