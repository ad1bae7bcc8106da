import { nextEvent, rejectionOf } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  emitWithAckTimeout,
  isAckRefusal,
  type RealtimeError,
} from '../../../src/realtime/index.ts';
import { connectClient, startServer } from './harness.ts';

describe('emitWithAckTimeout', () => {
  it('resolves with the acknowledgement when it arrives in time', async () => {
    const { io, url } = await startServer();
    io.on('connection', (socket) => {
      socket.on('room:join', async (room, ack) => {
        await socket.join(room);
        ack({ members: (await io.in(room).fetchSockets()).length });
      });
    });
    const client = await connectClient(url);
    await expect(emitWithAckTimeout(client, 2_000, 'room:join', 'lobby')).resolves.toEqual({
      members: 1,
    });
  });

  it('rejects with REALTIME_ERR_ACK_TIMEOUT naming the event and the wait when no ack comes', async () => {
    const { io, url } = await startServer();
    io.on('connection', (socket) => {
      socket.on('room:join', () => {}); // never calls back
    });
    const client = await connectClient(url);
    const err = (await rejectionOf(
      emitWithAckTimeout(client, 100, 'room:join', 'lobby'),
      'an emit nobody acknowledges',
    )) as RealtimeError;
    expect(err.code).toBe('REALTIME_ERR_ACK_TIMEOUT');
    expect(err.message).toContain("'room:join'");
    expect(err.message).toContain('100 ms');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('shows what a lost ack means: the handler ran, only its reply never arrived', async () => {
    const { io, url } = await startServer();
    let handled = 0;
    io.on('connection', (socket) => {
      socket.on('room:join', async (room, ack) => {
        await socket.join(room);
        ack({ members: 1 });
      });
      socket.on('chat:post', (message) => {
        handled += 1;
        io.to(message.room).emit('chat:message', { ...message, from: 'ann', at: Date.now() });
        // …and the ack is lost: the process stalled, the connection dropped, a bug forgot it.
      });
    });
    const ann = await connectClient(url);
    const bob = await connectClient(url);
    await emitWithAckTimeout(bob, 2_000, 'room:join', 'lobby');
    const received = nextEvent(bob as never, 'chat:message');
    const err = (await rejectionOf(
      emitWithAckTimeout(ann, 100, 'chat:post', { room: 'lobby', text: 'hello' }),
      'a post whose ack is lost',
    )) as RealtimeError;
    expect(err.code).toBe('REALTIME_ERR_ACK_TIMEOUT');
    // The sender only knows it got no answer; the message was delivered all the same, so a blind
    // retry would post it twice. Retry only idempotent events, or carry an id to deduplicate.
    const [message] = await received;
    expect(message).toMatchObject({ room: 'lobby', text: 'hello' });
    expect(handled).toBe(1);
  });

  it('works from the server too: the server asks, the client acknowledges', async () => {
    const { io, url } = await startServer();
    const client = await connectClient(url);
    client.on('server:ask', (question, ack) => ack(`you asked: ${question}`));
    const [socket] = await io.fetchSockets();
    const serverSocket = io.sockets.sockets.get(socket?.id ?? '');
    if (!serverSocket) throw new Error('no server socket');
    await expect(emitWithAckTimeout(serverSocket, 2_000, 'server:ask', 'ready?')).resolves.toBe(
      'you asked: ready?',
    );
  });

  it("turns a receiver's refusal into a RealtimeError with the refusal's code", async () => {
    const { io, url } = await startServer();
    io.on('connection', (socket) => {
      socket.on('room:join', (_room, ack) =>
        ack({ error: { code: 'REALTIME_ERR_LIMIT', reason: 'too many rooms' } }),
      );
    });
    const client = await connectClient(url);
    const err = (await rejectionOf(
      emitWithAckTimeout(client, 2_000, 'room:join', 'lobby'),
      'a refused join',
    )) as RealtimeError;
    expect(err.code).toBe('REALTIME_ERR_LIMIT');
    expect(err.data.reason).toBe('too many rooms');
  });

  it('refuses a timeout that is not a positive integer, synchronously', async () => {
    const { url } = await startServer();
    const client = await connectClient(url);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => emitWithAckTimeout(client, bad, 'room:join', 'x')).toThrow(RangeError);
    }
  });

  it('is typed by the event map: only acknowledged events, with their arguments', async () => {
    const { url } = await startServer();
    const client = await connectClient(url);
    client.disconnect();
    const checks = (): void => {
      // @ts-expect-error 'room:leave' takes no acknowledgement
      void emitWithAckTimeout(client, 10, 'room:leave', 'lobby');
      // @ts-expect-error 'room:join' takes a room name, not a number
      void emitWithAckTimeout(client, 10, 'room:join', 42);
      // @ts-expect-error no such event in the contract
      void emitWithAckTimeout(client, 10, 'room:destroy', 'lobby');
    };
    expect(typeof checks).toBe('function');
  });
});

describe('isAckRefusal', () => {
  it.each([
    [{ error: { code: 'REALTIME_ERR_PAYLOAD', reason: 'too deep' } }, true],
    [{ error: { code: 'SOMETHING_ELSE', reason: 'x' } }, false],
    [{ error: { code: 'REALTIME_ERR_PAYLOAD' } }, false],
    [{ error: 'REALTIME_ERR_PAYLOAD' }, false],
    [{ members: 1 }, false],
    [null, false],
    ['REALTIME_ERR_PAYLOAD', false],
  ])('%j → %s', (value, expected) => {
    expect(isAckRefusal(value)).toBe(expected);
  });
});
