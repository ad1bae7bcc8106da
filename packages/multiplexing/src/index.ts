/**
 * `@socketlab/multiplexing`, stage 3 of socketlab: many connections at once, kept healthy and
 * measured. The public API, chosen by name; `api-surface.txt` lists it and a test compares.
 */
export {
  type BroadcastOptions,
  type BroadcastResult,
  type BroadcastTarget,
  broadcast,
  OUTBOUND_QUEUE_DEFAULTS,
  OutboundQueue,
  type OutboundQueueOptions,
  type OutboundSink,
  type SendOutcome,
  SLOW_CONSUMER_POLICIES,
  type SlowConsumerPolicy,
} from './broadcast/index.ts';
export {
  type CloseSummary,
  CONNECTION_CLOSE_REASONS,
  CONNECTION_MANAGER_DEFAULTS,
  type ConnectionAcceptor,
  type ConnectionClock,
  type ConnectionCloseReason,
  ConnectionManager,
  type ConnectionManagerEvents,
  type ConnectionManagerOptions,
  type ConnectionTransport,
  createConnectionManager,
  FRAMED_TRANSPORT_DEFAULTS,
  type FramedTransportOptions,
  framedSocketTransport,
  listenManagedTcp,
  ManagedConnection,
  type ManagedConnectionEvents,
  type ManagedTcpListener,
  type ManagedTcpOptions,
  type ShutdownEntry,
  type ShutdownOptions,
  type ShutdownReport,
  systemClock,
  type TransportEvents,
  tcpConnectionTransport,
} from './connections/index.ts';
export {
  MULTIPLEXING_ERROR_CODES,
  MultiplexingError,
  type MultiplexingErrorCode,
} from './errors.ts';
