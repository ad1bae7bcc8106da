/**
 * Transports (W9, W13): Socket.IO's heartbeat as numbers (the settings for a detection target,
 * the window a dead link is noticed in, the round trip each heartbeat measures), its reconnection
 * backoff next to stage 3's full jitter, and the key a balancer routes long polling by.
 *
 * Other areas import this area only through this file; `src/realtime/index.ts` chooses the public names.
 */
export {
  type BackoffComparisonRow,
  compareBackoff,
  type DelayRange,
  SOCKET_IO_RECONNECT_DEFAULTS,
  type SocketIoBackoffOptions,
  socketIoBackoffRange,
} from './backoff.ts';
export {
  type HeartbeatDetectionWindow,
  type HeartbeatSettings,
  type HeartbeatTarget,
  heartbeatDetectionWindow,
  heartbeatOptions,
  SOCKET_IO_HEARTBEAT_DEFAULTS,
} from './heartbeat.ts';
export {
  type HeartbeatConnection,
  type HeartbeatMonitor,
  type HeartbeatMonitorOptions,
  measureHeartbeat,
} from './heartbeat-monitor.ts';
export {
  STICKY_MAX_SID_LENGTH,
  type StickyRequest,
  type StickyRouteKeyOptions,
  stickyRouteKey,
} from './sticky.ts';
