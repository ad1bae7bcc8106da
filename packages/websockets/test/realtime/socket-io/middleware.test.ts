import { rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { emitWithAckTimeout, RealtimeError } from '../../../src/realtime/index.ts';
import { connectClient, startServer } from './harness.ts';

describe('middleware', () => {
  it('io.use runs before a connection is accepted: it sets socket.data or refuses with a code', async () => {
    const { io, url } = await startServer();
    io.use((socket, next) => {
      const name: unknown = socket.handshake.auth.name;
      if (typeof name !== 'string' || !/^[a-z]{1,20}$/.test(name)) {
        return next(new RealtimeError('REALTIME_ERR_AUTH', 'a name of 1-20 letters is required'));
      }
      socket.data.name = name;
      next();
    });
    io.on('connection', (socket) => {
      socket.on('room:join', (_room, ack) => ack({ members: socket.data.name.length }));
    });
    const ann = await connectClient(url, { auth: { name: 'ann' } });
    expect(await emitWithAckTimeout(ann, 2_000, 'room:join', 'x')).toEqual({ members: 3 });

    // The refusal reaches the client as connect_error with err.data = { code, reason }:
    // connectRealtimeClient turns it back into a RealtimeError.
    const err = (await rejectionOf(
      connectClient(url, { auth: { name: '<script>' } }),
      'a connection the middleware refuses',
    )) as RealtimeError;
    expect(err).toBeInstanceOf(RealtimeError);
    expect(err.code).toBe('REALTIME_ERR_AUTH');
    expect(err.data.reason).toBe('a name of 1-20 letters is required');
  });

  it("a namespace's middleware guards that namespace only", async () => {
    const { io, url } = await startServer();
    const admin = io.of('/admin');
    admin.use((socket, next) =>
      socket.handshake.auth.token === 'letmein'
        ? next()
        : next(new RealtimeError('REALTIME_ERR_AUTH', 'admins only')),
    );
    await connectClient(url); // `/` has no middleware
    const refused = (await rejectionOf(connectClient(`${url}/admin`))) as RealtimeError;
    expect(refused.code).toBe('REALTIME_ERR_AUTH');
    await expect(
      connectClient(`${url}/admin`, { auth: { token: 'letmein' } }),
    ).resolves.toBeDefined();
  });

  it('a refusal without a realtime code reaches connectRealtimeClient as socket.io-client made it', async () => {
    const { io, url } = await startServer();
    io.use((_socket, next) => next(new Error('closed for maintenance')));
    const err = await rejectionOf(connectClient(url), 'a connection refused with a plain Error');
    expect(err).not.toBeInstanceOf(RealtimeError);
    expect(err.message).toBe('closed for maintenance');
  });

  it('socket.use sees every incoming event and can drop it before any handler runs', async () => {
    const { io, url } = await startServer();
    const seen: string[] = [];
    io.on('connection', (socket) => {
      socket.use(([event], next) => {
        seen.push(event);
        if (event === 'room:leave') return; // dropped: no handler sees it
        next();
      });
      socket.on('room:leave', () => seen.push('handler ran'));
      socket.on('room:join', (_room, ack) => ack({ members: 0 }));
    });
    const client = await connectClient(url);
    client.emit('room:leave', 'lobby');
    await emitWithAckTimeout(client, 2_000, 'room:join', 'lobby');
    expect(seen).toEqual(['room:leave', 'room:join']);
  });

  it('a middleware error passed to next() inside socket.use reaches the socket as an error event', async () => {
    const { io, url } = await startServer();
    const errors = new Promise<Error>((resolve) => {
      io.on('connection', (socket) => {
        socket.use((_packet, next) => next(new RealtimeError('REALTIME_ERR_PAYLOAD', 'no')));
        socket.on('error', resolve); // without this listener, Node would throw it
      });
    });
    const client = await connectClient(url);
    client.emit('room:leave', 'lobby');
    const err = (await withTimeout(errors, "the socket's error event")) as RealtimeError;
    expect(err.code).toBe('REALTIME_ERR_PAYLOAD');
  });
});
