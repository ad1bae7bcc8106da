/**
 * The I/O edge (W1, W2): a WebSocket connection over a socket, a server and a client. The only
 * area of this package that imports `node:net`, `node:tls` and `node:http` types.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */

export type { ConnectionClock } from '@socketlab/multiplexing';
export { type ConnectWebSocketOptions, connectWebSocket } from './client.ts';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  type NegotiatedDeflate,
  READY_STATES,
  type ReadyState,
  type SendOptions,
  WebSocketConnection,
  type WebSocketConnectionEvents,
  type WebSocketConnectionOptions,
  type WebSocketMessage,
} from './connection.ts';
export type { RandomFill } from './mask-keys.ts';
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  WebSocketServer,
  type WebSocketServerEvents,
  type WebSocketServerOptions,
} from './server.ts';
