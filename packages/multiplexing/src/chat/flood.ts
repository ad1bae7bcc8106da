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
  return new Bucket(ratePerSecond, burst, nowMs);
}

/**
 * A class, not a closure: one small object per client, its methods shared; the room chat extends
 * it with the rest of what it keeps per client, so that is one object too.
 */
export class Bucket implements TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = nowMs;
  }

  take(now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
