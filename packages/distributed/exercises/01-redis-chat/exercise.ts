// biome-ignore-all lint/correctness/noUnusedImports: starter stubs; your code will use them
// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

/** The longest message text, in characters (`string.length`). */
export const MAX_TEXT_LENGTH = 500;

/** Why a request was refused: the `error` of a `{ ok: false }` acknowledgement. */
export type RedisChatError = 'INVALID_ROOM' | 'INVALID_MESSAGE' | 'NOT_MEMBER';

/** What the other members of a room receive as a `message` event, on every instance. */
export interface RoomMessage {
  /** The id the server gave the message (the sender's acknowledgement carries the same). */
  id: string;
  room: string;
  /** The sender's socket id, set by the server. */
  from: string;
  text: string;
}

/** Options of {@link startChatInstance}. */
export interface ChatInstanceOptions {
  /** The Redis server every instance shares, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** The prefix of every Redis channel this chat uses (the adapter's `key`): instances that share one, share rooms. */
  keyPrefix: string;
  /** @default 0 (the kernel picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/** What startChatInstance resolves with. */
export interface RunningChatInstance {
  /** The port this instance listens on. */
  port: number;
  /** Disconnects its clients, closes its server and quits its Redis clients. */
  close(): Promise<void>;
}

/**
 * Starts ONE instance of a rooms chat whose rooms span every instance on the same Redis and
 * `keyPrefix` (exercises/01-redis-chat/README.md, "The contract"): clients `join` a room, send a
 * `message` and ask for `members`, each answered through its acknowledgement; a message reaches
 * the room's other members on every instance, and no one else.
 * @example
 * const a = await startChatInstance({ redisUrl, keyPrefix: 'chat', port: 3001 });
 * const b = await startChatInstance({ redisUrl, keyPrefix: 'chat', port: 3002 });
 */
export async function startChatInstance(
  options: ChatInstanceOptions,
): Promise<RunningChatInstance> {
  // TODO: two ioredis clients (one publishes, one subscribes: `new Redis(url)` and `.duplicate()`),
  //       and `new Server(httpServer, { adapter: createAdapter(pub, sub, { key: options.keyPrefix }) })`.
  // TODO: on 'connection', handle join, message and members, each answered through its
  //       acknowledgement (take it only when the last argument is a function).
  // TODO: message → a NEW object { id, room, from: socket.id, text } to socket.to(room): the adapter
  //       carries it to the other instances; members → io.in(room).fetchSockets() (every instance).
  // TODO: listen on options.port (0) and host ('127.0.0.1'); close() = io.close(), then quit both
  //       Redis clients.
  throw new Error('not implemented yet: read exercises/01-redis-chat/README.md');
}
