/**
 * A token bucket per client, pure (time is passed in): `burst` tokens at most, refilled at
 * `ratePerSecond`; each line takes one.
 */

/** One client's bucket. */
export interface TokenBucket {
  /** Takes one token at `nowMs`; false when the bucket is empty (the line is over the rate). */
  take(nowMs: number): boolean;
}

/**
 * Creates a full bucket.
 * @param ratePerSecond - tokens added per second.
 * @param burst - the bucket's size: lines allowed back to back.
 * @param nowMs - the time it starts at.
 * @example
 * ```ts
 * const bucket = createTokenBucket(10, 20, Date.now());
 * if (!bucket.take(Date.now())) console.log('too fast');
 * ```
 */
export function createTokenBucket(
  ratePerSecond: number,
  burst: number,
  nowMs: number,
): TokenBucket {
  let tokens = burst;
  let last = nowMs;
  return {
    take(now) {
      if (now > last) {
        tokens = Math.min(burst, tokens + ((now - last) * ratePerSecond) / 1000);
        last = now;
      }
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
