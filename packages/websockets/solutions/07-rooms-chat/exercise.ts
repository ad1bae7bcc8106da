import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  MAX_ROOMS_PER_CONNECTION,
  MAX_TEXT_LENGTH,
  type RoomMessage,
  type RoomsChatError,
  type RoomsChatOptions,
  type RunningRoomsChat,
} from '../../exercises/07-rooms-chat/exercise.ts';
import { validateRoomName } from '../../src/realtime/chat/index.ts';

export type { RoomMessage, RoomsChatError, RoomsChatOptions, RunningRoomsChat };
export { MAX_ROOMS_PER_CONNECTION, MAX_TEXT_LENGTH };

type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: RoomsChatError };

/** The library's room-name check (1–32 letters, digits, `_`, `-`), as a yes or no. */
const isRoom = (value: unknown): value is string => {
  try {
    validateRoomName(value, 32);
    return true;
  } catch {
    return false;
  }
};

/**
 * The rooms chat on Socket.IO: the library's room-name rule, Socket.IO's own rooms (under a
 * prefix) for membership, so a disconnect leaves every room by itself, and a new object for every
 * message relayed, never the client's payload.
 */
export async function startRoomsChat({
  port = 0,
  host = '127.0.0.1',
}: RoomsChatOptions = {}): Promise<RunningRoomsChat> {
  const http = createServer();
  const io = new Server(http);
  // Every socket is already in a Socket.IO room named by its id: a chat room named like a socket
  // id must not be that room, so chat rooms live under a prefix no socket id has.
  const key = (room: string): string => `room:${room}`;
  const joined = (socket: Socket): number => socket.rooms.size - 1; // minus its own id's room

  const handlers: Record<string, (socket: Socket, payload: unknown) => Answer> = {
    join(socket, room) {
      if (!isRoom(room)) return { ok: false, error: 'INVALID_ROOM' };
      if (!socket.rooms.has(key(room)) && joined(socket) >= MAX_ROOMS_PER_CONNECTION) {
        return { ok: false, error: 'TOO_MANY_ROOMS' };
      }
      socket.join(key(room));
      return { ok: true, room };
    },
    leave(socket, room) {
      if (!isRoom(room)) return { ok: false, error: 'INVALID_ROOM' };
      if (!socket.rooms.has(key(room))) return { ok: false, error: 'NOT_MEMBER' };
      socket.leave(key(room));
      return { ok: true, room };
    },
    message(socket, payload) {
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        return { ok: false, error: 'INVALID_MESSAGE' };
      }
      const { room, text } = payload as { room?: unknown; text?: unknown };
      if (!isRoom(room) || typeof text !== 'string' || text.length === 0) {
        return { ok: false, error: 'INVALID_MESSAGE' };
      }
      if (text.length > MAX_TEXT_LENGTH) return { ok: false, error: 'INVALID_MESSAGE' };
      if (!socket.rooms.has(key(room))) return { ok: false, error: 'NOT_MEMBER' };
      const message: RoomMessage = { id: randomUUID(), room, from: socket.id, text };
      socket.to(key(room)).emit('message', message);
      return { ok: true, id: message.id };
    },
    members(_socket, room) {
      if (!isRoom(room)) return { ok: false, error: 'INVALID_ROOM' };
      return { ok: true, members: [...(io.sockets.adapter.rooms.get(key(room)) ?? [])] };
    },
  };

  io.on('connection', (socket) => {
    for (const [event, handler] of Object.entries(handlers)) {
      socket.on(event, (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (a: Answer) => void) : null;
        const answer = handler(socket, args[0]); // first: `ack?.(handler(…))` skips the call without an ack
        ack?.(answer);
      });
    }
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    port: address.port,
    close: () => io.close(),
  };
}
