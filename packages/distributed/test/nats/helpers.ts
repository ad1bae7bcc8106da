import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { withTimeout } from '@socketlab/testkit';
import { Server } from 'socket.io';
import { type Socket as ClientSocket, io as connectClient } from 'socket.io-client';
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
export async function client(url: string): Promise<ClientSocket> {
  const socket = connectClient(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    'a socket.io-client to connect',
  );
  return socket;
}

/** The next `event` on a client, bounded. */
export function next<T = unknown>(socket: ClientSocket, event: string, what: string): Promise<T> {
  return withTimeout(new Promise<T>((resolve) => socket.once(event, resolve)), what);
}

export const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
