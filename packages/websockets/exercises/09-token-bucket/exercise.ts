// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** Where the bucket reads the time, in milliseconds; only differences between readings matter. */
export interface Clock {
  now(): number;
}

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** The most tokens the bucket holds: the largest burst allowed at once. */
  readonly capacity: number;
  /** Tokens added per second, continuously (fractions count). */
  readonly refillPerSecond: number;
  /** The only source of time the bucket may use. */
  readonly clock: Clock;
}

/** What {@link TokenBucket.take} answers. */
export type TakeResult =
  | { readonly allowed: true; readonly remaining: number; readonly waitMs: 0 }
  | { readonly allowed: false; readonly remaining: number; readonly waitMs: number };

/**
 * A token bucket (exercises/09-token-bucket/README.md): at most `capacity` tokens, refilled at
 * `refillPerSecond`, read from `clock` only, no timer.
 * @example
 * const bucket = new TokenBucket({ capacity: 5, refillPerSecond: 2, clock: { now: () => performance.now() } });
 * bucket.take(); // { allowed: true, remaining: 4, waitMs: 0 }
 */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;

  constructor(options: TokenBucketOptions) {
    // TODO: capacity or refillPerSecond not a finite number > 0 → throw a RangeError.
    // TODO: keep the clock; start full (tokens = capacity), counted at clock.now().
    this.capacity = options.capacity;
    this.refillPerSecond = options.refillPerSecond;
  }

  /** The tokens held now, refilled to this moment (fractions included). */
  get tokens(): number {
    // TODO: refill (see "The arithmetic"), then return the tokens.
    throw new Error('not implemented yet: read exercises/09-token-bucket/README.md');
  }

  /**
   * Spends `count` tokens if the bucket holds them; otherwise spends nothing and says how long
   * until it would (`Infinity` when `count > capacity`). Throws a RangeError for a `count` that
   * is not a finite number > 0.
   */
  take(count = 1): TakeResult {
    // TODO: check count; refill; allowed (with a 1e-9 slack) → spend; else the wait ("Waiting").
    // TODO: time going backwards grants nothing; a huge gap fills the bucket without overflow.
    throw new Error('not implemented yet: read exercises/09-token-bucket/README.md');
  }
}
