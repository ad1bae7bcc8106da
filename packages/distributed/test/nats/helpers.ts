import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { withTimeout } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { onTestFinished } from 'vitest';

/** A unique token for subjects and streams, so tests never see each other's messages. */
export const unique = (): string => randomBytes(6).toString('hex');

/** A NATS connection drained when the test ends. */
export async function natsConnection(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, name: 'socketlab-test' });
  onTestFinished(async () => {
    if (!nc.isClosed()) await nc.drain();
  });
  return nc;
}

/** A Socket.IO server on 127.0.0.1:0, closed when the test ends. */
export async function socketIoServer(): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => io.close());
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** A connected socket.io-client, disconnected when the test ends. */
export const client = (url: string): Promise<ClientSocket> =>
  connectSocketIo(url, 'a socket.io-client to connect');

/** The next `event` on a client, bounded. */
export function next<T = unknown>(socket: ClientSocket, event: string, what: string): Promise<T> {
  return withTimeout(new Promise<T>((resolve) => socket.once(event, resolve)), what);
}

export const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
