/**
 * `@socketlab/websockets/realtime`: real time on Socket.IO, next to the hand-written WebSocket of
 * the main entry — typed events and acknowledgements, auth, rate limits, binary encodings, a game
 * server and the chat and notification pieces the apps use. A subpath of its own, so importing the
 * RFC 6455 library never loads socket.io. Everything public is re-exported here by name.
 */

export { REALTIME_ERROR_CODES, RealtimeError, type RealtimeErrorCode } from './errors.ts';
export {
  type AddressKeyOptions,
  addressKey,
  createFloodGuard,
  FLOOD_GUARD_DEFAULTS,
  type FloodGuard,
  type FloodGuardOptions,
  type FloodGuardServerLimits,
  type FloodGuardStats,
  type FloodViolation,
  floodGuardServerOptions,
  KEYED_LIMITER_DEFAULTS,
  KeyedLimiter,
  type KeyedLimiterOptions,
  type KeyedLimiterStats,
  measurePayload,
  monotonicClock,
  type PayloadMeasure,
  type RateClock,
  type TakeResult,
  TokenBucket,
  type TokenBucketOptions,
} from './rate-limit/index.ts';
