/**
 * A token bucket written by hand: pure arithmetic on an injected clock, no timer inside. Its
 * state is two numbers (tokens, and the clock reading they were counted at); a take refills by
 * the time elapsed since, then spends or refuses.
 */

/** Where a bucket reads the time, in milliseconds; only differences between readings matter. */
export interface RateClock {
  now(): number;
}

/** `performance.now()`: monotonic, so a bucket on it never sees time go backwards. */
export const monotonicClock: RateClock = Object.freeze({ now: () => performance.now() });

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** The most tokens the bucket holds: the largest burst it allows at once. */
  readonly capacity: number;
  /** Tokens added per second, continuously (fractions count): the long-run rate it allows. */
  readonly refillPerSecond: number;
  /** Tokens at the start. @default capacity (a new client may burst at once) */
  readonly initialTokens?: number;
  /** Where time comes from (inject a manual clock in tests). @default monotonicClock */
  readonly clock?: RateClock;
}

/** What {@link TokenBucket.take} answers. */
export type TakeResult =
  | {
      /** The tokens were spent: go ahead. */
      readonly allowed: true;
      /** Tokens left after this take (may be fractional). */
      readonly remaining: number;
      readonly waitMs: 0;
    }
  | {
      /** Not enough tokens: nothing was spent. */
      readonly allowed: false;
      /** Tokens held now. */
      readonly remaining: number;
      /**
       * How long until the same take would be allowed, if nothing else is taken meanwhile;
       * `Infinity` when more than `capacity` was asked (it never will be).
       */
      readonly waitMs: number;
    };

/**
 * Float slack: refill is `elapsed × rate`, and `waitMs` computed back from it can land a hair
 * short (1e-16 tokens). A take counts as allowed within this many tokens, so waiting `waitMs`
 * is always enough; it lets through at most this much extra per take.
 */
const SLACK = 1e-9;

function checkPositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

/**
 * A token bucket (the shaping algorithm of RFC 2697 and of most API gateways): it holds up to
 * `capacity` tokens, gains `refillPerSecond` tokens a second, and each action spends some. A
 * burst of `capacity` passes at once; sustained, no more than `refillPerSecond` a second passes.
 * Over any window of `t` seconds it allows at most `capacity + refillPerSecond × t` tokens.
 *
 * The clock is read on each call; nothing runs between calls, so an idle bucket costs nothing.
 * A clock that goes **backwards** (a wall clock stepped back) grants nothing for that step and
 * counts on from the new reading: the bucket neither refills nor stalls for the time it lost.
 * A huge gap (a laptop that slept a week) simply fills the bucket: refill is clamped to
 * `capacity` before any multiplication can overflow.
 *
 * @throws {RangeError} from the constructor when `capacity` or `refillPerSecond` is not a
 *   finite number > 0, or `initialTokens` is outside `0..capacity`.
 * @see https://www.rfc-editor.org/rfc/rfc2697 (a single rate three color marker: two token buckets)
 * @example
 * ```ts
 * const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 5 });
 * const result = bucket.take();
 * if (!result.allowed) console.log(`slow down: retry in ${Math.ceil(result.waitMs)} ms`);
 * ```
 */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly #clock: RateClock;
  #tokens: number;
  #at: number;

  constructor(options: TokenBucketOptions) {
    this.capacity = checkPositive('capacity', options.capacity);
    this.refillPerSecond = checkPositive('refillPerSecond', options.refillPerSecond);
    const initial = options.initialTokens ?? this.capacity;
    if (typeof initial !== 'number' || !(initial >= 0 && initial <= this.capacity)) {
      throw new RangeError(
        `initialTokens must be between 0 and capacity (${this.capacity}), got ${String(initial)}`,
      );
    }
    this.#clock = options.clock ?? monotonicClock;
    if (typeof this.#clock.now !== 'function') throw new TypeError('clock must have now()');
    this.#tokens = initial;
    this.#at = this.#read();
  }

  /** The clock's reading, or the last one when it returns something that is not a finite number. */
  #read(): number {
    const now = this.#clock.now();
    return Number.isFinite(now) ? now : this.#at;
  }

  /** Adds what the time since the last reading earned, never above `capacity`. */
  #refill(): void {
    const now = this.#read();
    const elapsedMs = now - this.#at;
    this.#at = now; // backwards: re-based, nothing granted
    if (elapsedMs <= 0) return;
    const missing = this.capacity - this.#tokens;
    // Compare times, not products: elapsedMs × rate could overflow to Infinity.
    const fillMs = (missing / this.refillPerSecond) * 1000;
    this.#tokens =
      elapsedMs >= fillMs
        ? this.capacity
        : Math.min(this.capacity, this.#tokens + (elapsedMs * this.refillPerSecond) / 1000);
  }

  /** The tokens held now (refilled to this moment; fractional). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Spends `count` tokens if the bucket holds them; otherwise spends nothing and says how long
   * until it would.
   * @param count - Tokens to spend. @default 1
   * @throws {RangeError} when `count` is not a finite number > 0.
   */
  take(count = 1): TakeResult {
    checkPositive('count', count);
    this.#refill();
    if (this.#tokens + SLACK >= count) {
      this.#tokens = Math.max(0, this.#tokens - count);
      return { allowed: true, remaining: this.#tokens, waitMs: 0 };
    }
    const waitMs =
      count > this.capacity
        ? Number.POSITIVE_INFINITY
        : ((count - this.#tokens) / this.refillPerSecond) * 1000;
    return { allowed: false, remaining: this.#tokens, waitMs };
  }

  /** Whether the bucket is full now: it then behaves exactly like a new one (see KeyedLimiter). */
  get full(): boolean {
    return this.tokens >= this.capacity;
  }
}
