/**
 * A typed Socket.IO client that resolves once connected, or rejects with why it could not.
 * @see https://socket.io/docs/v4/client-options/
 */
import type { DefaultEventsMap } from 'socket.io';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from '../errors.ts';
import type { RealtimeEventsMap as EventsMap } from './event-map.ts';

/** Options of {@link connectRealtimeClient}: socket.io-client's (`autoConnect` is always true). */
export type RealtimeClientOptions = Partial<ManagerOptions & SocketOptions>;

/** The client defaults {@link connectRealtimeClient} applies: `timeout` 10 s (socket.io-client: 20 s) to connect. */
export const REALTIME_CLIENT_DEFAULTS = {
  timeout: 10_000,
} as const satisfies RealtimeClientOptions;

/**
 * Connects a typed Socket.IO client to `url` (a namespace is its path: `http://host:port/admin`)
 * and resolves with the socket once the server accepted it (its `'connect'` event). The type
 * parameters are the contract seen from the client: what the server emits, what the client emits.
 * On the first `connect_error` the socket is closed (no retry) and the promise rejects: with a
 * `RealtimeError` carrying the code a server middleware refused with (`err.data.code`, e.g.
 * `REALTIME_ERR_AUTH`), or with socket.io-client's own error (a refused or timed-out transport).
 * After the first connection, socket.io-client reconnects by itself as `reconnection*` say.
 * @example
 * const socket = await connectRealtimeClient<ExampleServerToClientEvents, ExampleClientToServerEvents>(
 *   'http://127.0.0.1:3000', { transports: ['websocket'] },
 * );
 */
export function connectRealtimeClient<
  ServerToClient extends EventsMap = DefaultEventsMap,
  ClientToServer extends EventsMap = DefaultEventsMap,
>(
  url: string,
  options: RealtimeClientOptions = {},
): Promise<Socket<ServerToClient, ClientToServer>> {
  const socket: Socket<ServerToClient, ClientToServer> = io(url, {
    ...REALTIME_CLIENT_DEFAULTS,
    ...options,
    autoConnect: true,
  });
  return new Promise((resolve, reject) => {
    const onConnect = (): void => {
      socket.off('connect_error', onError);
      resolve(socket);
    };
    const onError = (err: Error & { data?: unknown }): void => {
      socket.off('connect', onConnect);
      socket.disconnect();
      const data = err.data as { code?: unknown; reason?: unknown } | undefined;
      const code = data?.code;
      if (typeof code === 'string' && (REALTIME_ERROR_CODES as readonly string[]).includes(code)) {
        const reason = typeof data?.reason === 'string' ? data.reason : err.message;
        reject(
          new RealtimeError(code as RealtimeErrorCode, `${url} refused the connection: ${reason}`, {
            cause: err,
            reason,
          }),
        );
      } else reject(err);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}
