/**
 * Exponential backoff with full jitter, as Marc Brooker describes it ("Exponential Backoff And
 * Jitter", AWS Architecture Blog, 2015): before retry `n` (0 for the first), wait a uniformly
 * random time between 0 and `min(maxDelayMs, baseDelayMs × 2^n)`.
 *
 * Why the jitter: when a server restarts, every client lost it at the same moment. With plain
 * exponential backoff they all come back at the same moments too (1 s, 2 s, 4 s …), a thundering
 * herd each time. Spreading each wait over the whole interval spreads the reconnections, and
 * Brooker's simulations show full jitter doing the least work for the fewest collisions.
 */

/** The exponential part of the policy. */
export interface BackoffPolicy {
  /** The ceiling of the first retry's wait; it doubles with each further retry. */
  readonly baseDelayMs: number;
  /** The cap on the ceiling. */
  readonly maxDelayMs: number;
}

/** The ceiling of retry `retry`'s wait: `min(maxDelayMs, baseDelayMs × 2^retry)`. */
export function backoffCeilingMs(retry: number, policy: BackoffPolicy): number {
  // 2^retry overflows to Infinity past retry 1023; min() then gives the cap, as it should.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
}

/**
 * The wait before retry `retry` (0 for the first), in whole milliseconds: full jitter over
 * `[0, min(maxDelayMs, baseDelayMs × 2^retry)]`.
 *
 * @param retry - Retries already waited for since the last successful connection.
 * @param policy - `baseDelayMs` and `maxDelayMs`.
 * @param random - A uniform draw in [0, 1): `Math.random`, or a seeded generator's `float` in tests.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 * @example
 * ```ts
 * const random = createSeededRandom(7);
 * fullJitterDelayMs(3, { baseDelayMs: 100, maxDelayMs: 10_000 }, () => random.float()); // 0…800
 * ```
 */
export function fullJitterDelayMs(
  retry: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const ceiling = backoffCeilingMs(retry, policy);
  const draw = random();
  // A draw outside [0, 1) from a custom source is clamped rather than trusted.
  const unit = draw >= 0 && draw < 1 ? draw : 0;
  return Math.floor(unit * (ceiling + 1));
}
