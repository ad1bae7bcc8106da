/**
 * What the transport tests share: a Socket.IO server on port 0, a client that is always closed,
 * and a link that can go silently dead (stage 2's impaired proxy delays, throttles and cuts, but
 * has no switch to stop forwarding at a chosen moment without closing anything).
 */
import http from 'node:http';
import net from 'node:net';
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

/**
 * A TCP forwarder whose link can go silently dead: `stall()` stops forwarding, in both directions,
 * on every connection open now, and keeps their sockets open (no FIN, no RST): a cable pulled, a
 * NAT mapping dropped. New connections made while stalled are accepted and black-holed too.
 * `heal()` lets new connections through again (the stalled ones stay dead, as a lost mapping
 * does); `cut('reset' | 'close')` ends every connection open now with a RST or a FIN.
 */
export interface LinkSwitch {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  stall(): void;
  heal(): void;
  cut(mode: 'reset' | 'close'): void;
  close(): Promise<void>;
}

export async function startLinkSwitch(targetPort: number): Promise<LinkSwitch> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; dead: boolean }>();
  let stalled = false;
  let connections = 0;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    const pair = { client, upstream, dead: stalled };
    pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!pair.dead) to.write(chunk);
      });
      from.on('end', () => {
        if (!pair.dead) to.end();
      });
      from.on('error', () => {});
      from.on('close', () => {
        if (!pair.dead) to.destroy();
        if (client.destroyed && upstream.destroyed) pairs.delete(pair);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  const { port } = await listenOnFreePort(server);
  const sw: LinkSwitch = {
    port,
    get connections() {
      return connections;
    },
    stall() {
      stalled = true;
      for (const pair of pairs) pair.dead = true;
    },
    heal() {
      stalled = false;
    },
    cut(mode) {
      for (const pair of pairs) {
        for (const socket of [pair.client, pair.upstream]) {
          if (mode === 'reset' && !socket.destroyed) socket.resetAndDestroy();
          else socket.destroy();
        }
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  onTestFinished(() => sw.close());
  return sw;
}
