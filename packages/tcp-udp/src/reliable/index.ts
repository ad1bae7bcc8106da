/**
 * Reliable delivery over UDP (T9): the socket and server at the edge; packets, sender, receiver, RTT and congestion inside.
 *
 * Other areas import this area only through this file. It exports what the package entry
 * makes public and what sibling areas need; `src/index.ts` chooses the public names.
 */
export type {
  ReliableCloseReason,
  ReliableConnectionLimits,
  ReliableConnectionOptions,
  ReliableConnectionState,
  ReliableConnectionStats,
} from './connection.ts';
export { DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES } from './packet.ts';
export {
  listenReliableUdp,
  type ReliableUdpServer,
  type ReliableUdpServerEvents,
  type ReliableUdpServerOptions,
  type ReliableUdpServerStats,
} from './server.ts';
export {
  connectReliableUdp,
  ReliableUdpConnection,
  type ReliableUdpConnectOptions,
  type ReliableUdpEndpoint,
  suggestedMaxDatagramBytes,
} from './socket.ts';
