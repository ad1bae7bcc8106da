/**
 * The chat server's test helpers: an app closed when the test ends, clients with a guest token,
 * requests with a bounded wait, and inboxes of what the server sent.
 */
import { withTimeout } from '@socketlab/testkit';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import type { ChatServerEvents } from '../../src/contract.ts';
import { type ChatApp, type ChatAppOptions, startChatApp } from '../../src/server/app.ts';

/** A chat app on 127.0.0.1, port 0, closed when the test ends. */
export async function startTestApp(options: ChatAppOptions = {}): Promise<ChatApp> {
  const app = await startChatApp({ host: '127.0.0.1', port: 0, ...options });
  onTestFinished(() => app.close());
  return app;
}

type ClientOptions = Partial<ManagerOptions & SocketOptions>;
type Welcome = Parameters<ChatServerEvents['welcome']>[0];
const welcomes = new WeakMap<Socket, Promise<Welcome>>();

/**
 * A client connected to `app` with `token` (WebSocket only unless told, no reconnection), its
 * `welcome` awaited, disconnected when the test ends; a refused connection rejects with the
 * `connect_error`.
 */
export async function connectWith(
  app: ChatApp,
  token: string | undefined,
  options: ClientOptions = {},
): Promise<Socket> {
  const socket = io(app.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    autoConnect: false,
    ...(token === undefined ? {} : { auth: { token } }),
    ...options,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  const welcome = new Promise<Welcome>((resolve) => socket.once('welcome', resolve));
  welcomes.set(socket, welcome);
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.connect();
  await withTimeout(connected, `a connection to ${app.url}`);
  await withTimeout(welcome, `the welcome on ${app.url}`);
  return socket;
}

/** What the server said in `welcome` to a socket from {@link connectWith}. */
export function welcomeOf(socket: Socket): Promise<Welcome> {
  const welcome = welcomes.get(socket);
  if (welcome === undefined) throw new Error('not a socket of connectWith');
  return welcome;
}

/** A client signed in as a guest `nick` (see {@link connectWith}). */
export async function connectGuest(
  app: ChatApp,
  nick: string,
  options: ClientOptions = {},
): Promise<Socket> {
  const { token } = await app.issueGuestToken(nick);
  return connectWith(app, token, options);
}

/** The `connect_error` a connection with `auth` gets (fails the test if it connects). */
export async function refusalOf(
  app: ChatApp,
  auth: Record<string, unknown> | undefined,
  options: ClientOptions = {},
): Promise<Error & { data?: { code: string; reason: string } }> {
  const socket = io(app.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(auth === undefined ? {} : { auth }),
    ...options,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected, expected a refusal')));
      socket.once('connect_error', resolve);
    }),
    `the refusal of ${JSON.stringify(auth)?.slice(0, 60)}`,
  );
}

/** Emits `event` with an acknowledgement and resolves with the answer, bounded. */
export function ask<T = Record<string, unknown>>(
  socket: Socket,
  event: string,
  ...args: unknown[]
): Promise<
  T & { ok: boolean; error?: { code: string; reason: string } } & Record<string, unknown>
> {
  return withTimeout(
    socket.emitWithAck(event, ...args),
    `the answer to ${event} ${JSON.stringify(args).slice(0, 80)}`,
  );
}

/** Every `event` the socket receives from now on (its first argument). */
export function inbox<T = Record<string, unknown>>(socket: Socket, event: string): T[] {
  const got: T[] = [];
  socket.on(event, (value: T) => got.push(value));
  return got;
}

/** The next `event` on the socket matching `accept`, bounded. */
export function next<T = Record<string, unknown>>(
  socket: Socket,
  event: string,
  accept: (value: T) => boolean = () => true,
  ms?: number,
): Promise<T> {
  let listener: (value: T) => void = () => {};
  return withTimeout(
    new Promise<T>((resolve) => {
      listener = (value: T) => {
        if (accept(value)) resolve(value);
      };
      socket.on(event, listener);
    }),
    `a ${event} event`,
    ms,
  ).finally(() => socket.off(event, listener));
}
