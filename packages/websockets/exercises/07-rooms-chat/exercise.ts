// biome-ignore-all lint/correctness/noUnusedImports: starter stubs; your code will use them
// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import { createServer } from 'node:http';
import { Server } from 'socket.io';

/** The most rooms one connection may be in at once. */
export const MAX_ROOMS_PER_CONNECTION = 10;

/** The longest message text, in characters (`string.length`). */
export const MAX_TEXT_LENGTH = 500;

/** Why a request was refused: the `error` of a `{ ok: false }` acknowledgement. */
export type RoomsChatError = 'INVALID_ROOM' | 'INVALID_MESSAGE' | 'NOT_MEMBER' | 'TOO_MANY_ROOMS';

/** What the other members of a room receive as a `message` event: exactly these four fields. */
export interface RoomMessage {
  /** The id the server gave the message (the sender's acknowledgement carries the same). */
  id: string;
  room: string;
  /** The sender's socket id, set by the server. */
  from: string;
  text: string;
}

/** Options of {@link startRoomsChat}. */
export interface RoomsChatOptions {
  /** @default 0 (the kernel picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/** What startRoomsChat resolves with. */
export interface RunningRoomsChat {
  /** The port the server listens on. */
  port: number;
  /** Disconnects every client, closes the server, and resolves when it is closed. */
  close(): Promise<void>;
}

/**
 * Starts a Socket.IO rooms chat (exercises/07-rooms-chat/README.md, "The contract"): clients
 * `join`, `leave`, send a `message` and ask for `members`, each answered through its
 * acknowledgement; a message reaches the room's other members, and no one else.
 * @example const { port } = await startRoomsChat({ port: 3000 }); // then: io('http://127.0.0.1:3000')
 */
export async function startRoomsChat(options: RoomsChatOptions = {}): Promise<RunningRoomsChat> {
  // TODO: an http server and `new Server(httpServer)`; on 'connection', one handler per event.
  // TODO: every handler: take the acknowledgement only if the last argument is a function; check
  //       the payload (room names: 1–32 letters, digits, _ or -; a message: a plain object with a
  //       valid room and a text of 1–MAX_TEXT_LENGTH characters) before anything else.
  // TODO: join → socket.join(room) (at most MAX_ROOMS_PER_CONNECTION rooms); leave → socket.leave;
  //       message → a NEW object { id, room, from: socket.id, text } to socket.to(room), then ack
  //       { ok: true, id }; members → the socket ids in the room.
  // TODO: listen on options.port (0 by default) and host ('127.0.0.1'); resolve with the real port
  //       and a close() that calls io.close().
  throw new Error('not implemented yet: read exercises/07-rooms-chat/README.md');
}
