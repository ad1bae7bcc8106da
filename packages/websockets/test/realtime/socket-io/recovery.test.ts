import { nextEvent, pollUntil } from '@socketlab/testkit';
import type { Socket as ServerSocket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { emitWithAckTimeout } from '../../../src/realtime/index.ts';
import { connectClient, type ExampleClient, type ExampleServer, startServer } from './harness.ts';

function serveJoins(io: ExampleServer): ServerSocket[] {
  const sockets: ServerSocket[] = [];
  io.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('room:join', async (room, ack) => {
      await socket.join(room);
      ack({ members: (await io.in(room).fetchSockets()).length });
    });
  });
  return sockets;
}

/** Drops the client's transport (as a lost Wi-Fi would) and waits until the server has noticed. */
async function dropTransport(io: ExampleServer, client: ExampleClient): Promise<number> {
  const serverSide = io.sockets.sockets.get(client.id ?? '');
  if (!serverSide) throw new Error('the client has no socket on the server');
  const gone = nextEvent(serverSide as never, 'disconnect');
  const clientGone = nextEvent(client as never, 'disconnect');
  client.io.engine.close();
  const [[reason]] = await Promise.all([gone, clientGone]);
  expect(reason).toBe('transport close'); // a reason recovery applies to
  return Date.now();
}

const message = (text: string) => ({ room: 'lobby', text, from: 'server', at: 0 });

describe('connection state recovery', () => {
  it('gives back the id, the rooms and the missed events after a short disconnect', async () => {
    const { io, url } = await startServer({
      connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
    });
    serveJoins(io);
    const client = await connectClient(url);
    const texts: string[] = [];
    client.on('chat:message', (m) => texts.push(m.text));
    await emitWithAckTimeout(client, 2_000, 'room:join', 'lobby');
    const toClient = nextEvent(client as never, 'chat:message');
    io.to('lobby').emit('chat:message', message('before'));
    await toClient;
    const id = client.id;

    await dropTransport(io, client);
    io.to('lobby').emit('chat:message', message('while away 1'));
    io.to('lobby').emit('chat:message', message('while away 2'));
    io.to('lobby').volatile.emit('cursor:moved', { x: 1, y: 2 }); // volatile: never stored
    let cursorMoves = 0;
    client.on('cursor:moved', () => cursorMoves++);

    const back = nextEvent(client as never, 'connect');
    client.connect(); // sends { pid, offset } with its CONNECT packet
    await back;
    expect(client.recovered).toBe(true);
    expect(client.id).toBe(id);
    await pollUntil(() => texts.length >= 3, 'the missed events to be replayed');
    expect(texts).toEqual(['before', 'while away 1', 'while away 2']);
    expect((await io.in('lobby').fetchSockets()).map((s) => s.id)).toEqual([id]);
    await emitWithAckTimeout(client, 2_000, 'room:join', 'lobby'); // barrier: nothing else came
    expect(cursorMoves).toBe(0);
  });

  it('does not recover past maxDisconnectionDuration: a new id, no rooms, no replay', async () => {
    const windowMs = 50;
    const { io, url } = await startServer({
      connectionStateRecovery: { maxDisconnectionDuration: windowMs },
    });
    serveJoins(io);
    const client = await connectClient(url);
    const texts: string[] = [];
    client.on('chat:message', (m) => texts.push(m.text));
    await emitWithAckTimeout(client, 2_000, 'room:join', 'lobby');
    const id = client.id;

    const disconnectedAt = await dropTransport(io, client);
    io.to('lobby').emit('chat:message', message('while away'));
    // No sleep: wait (bounded) until the clock has passed the window the server compares with.
    await pollUntil(
      () => Date.now() > disconnectedAt + windowMs + 5,
      'the recovery window to pass',
      {
        ms: 2_000,
        intervalMs: 5,
      },
    );
    const back = nextEvent(client as never, 'connect');
    client.connect();
    await back;
    expect(client.recovered).toBe(false);
    expect(client.id).not.toBe(id);
    // Missed packets would come before anything the server answers after the CONNECT.
    expect(await emitWithAckTimeout(client, 2_000, 'room:join', 'kitchen')).toEqual({ members: 1 });
    expect(texts).toEqual([]);
    expect(await io.in('lobby').fetchSockets()).toEqual([]);
  });

  it('is off with connectionStateRecovery: false', async () => {
    const { io, url } = await startServer({ connectionStateRecovery: false });
    serveJoins(io);
    const client = await connectClient(url);
    const id = client.id;
    await dropTransport(io, client);
    const back = nextEvent(client as never, 'connect');
    client.connect();
    await back;
    expect(client.recovered).toBeFalsy(); // undefined, not false, when the server sent no pid
    expect(client.id).not.toBe(id);
  });
});

describe('volatile events', () => {
  it('are dropped, not queued, while the transport is busy; other events all queue', async () => {
    const { io, url } = await startServer({ connectionStateRecovery: false });
    io.on('connection', (socket) => {
      socket.on('room:join', (_room, ack) => {
        // One burst in one turn of the event loop: after the first write the WebSocket transport
        // is not writable until ws reports the write done, so the other volatile events are
        // discarded; the normal ones wait in Engine.IO's write buffer.
        for (let i = 0; i < 100; i++) socket.volatile.emit('cursor:moved', { x: i, y: i });
        for (let i = 0; i < 100; i++) {
          socket.emit('chat:message', { room: 'r', text: String(i), from: 's', at: 0 });
        }
        ack({ members: 1 }); // sent after all of them
      });
    });
    const client = await connectClient(url);
    let moves = 0;
    let messages = 0;
    client.on('cursor:moved', () => moves++);
    client.on('chat:message', () => messages++);
    await emitWithAckTimeout(client, 2_000, 'room:join', 'r');
    expect(messages).toBe(100);
    expect(moves).toBeLessThanOrEqual(1); // the first, unless the transport was busy already
  });
});
