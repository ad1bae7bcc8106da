export { type ConnectionClock, systemClock } from './clock.ts';
export {
  type ApplicationCloseReason,
  type CloseSummary,
  CONNECTION_CLOSE_REASONS,
  type ConnectionCloseReason,
  type ManagedConnectionEvents,
} from './close-reason.ts';
export {
  FRAMED_TRANSPORT_DEFAULTS,
  type FramedTransportOptions,
  framedSocketTransport,
} from './framed-transport.ts';
export { listenManagedTcp, type ManagedTcpListener, type ManagedTcpOptions } from './listen-tcp.ts';
export { ManagedConnection } from './managed-connection.ts';
export {
  type ConnectionAcceptor,
  ConnectionManager,
  type ConnectionManagerEvents,
  createConnectionManager,
  type ShutdownEntry,
  type ShutdownOptions,
  type ShutdownReport,
} from './manager.ts';
export { CONNECTION_MANAGER_DEFAULTS, type ConnectionManagerOptions } from './options.ts';
export {
  PROXY_V1_MAX_BYTES,
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxyHeaderParse,
  type ProxyHeaderRead,
  parseProxyHeaderV1,
  readProxyHeader,
} from './proxy-header.ts';
export { tcpConnectionTransport } from './tcp-transport.ts';
export type { ConnectionTransport, TransportEvents } from './transport.ts';
