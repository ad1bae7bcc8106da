import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'socket.io';
import {
  type ChatInstanceOptions,
  MAX_TEXT_LENGTH,
  type RedisChatError,
  type RoomMessage,
  type RunningChatInstance,
} from '../../exercises/01-redis-chat/exercise.ts';
import { createScaledServer } from '../../src/index.ts';

export type { ChatInstanceOptions, RedisChatError, RoomMessage, RunningChatInstance };
export { MAX_TEXT_LENGTH };

type Answer = { ok: true; [key: string]: unknown } | { ok: false; error: RedisChatError };

const ROOM = /^[A-Za-z0-9_-]{1,32}$/;
const isRoom = (value: unknown): value is string => typeof value === 'string' && ROOM.test(value);
/** Chat rooms live under a prefix no socket id has, so a room cannot be named like a socket. */
const key = (room: string): string => `room:${room}`;

/**
 * The chat on the library's `createScaledServer` (the Redis pub/sub adapter): Socket.IO's rooms,
 * which the adapter spans over every instance, and a new object for every message relayed.
 */
export async function startChatInstance({
  redisUrl,
  keyPrefix,
  port = 0,
  host = '127.0.0.1',
}: ChatInstanceOptions): Promise<RunningChatInstance> {
  const scaled = await createScaledServer({
    redisUrl,
    keyPrefix,
    adapter: 'pubsub',
    connectionStateRecovery: false,
  });
  const { io } = scaled;

  const handlers: Record<string, (socket: Socket, payload: unknown) => Answer | Promise<Answer>> = {
    join(socket, room) {
      if (!isRoom(room)) return { ok: false, error: 'INVALID_ROOM' };
      void socket.join(key(room));
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
      socket.to(key(room)).emit('message', message); // through Redis to every instance
      return { ok: true, id: message.id };
    },
    async members(_socket, room) {
      if (!isRoom(room)) return { ok: false, error: 'INVALID_ROOM' };
      const sockets = await io.in(key(room)).fetchSockets(); // asks every instance
      return { ok: true, members: sockets.map((s) => s.id) };
    },
  };

  io.on('connection', (socket) => {
    for (const [event, handler] of Object.entries(handlers)) {
      socket.on(event, async (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (a: Answer) => void) : null;
        let answer: Answer;
        try {
          answer = await handler(socket, args[0]);
        } catch {
          return; // fetchSockets timed out: no answer rather than a crash
        }
        ack?.(answer);
      });
    }
  });

  await new Promise<void>((resolve, reject) => {
    io.httpServer.once('error', reject);
    io.httpServer.listen(port, host, () => resolve());
  });
  return { port: (io.httpServer.address() as AddressInfo).port, close: () => scaled.close() };
}
