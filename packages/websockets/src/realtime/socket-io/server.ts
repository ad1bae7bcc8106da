/**
 * A Socket.IO server with limits a public service needs (TOOLCHAIN pitfalls 12–13): Socket.IO's
 * own defaults are generous (45 s to join a namespace, 30 s for a polling body, 1 MB per
 * message), which lets half-open handshakes and trickling bodies hold resources for a long time.
 * @see https://socket.io/docs/v4/server-options/
 */
import http from 'node:http';
import { type DefaultEventsMap, Server, type ServerOptions } from 'socket.io';
import type { RealtimeEventsMap as EventsMap } from './event-map.ts';

/**
 * The defaults {@link createRealtimeServer} applies; every one can be overridden.
 * - `connectTimeout` 10 s (socket.io: 45 s): a client that opened a transport but never joins a
 *   namespace is dropped after this;
 * - `httpRequestBodyTimeout` 5 s (engine.io: 30 s): a long-polling POST body must arrive within it;
 * - `maxHttpBufferSize` 64 KiB (engine.io: 1 MB): the largest message (or polling body) accepted;
 *   a larger one closes the connection;
 * - `pingInterval` 20 s, `pingTimeout` 10 s (engine.io: 25 s and 20 s): a silent peer is
 *   declared gone within 30 s;
 * - `connectionStateRecovery`: a client that lost its connection for at most 30 s gets back its
 *   id, its rooms, its `socket.data` and the events it missed; middlewares run again on recovery
 *   (`skipMiddlewares: false`), so a revoked token is not let back in;
 * - `serveClient` false (no `/socket.io/socket.io.js` from this server), `cleanupEmptyChildNamespaces`.
 */
export const REALTIME_SERVER_DEFAULTS = {
  connectTimeout: 10_000,
  httpRequestBodyTimeout: 5_000,
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 20_000,
  pingTimeout: 10_000,
  connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: false },
  serveClient: false,
  cleanupEmptyChildNamespaces: true,
} as const satisfies Partial<ServerOptions>;

/** Options of {@link createRealtimeServer}: socket.io's, plus the HTTP server to attach to. */
export interface RealtimeServerOptions
  extends Partial<Omit<ServerOptions, 'connectionStateRecovery'>> {
  /**
   * Connection state recovery: `false` turns it off; an object overrides the defaults' fields.
   * @default { maxDisconnectionDuration: 30_000, skipMiddlewares: false }
   */
  connectionStateRecovery?: Partial<ServerOptions['connectionStateRecovery']> | false;
  /**
   * The HTTP(S) server to attach to. Without it, a new `http.Server` is made with short
   * `headersTimeout` (5 s) and `requestTimeout` (10 s), available as `io.httpServer`; listen on it.
   */
  httpServer?: http.Server;
}

/**
 * A typed Socket.IO server with {@link REALTIME_SERVER_DEFAULTS}, attached to an HTTP server.
 * The type parameters are the event maps (the contract): what clients emit, what the server
 * emits, and what `socket.data` holds.
 * @param options socket.io's `ServerOptions` (each overrides a default), `httpServer`, and
 *   `connectionStateRecovery: false` to turn recovery off.
 * @throws {RangeError} when `maxHttpBufferSize`, `connectTimeout`, `pingInterval` or
 *   `pingTimeout` is not a positive number.
 * @example
 * const io = createRealtimeServer<ExampleClientToServerEvents, ExampleServerToClientEvents, ExampleSocketData>();
 * io.on('connection', (socket) => socket.on('chat:send', (m) => io.to(m.room).emit('chat:message', { ...m, from: socket.data.name, at: Date.now() })));
 * io.httpServer.listen(0, '127.0.0.1');
 */
export function createRealtimeServer<
  ClientToServer extends EventsMap = DefaultEventsMap,
  ServerToClient extends EventsMap = DefaultEventsMap,
  SocketData = unknown,
>(
  options: RealtimeServerOptions = {},
): Server<ClientToServer, ServerToClient, DefaultEventsMap, SocketData> {
  const { httpServer, ...overrides } = options;
  const { connectionStateRecovery: recovery, ...rest } = overrides;
  const merged: Partial<ServerOptions> = { ...REALTIME_SERVER_DEFAULTS, ...rest };
  if (recovery === false) delete merged.connectionStateRecovery;
  else
    merged.connectionStateRecovery = {
      ...REALTIME_SERVER_DEFAULTS.connectionStateRecovery,
      ...recovery,
    };
  for (const name of [
    'maxHttpBufferSize',
    'connectTimeout',
    'pingInterval',
    'pingTimeout',
  ] as const) {
    const value = merged[name];
    if (typeof value !== 'number' || !(value > 0)) {
      throw new RangeError(
        `${name} must be a positive number of ${name === 'maxHttpBufferSize' ? 'bytes' : 'milliseconds'}, got ${String(value)}`,
      );
    }
  }
  const server = httpServer ?? http.createServer({ headersTimeout: 5_000, requestTimeout: 10_000 });
  return new Server<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>(server, merged);
}
