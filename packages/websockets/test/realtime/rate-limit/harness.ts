/**
 * A Socket.IO server on 127.0.0.1, port 0, and clients for it, each closed when the test ends;
 * shared by the rate-limit and hostile-input suites.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTimeout } from '@socketlab/testkit';
import { Server, type ServerOptions } from 'socket.io';
import {
  type Socket as ClientSocket,
  io as connectIo,
  type ManagerOptions,
  type SocketOptions,
} from 'socket.io-client';
import { onTestFinished } from 'vitest';

export interface TestIo {
  readonly io: Server;
  readonly port: number;
  readonly url: string;
}

/** Starts a Socket.IO server; `setup` runs before it listens. Closed when the test finishes. */
export async function startIo(
  options: Partial<ServerOptions>,
  setup: (io: Server) => void,
): Promise<TestIo> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, options);
  setup(io);
  onTestFinished(async () => {
    io.disconnectSockets(true);
    await withTimeout(new Promise<void>((resolve) => io.close(() => resolve())), 'io.close()');
  });
  httpServer.listen(0, '127.0.0.1');
  await withTimeout(once(httpServer, 'listening'), 'the Socket.IO server to listen');
  const { port } = httpServer.address() as AddressInfo;
  return { io, port, url: `http://127.0.0.1:${port}` };
}

/** A socket.io-client socket over WebSocket only, no reconnection; connected (or rejects). */
export async function connectClient(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): Promise<ClientSocket> {
  const client = connectIo(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...options,
  });
  onTestFinished(() => {
    client.disconnect();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', (err) => reject(err));
    }),
    'a client to connect',
  );
  return client;
}

/** The client's next `disconnect` reason, bounded. */
export function nextDisconnect(client: ClientSocket, ms = 5_000): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason))),
    'the client to be disconnected',
    ms,
  );
}

/** A second client's echo still works: the server is up and serves others. */
export async function expectEchoWorks(
  client: ClientSocket,
  value: unknown = 'still here',
): Promise<void> {
  const answer = await client.timeout(5_000).emitWithAck('echo', value);
  if (JSON.stringify(answer) !== JSON.stringify(value)) {
    throw new Error(`the good client's echo came back as ${JSON.stringify(answer)}`);
  }
}
