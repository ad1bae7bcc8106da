/**
 * The chat server's test helpers: an app closed when the test ends, clients with a guest token,
 * requests with a bounded wait, and inboxes of what the server sent.
 */

import { withTimeout } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import type { Socket } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import { type ChatApp, type ChatAppOptions, startChatApp } from '../../src/server/app.ts';

/** A chat app on 127.0.0.1, port 0, closed when the test ends. */
export async function startTestApp(options: ChatAppOptions = {}): Promise<ChatApp> {
  const app = await startChatApp({ host: '127.0.0.1', port: 0, ...options });
  onTestFinished(() => app.close());
  return app;
}

/** A client signed in as a guest `nick`, connected (WebSocket), disconnected when the test ends. */
export async function connectGuest(
  app: ChatApp,
  nick: string,
  options: Parameters<typeof connectSocketIo>[2] = {},
): Promise<Socket> {
  const { token } = await app.issueGuestToken(nick);
  return connectSocketIo(app.url, `${nick} connecting to ${app.url}`, {
    auth: { token },
    ...options,
  });
}

/** Emits `event` with an acknowledgement and resolves with the answer, bounded. */
export function ask<T = Record<string, unknown>>(
  socket: Socket,
  event: string,
  ...args: unknown[]
): Promise<T & { ok: boolean; error?: { code: string; reason: string } }> {
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
