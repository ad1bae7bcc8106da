/**
 * What the transport tests share: a Socket.IO server on port 0, a client that is always closed,
 * and stage 2's impaired TCP proxy in front of a port, closed when the test ends (its `stall()`
 * makes the link silently dead: nothing forwarded, nothing closed).
 */
import http from 'node:http';
import type net from 'node:net';
import {
  type ImpairedTcpProxy,
  type ImpairedTcpProxyOptions,
  listenImpairedTcpProxy,
} from '@socketlab/tcp-udp';
import { listenOnFreePort, withTimeout } from '@socketlab/testkit';
import { Server, type ServerOptions } from 'socket.io';
import {
  io as connect,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from 'socket.io-client';
import { onTestFinished } from 'vitest';

/** A Socket.IO server on 127.0.0.1, port 0, with an `echo` event that acknowledges what it got. */
export async function startIo(
  options: Partial<ServerOptions> = {},
): Promise<{ io: Server; http: http.Server; port: number; url: string }> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, options);
  io.on('connection', (socket) => {
    socket.on('echo', (value: unknown, ack?: unknown) => {
      if (typeof ack === 'function') ack(value);
    });
  });
  onTestFinished(() => io.close());
  const { port } = await listenOnFreePort(httpServer as unknown as net.Server);
  return { io, http: httpServer, port, url: `http://127.0.0.1:${port}` };
}

/** A Socket.IO client, disconnected when the test ends. */
export function client(url: string, options: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  const socket = connect(url, { forceNew: true, ...options });
  onTestFinished(() => {
    socket.disconnect();
  });
  return socket;
}

/** Resolves with the arguments of the next `event` of a Socket.IO socket, bounded by `ms`. */
export function nextIoEvent<T extends unknown[]>(
  // biome-ignore lint/suspicious/noExplicitAny: server, client, manager and engine sockets each type their events
  emitter: { once(event: any, listener: (...args: any[]) => void): unknown },
  event: string,
  ms = 5000,
): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))),
    `'${event}'`,
    ms,
  );
}

/** Stage 2's impaired TCP proxy in front of `port` on 127.0.0.1, closed when the test ends. */
export async function startProxy(
  port: number,
  options: Omit<ImpairedTcpProxyOptions, 'target'> = {},
): Promise<ImpairedTcpProxy> {
  const proxy = await listenImpairedTcpProxy({ target: { host: '127.0.0.1', port }, ...options });
  onTestFinished(() => proxy.close());
  return proxy;
}
