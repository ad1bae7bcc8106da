/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
export {
  type BackoffComparisonRow,
  compareBackoff,
  type DelayRange,
  type HeartbeatConnection,
  type HeartbeatDetectionWindow,
  type HeartbeatMonitor,
  type HeartbeatMonitorOptions,
  type HeartbeatSettings,
  type HeartbeatTarget,
  heartbeatDetectionWindow,
  heartbeatOptions,
  measureHeartbeat,
  SOCKET_IO_HEARTBEAT_DEFAULTS,
  SOCKET_IO_RECONNECT_DEFAULTS,
  type SocketIoBackoffOptions,
  STICKY_MAX_SID_LENGTH,
  type StickyRequest,
  type StickyRouteKeyOptions,
  socketIoBackoffRange,
  stickyRouteKey,
} from './transports/index.ts';
