/**
 * `@socketlab/multiplexing`, stage 3 of socketlab: many connections at once, kept healthy and
 * measured. The public API, chosen by name; `api-surface.txt` lists it and a test compares.
 */
export {
  MULTIPLEXING_ERROR_CODES,
  MultiplexingError,
  type MultiplexingErrorCode,
} from './errors.ts';
export {
  formatLoadProgress,
  formatLoadReport,
  type LatencySummary,
  LOAD_DEFAULTS,
  LOAD_MIN_MESSAGE_BYTES,
  type LoadOptions,
  type LoadProgress,
  type LoadReport,
  type LoadStop,
  runLoad,
} from './load/index.ts';
export {
  type BackoffPolicy,
  backoffCeilingMs,
  type ConnectAttempt,
  type Connector,
  createFramedConnector,
  createReconnectingClient,
  fullJitterDelayMs,
  QUEUE_FULL_POLICIES,
  type QueueFullPolicy,
  RECONNECT_DEFAULTS,
  type ReconnectConnection,
  type ReconnectDisconnectReason,
  ReconnectingClient,
  type ReconnectingClientEvents,
  type ReconnectingClientOptions,
  type ReconnectState,
  type ReconnectTimers,
  type ResumeInfo,
} from './reconnect/index.ts';
