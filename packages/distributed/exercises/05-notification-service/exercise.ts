// biome-ignore-all lint/correctness/noUnusedImports: starter stubs; your code will use them
// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

/** The largest `POST /notifications` body, in bytes; a larger one is answered 413. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The longest `title`, in characters (`string.length`). */
export const MAX_TITLE_LENGTH = 200;

/** The longest `body`, in characters. */
export const MAX_BODY_LENGTH = 2000;

/** The `error` of a refusal, each with its HTTP status (exercises/05-notification-service/README.md, "The contract"). */
export type NotificationRefusal =
  | 'INVALID_JSON' // 400
  | 'INVALID_NOTIFICATION' // 400
  | 'PAYLOAD_TOO_LARGE' // 413
  | 'UNSUPPORTED_MEDIA_TYPE'; // 415

/** What the recipient's sockets receive as a `notification` event, on every instance. */
export interface PushedNotification {
  /** The id the server gave it (the 202 answer carries the same). */
  id: string;
  /** The request's `type`, or `'notification'`. */
  type: string;
  title: string;
  /** Only when the request had one. */
  body?: string;
  /** When the server accepted it, in ms since the epoch. */
  at: number;
  /** The recipient. */
  user: string;
}

/** Options of {@link startNotificationService}. */
export interface NotificationServiceOptions {
  /** The Redis server every instance shares, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** The prefix of every Redis channel the instances use: instances that share one, share users. */
  keyPrefix: string;
  /** The user a socket's `auth.token` names, or `undefined` to refuse the connection. */
  authenticate(token: string): string | undefined;
  /** @default 0 (the kernel picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/** What startNotificationService resolves with. */
export interface RunningNotificationService {
  /** The port this instance listens on (HTTP and Socket.IO, one server). */
  port: number;
  /** Closes the server and its clients, and quits its Redis clients. */
  close(): Promise<void>;
}

/**
 * Starts ONE instance of a notification service (exercises/05-notification-service/README.md,
 * "The contract"): `POST /notifications` with a JSON `{ user, title, body?, type?, idempotencyKey? }`
 * answers 202 `{ id, duplicate }` and pushes a `notification` to that user's Socket.IO clients on
 * every instance that shares Redis and `keyPrefix`; a repeated idempotency key gets the first id
 * and sends nothing; a bad request gets a JSON `{ error, message }` and never a crash.
 * @example
 * const a = await startNotificationService({ redisUrl, keyPrefix: 'n', authenticate: (t) => users[t] });
 * // curl -X POST -H 'content-type: application/json' -d '{"user":"ada","title":"hi"}' localhost:<port>/notifications
 */
export async function startNotificationService(
  options: NotificationServiceOptions,
): Promise<RunningNotificationService> {
  // TODO: an http server whose request handler answers POST /notifications (and 404 otherwise),
  //       and a Socket.IO server on it with the Redis adapter (two ioredis clients, key: keyPrefix).
  // TODO: a middleware (io.use) that reads socket.handshake.auth.token, refuses a socket that
  //       authenticate() names no user for, and joins the others to the room `user:<user>`.
  // TODO: the body: Content-Type application/json (415), at most MAX_BODY_BYTES (413), JSON (400
  //       INVALID_JSON), then each field checked (400 INVALID_NOTIFICATION): answer with JSON.
  // TODO: an idempotency key seen before → 202 { id: <the first id>, duplicate: true }, nothing sent;
  //       otherwise a new notification to io.to(`user:${user}`), and 202 { id, duplicate: false }.
  // TODO: listen on options.port (0) and host ('127.0.0.1'); close() = io.close(), then quit Redis.
  throw new Error('not implemented yet: read exercises/05-notification-service/README.md');
}
