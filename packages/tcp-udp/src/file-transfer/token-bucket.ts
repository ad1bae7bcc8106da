/**
 * A token bucket: at most `ratePerSecond` events a second on average, with bursts of up to
 * `burst`. Pure: the caller passes the time, so tests need no clock. The file receiver paces each
 * session's file headers with one, so a sender that pipelines headers gets answers at that rate.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  /**
   * @param ratePerSecond - Tokens added per second (> 0).
   * @param burst - The most tokens held, and the bucket's start.
   * @param now - The time in milliseconds (any monotonic origin).
   */
  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /**
   * Takes one token: returns 0 when one was there, else how many milliseconds to wait before the
   * event may go ahead (the token is taken all the same, so waits queue up fairly).
   * @example new TokenBucket(10, 1, 0).take(0) // 0, then take(0) again → 100
   */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.ratePerSecond);
  }
}
