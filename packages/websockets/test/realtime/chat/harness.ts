import { createServer } from 'node:http';
import { listenOnFreePort, withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { onTestFinished } from 'vitest';

/** A Socket.IO server on 127.0.0.1, port 0, whose sockets carry `auth.userId` as `data.userId`. */
export async function startIo(): Promise<{ io: Server; port: number }> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  io.use((socket, next) => {
    const userId: unknown = socket.handshake.auth.userId;
    if (typeof userId === 'string') socket.data.userId = userId;
    next();
  });
  onTestFinished(() => io.close().catch(() => {}));
  const { port } = await listenOnFreePort(http);
  return { io, port };
}

/**
 * A socket.io-client socket for `userId`, connected (bounded), disconnected when the test ends.
 * `beforeConnect` adds listeners before the connection completes: events the server emits on
 * connection arrive right after `connect`, before an `await` on it returns.
 */
export async function client(
  port: number,
  userId?: string,
  beforeConnect: (socket: ClientSocket) => void = () => {},
  namespace = '/',
): Promise<ClientSocket> {
  const socket = connect(`http://127.0.0.1:${port}${namespace}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: userId === undefined ? {} : { userId },
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  beforeConnect(socket);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }),
    `client ${userId ?? ''} to connect`,
  );
  return socket;
}

/** Everything `socket` receives of `event`, in order. */
export function collect<T = unknown>(socket: ClientSocket, event: string): T[] {
  const got: T[] = [];
  socket.on(event, (value: T) => got.push(value));
  return got;
}

/** The next `event` on a client socket, bounded. */
export function next<T = unknown>(socket: ClientSocket, event: string, ms?: number): Promise<T> {
  let listener: (value: T) => void = () => {};
  return withTimeout(
    new Promise<T>((resolve) => {
      listener = resolve;
      socket.once(event, listener);
    }),
    `'${event}' on a client`,
    ms,
  ).finally(() => socket.off(event, listener));
}

/** Emits with an acknowledgement, bounded: the answer. */
export function ask<T = unknown>(
  socket: ClientSocket,
  event: string,
  ...args: unknown[]
): Promise<T> {
  return socket.timeout(5000).emitWithAck(event, ...args) as Promise<T>;
}
