import type {
  Clock,
  TakeResult,
  TokenBucketOptions,
} from '../../exercises/09-token-bucket/exercise.ts';

/**
 * The library's bucket (src/realtime/rate-limit/token-bucket.ts): the refill compares times
 * before it multiplies, a clock stepping back is re-based, and a take is allowed within 1e-9
 * tokens so that waiting `waitMs` is always enough.
 */
export { TokenBucket } from '../../src/realtime/index.ts';
export type { Clock, TakeResult, TokenBucketOptions };
