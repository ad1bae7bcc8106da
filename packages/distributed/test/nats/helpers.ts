import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { withTimeout } from '@socketlab/testkit';
import { connectSocketIo } from '@socketlab/testkit/socket-io';
import { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import { ensureStream } from '../../src/nats/index.ts';

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

/** A stream of a test's own, deleted when the test ends, over a connection of its own. */
export interface TempStream {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  /** The stream's subjects are `<prefix>.>`. */
  readonly prefix: string;
  readonly stream: string;
}

/** A JetStream stream of the test's own (`T_<prefix>` over `<prefix>.>`), deleted when the test ends. */
export async function tempStream(url: string): Promise<TempStream> {
  const nc = await natsConnection(url);
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const prefix = `t${unique()}`;
  const stream = `T_${prefix}`;
  await ensureStream(jsm, { name: stream, subjects: [`${prefix}.>`] });
  onTestFinished(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
  });
  return { nc, jsm, js, prefix, stream };
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
