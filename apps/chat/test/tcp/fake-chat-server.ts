/**
 * A small stand-in for the chat server, speaking contract.ts over Socket.IO with everything in
 * memory: just enough for the gateway's tests (tokens are `fake:<nick>:<n>`). The real server is
 * src/server (startChatApp); once it is merged the tests run against it too.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type {
  ChatClientEvents,
  ChatMessage,
  ChatServerEvents,
  ChatUser,
} from '../../src/contract.ts';
import { CHAT_APP_LIMITS } from '../../src/contract.ts';

export interface FakeChatServer {
  readonly url: string;
  readonly io: Server<ChatClientEvents, ChatServerEvents>;
  issueToken(nick: string): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeChatServer(port = 0): Promise<FakeChatServer> {
  const http = createServer();
  const io = new Server<ChatClientEvents, ChatServerEvents>(http, { transports: ['websocket'] });
  const history = new Map<string, ChatMessage[]>();
  const members = new Map<string, Map<string, ChatUser>>();
  let tokens = 0;
  let ids = 0;
  const fake: FakeChatServer = {
    url: '',
    io,
    issueToken: async (nick) => `fake:${nick}:${++tokens}`,
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
  io.use((socket, next) => {
    const token = String(socket.handshake.auth.token ?? '');
    const match = /^fake:([^:]+):(\d+)$/.exec(token);
    if (match === null) {
      const error = new Error('bad token') as Error & { data: unknown };
      error.data = { code: 'REALTIME_ERR_AUTH', reason: 'bad token' };
      return next(error);
    }
    socket.data.user = { id: `guest:${match[2]}`, nick: match[1], via: 'web' } as ChatUser;
    next();
  });
  io.on('connection', (socket) => {
    const user = socket.data.user as ChatUser;
    const rooms = new Set<string>();
    socket.emit('welcome', { user, limits: CHAT_APP_LIMITS });
    const leave = (room: string): void => {
      if (!rooms.delete(room)) return;
      void socket.leave(`room:${room}`);
      members.get(room)?.delete(user.id);
      io.to(`room:${room}`).emit('presence', { room, user, present: false });
    };
    socket.on('join', ({ room, after }, ack) => {
      const list = history.get(room) ?? [];
      if (!rooms.has(room)) {
        rooms.add(room);
        void socket.join(`room:${room}`);
        if (!members.has(room)) members.set(room, new Map());
        members.get(room)?.set(user.id, user);
        socket.to(`room:${room}`).emit('presence', { room, user, present: true });
      }
      const wanted = after === undefined ? list.slice(-50) : list.filter((m) => m.seq > after);
      ack({
        ok: true,
        room,
        members: [...(members.get(room)?.values() ?? [])],
        messages: wanted.slice(-50),
        truncated: wanted.length > 50,
      });
    });
    socket.on('leave', ({ room }, ack) => {
      leave(room);
      ack({ ok: true, room });
    });
    socket.on('rooms', (ack) => {
      ack({
        ok: true,
        rooms: [...members.keys()].map((name) => ({
          name,
          members: members.get(name)?.size ?? 0,
          lastSeq: history.get(name)?.length ?? 0,
        })),
      });
    });
    socket.on('send', ({ room, text, kind }, ack) => {
      if (!rooms.has(room)) {
        ack({ ok: false, error: { code: 'REALTIME_ERR_NOT_MEMBER', reason: `not in #${room}` } });
        return;
      }
      const list = history.get(room) ?? [];
      history.set(room, list);
      const message: ChatMessage = {
        id: `m${++ids}`,
        room,
        seq: list.length + 1,
        from: user,
        kind: kind ?? 'text',
        text,
        at: Date.now(),
      };
      list.push(message);
      io.to(`room:${room}`).emit('message', message);
      ack({ ok: true, id: message.id, seq: message.seq, at: message.at });
    });
    socket.on('disconnect', () => {
      for (const room of [...rooms]) leave(room);
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  Object.assign(fake, { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` });
  return fake;
}
