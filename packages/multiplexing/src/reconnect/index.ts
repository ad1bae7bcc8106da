/**
 * The reconnecting client (M7): full-jitter exponential backoff, a give-up rule, a resume hook,
 * a bounded offline queue and events for a UI, over any transport.
 *
 * Other areas import this area only through this file; `src/index.ts` chooses the public names.
 */
export { type BackoffPolicy, backoffCeilingMs, fullJitterDelayMs } from './backoff.ts';
export {
  createReconnectingClient,
  type ReconnectDisconnectReason,
  ReconnectingClient,
  type ReconnectingClientEvents,
  type ReconnectState,
} from './client.ts';
export { createFramedConnector } from './framed.ts';
export {
  type ConnectAttempt,
  type Connector,
  RECONNECT_DEFAULTS,
  type ReconnectConnection,
  type ReconnectingClientOptions,
  type ReconnectTimers,
  type ResumeInfo,
} from './options.ts';
export { QUEUE_FULL_POLICIES, type QueueFullPolicy } from './queue.ts';
