import type { AddressInfo } from 'node:net';
import { listenOnFreePort } from '@socketlab/testkit';
import type { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import {
  connectRealtimeClient,
  createRealtimeServer,
  type ExampleClientToServerEvents,
  type ExampleServerToClientEvents,
  type ExampleSocketData,
  type RealtimeClientOptions,
  type RealtimeServerOptions,
} from '../../../src/realtime/index.ts';

export type ExampleServer = Server<
  ExampleClientToServerEvents,
  ExampleServerToClientEvents,
  Record<string, never>,
  ExampleSocketData
>;
export type ExampleClient = Socket<ExampleServerToClientEvents, ExampleClientToServerEvents>;

/** A realtime server on 127.0.0.1, port 0, closed (with its clients) when the test finishes. */
export async function startServer(
  options: RealtimeServerOptions = {},
): Promise<{ io: ExampleServer; port: number; url: string }> {
  const io = createRealtimeServer<
    ExampleClientToServerEvents,
    ExampleServerToClientEvents,
    ExampleSocketData
  >(options) as ExampleServer;
  onTestFinished(() => new Promise<void>((resolve) => io.close(() => resolve())));
  await listenOnFreePort(io.httpServer);
  const { port } = io.httpServer.address() as AddressInfo;
  return { io, port, url: `http://127.0.0.1:${port}` };
}

/** A typed client over WebSocket only, disconnected when the test finishes. */
export async function connectClient(
  url: string,
  options: RealtimeClientOptions = {},
): Promise<ExampleClient> {
  const socket = await connectRealtimeClient<
    ExampleServerToClientEvents,
    ExampleClientToServerEvents
  >(url, { transports: ['websocket'], reconnection: false, ...options });
  onTestFinished(() => {
    socket.disconnect();
  });
  return socket;
}
