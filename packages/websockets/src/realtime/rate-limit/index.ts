/**
 * Rate limiting and flood protection (W8): a token bucket on an injected clock, buckets by key in
 * bounded memory, and a flood guard for Socket.IO servers.
 *
 * Other areas import this area only through this file; `src/realtime/index.ts` chooses the public names.
 */
export { type AddressKeyOptions, addressKey } from './address-key.ts';
export { measurePayload, type PayloadMeasure } from './depth.ts';
export {
  createFloodGuard,
  FLOOD_GUARD_DEFAULTS,
  type FloodGuard,
  type FloodGuardOptions,
  type FloodGuardServerLimits,
  type FloodGuardStats,
  type FloodViolation,
  floodGuardServerOptions,
} from './flood-guard.ts';
export {
  KEYED_LIMITER_DEFAULTS,
  KeyedLimiter,
  type KeyedLimiterOptions,
  type KeyedLimiterStats,
} from './keyed-limiter.ts';
export {
  monotonicClock,
  type RateClock,
  type TakeResult,
  TokenBucket,
  type TokenBucketOptions,
} from './token-bucket.ts';
