import { nextEvent } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { emitWithAckTimeout } from '../../../src/realtime/index.ts';
import { connectClient, type ExampleClient, type ExampleServer, startServer } from './harness.ts';

/** A chat server: joins by ack, `chat:send` relayed to the room's other members. */
function serveChat(io: ExampleServer): void {
  io.on('connection', (socket) => {
    socket.on('room:join', async (room, ack) => {
      await socket.join(room);
      ack({ members: (await io.in(room).fetchSockets()).length });
    });
    socket.on('room:leave', (room) => void socket.leave(room));
    socket.on('chat:send', ({ room, text }) => {
      // socket.to(room): everyone in the room but the sender.
      socket.to(room).emit('chat:message', { room, text, from: socket.id, at: Date.now() });
    });
  });
}

/** Collects every chat message a client receives. */
function inbox(client: ExampleClient): string[] {
  const texts: string[] = [];
  client.on('chat:message', (m) => texts.push(`${m.room}: ${m.text}`));
  return texts;
}

describe('rooms', () => {
  it("a room's messages reach its members only, never the sender", async () => {
    const { io, url } = await startServer();
    serveChat(io);
    const [ann, bob, cat] = await Promise.all([
      connectClient(url),
      connectClient(url),
      connectClient(url),
    ]);
    const [annBox, bobBox, catBox] = [inbox(ann), inbox(bob), inbox(cat)];
    await emitWithAckTimeout(ann, 2_000, 'room:join', 'lobby');
    expect(await emitWithAckTimeout(bob, 2_000, 'room:join', 'lobby')).toEqual({ members: 2 });
    await emitWithAckTimeout(cat, 2_000, 'room:join', 'kitchen');

    const toBob = nextEvent(bob as never, 'chat:message');
    ann.emit('chat:send', { room: 'lobby', text: 'hi lobby' });
    await toBob;
    // A barrier: cat's join ack travels after anything the server sent cat before it.
    await emitWithAckTimeout(cat, 2_000, 'room:join', 'kitchen');
    await emitWithAckTimeout(ann, 2_000, 'room:join', 'lobby');
    expect(bobBox).toEqual(['lobby: hi lobby']);
    expect(annBox).toEqual([]);
    expect(catBox).toEqual([]);
  });

  it('leaving a room, or disconnecting, takes a socket out of it', async () => {
    const { io, url } = await startServer();
    serveChat(io);
    const ann = await connectClient(url);
    const bob = await connectClient(url);
    await emitWithAckTimeout(ann, 2_000, 'room:join', 'lobby');
    await emitWithAckTimeout(bob, 2_000, 'room:join', 'lobby');
    bob.emit('room:leave', 'lobby');
    // Events from one client are handled in order: after this ack, the leave is done.
    await emitWithAckTimeout(bob, 2_000, 'room:join', 'other');
    expect((await io.in('lobby').fetchSockets()).map((s) => s.id)).toEqual([ann.id]);
    const gone = nextEvent(io.sockets.sockets.get(ann.id ?? '') as never, 'disconnect');
    ann.disconnect();
    await gone;
    expect(await io.in('lobby').fetchSockets()).toEqual([]);
    // Each socket is also alone in a room named after its id.
    expect((await io.in(bob.id ?? '').fetchSockets()).map((s) => s.id)).toEqual([bob.id]);
  });
});

describe('namespaces', () => {
  it('share one connection but keep their events and rooms apart', async () => {
    const { io, url } = await startServer();
    serveChat(io);
    const admin = io.of('/admin');
    admin.on('connection', (socket) => {
      socket.on('room:join', async (room, ack) => {
        await socket.join(room);
        ack({ members: (await admin.in(room).fetchSockets()).length });
      });
    });
    const main = await connectClient(url);
    // Same Manager (same URL origin, `forceNew` not set): one Engine.IO connection, two namespaces.
    const adminClient = await connectClient(`${url}/admin`);
    expect(adminClient.io).toBe(main.io);
    expect(io.engine.clientsCount).toBe(1);

    await emitWithAckTimeout(main, 2_000, 'room:join', 'lobby');
    expect(await emitWithAckTimeout(adminClient, 2_000, 'room:join', 'lobby')).toEqual({
      members: 1,
    });
    const mainBox = inbox(main);
    const adminBox = inbox(adminClient);
    const toAdmin = nextEvent(adminClient as never, 'chat:message');
    admin
      .to('lobby')
      .emit('chat:message', { room: 'lobby', text: 'admins only', from: 'x', at: 0 });
    await toAdmin;
    await emitWithAckTimeout(main, 2_000, 'room:join', 'lobby'); // barrier for main
    expect(adminBox).toEqual(['lobby: admins only']);
    expect(mainBox).toEqual([]);
  });
});
