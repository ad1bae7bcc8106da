/**
 * One token bucket per key (a socket id, a client address), in bounded memory: idle buckets are
 * dropped as they are met, and a cap on tracked keys holds however many keys an attacker sprays.
 */
import { monotonicClock, type RateClock, type TakeResult, TokenBucket } from './token-bucket.ts';

/** Options of {@link KeyedLimiter}. */
export interface KeyedLimiterOptions {
  /** Each key's bucket: its burst. */
  readonly capacity: number;
  /** Each key's bucket: tokens per second. */
  readonly refillPerSecond: number;
  /**
   * The most keys tracked at once. A new key past it evicts the least recently used one (see
   * {@link KeyedLimiter}). @default 10_000
   */
  readonly maxKeys?: number;
  /**
   * A key unused this long is dropped. Never less than the time an empty bucket takes to refill
   * (`capacity / refillPerSecond` seconds): a bucket dropped then would have been full, and a
   * full bucket is what a new key gets anyway, so nothing is forgiven. @default that refill time
   */
  readonly idleMs?: number;
  /** @default monotonicClock */
  readonly clock?: RateClock;
}

/** Defaults of {@link KeyedLimiterOptions}. */
export const KEYED_LIMITER_DEFAULTS = Object.freeze({ maxKeys: 10_000 });

/** How many of the least recently used keys each take looks at for idleness (amortized sweep). */
const SWEEP_PER_TAKE = 2;

interface Entry {
  readonly bucket: TokenBucket;
  lastUsed: number;
}

/** What {@link KeyedLimiter.stats} reports. */
export interface KeyedLimiterStats {
  /** Keys tracked now (never above `maxKeys`). */
  readonly keys: number;
  /** Keys dropped for being idle since the limiter was made. */
  readonly idleEvictions: number;
  /** Keys dropped because `maxKeys` was reached: the sign of many keys at once (or an attack). */
  readonly capEvictions: number;
}

/**
 * Token buckets by key. Memory is bounded two ways, without a timer:
 *
 * - **Idle keys go.** Keys are kept in least-recently-used order (a `Map` re-inserted on use);
 *   each {@link take} looks at the two oldest and drops those idle for `idleMs`. A dropped bucket
 *   had refilled to full, which is what a new one starts with, so dropping it is lossless.
 * - **A cap.** At `maxKeys`, a new key evicts the least recently used one. Spraying keys (many
 *   source addresses) then costs the attacker its oldest buckets, never the server's memory;
 *   `stats().capEvictions` counts it so an operator can see it happen.
 *
 * @throws {RangeError} from the constructor for a bad option.
 * @example
 * ```ts
 * const perAddress = new KeyedLimiter({ capacity: 10, refillPerSecond: 2 });
 * if (!perAddress.take(addressKey(req.socket.remoteAddress ?? '')).allowed) res.writeHead(429).end();
 * ```
 */
export class KeyedLimiter {
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly maxKeys: number;
  readonly idleMs: number;
  readonly #clock: RateClock;
  readonly #entries = new Map<string, Entry>();
  #idleEvictions = 0;
  #capEvictions = 0;

  constructor(options: KeyedLimiterOptions) {
    // A throw-away bucket checks capacity and rate with the bucket's own messages.
    const probe = new TokenBucket({
      capacity: options.capacity,
      refillPerSecond: options.refillPerSecond,
      clock: { now: () => 0 },
    });
    this.capacity = probe.capacity;
    this.refillPerSecond = probe.refillPerSecond;
    const maxKeys = options.maxKeys ?? KEYED_LIMITER_DEFAULTS.maxKeys;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`maxKeys must be an integer >= 1, got ${String(maxKeys)}`);
    }
    this.maxKeys = maxKeys;
    const refillMs = (this.capacity / this.refillPerSecond) * 1000;
    const idleMs = options.idleMs ?? refillMs;
    if (typeof idleMs !== 'number' || Number.isNaN(idleMs) || idleMs < refillMs) {
      throw new RangeError(
        `idleMs must be at least the refill time of an empty bucket (${refillMs} ms), got ${String(idleMs)}`,
      );
    }
    this.idleMs = idleMs;
    this.#clock = options.clock ?? monotonicClock;
  }

  /**
   * Spends `count` tokens from `key`'s bucket (made full on first use).
   * @throws {RangeError} when `count` is not a finite number > 0.
   */
  take(key: string, count = 1): TakeResult {
    const now = this.#clock.now();
    this.#sweep(now, SWEEP_PER_TAKE);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.maxKeys) {
        const oldest = this.#entries.keys().next().value as string;
        this.#entries.delete(oldest);
        this.#capEvictions++;
      }
      entry = {
        bucket: new TokenBucket({
          capacity: this.capacity,
          refillPerSecond: this.refillPerSecond,
          clock: this.#clock,
        }),
        lastUsed: now,
      };
    } else {
      this.#entries.delete(key); // re-inserted below: most recently used goes last
    }
    entry.lastUsed = now;
    this.#entries.set(key, entry);
    return entry.bucket.take(count);
  }

  /** Forgets `key` (a socket that disconnected). */
  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Whether `key` has a bucket now. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Drops every key idle for `idleMs` now (each take already drops a few); returns how many. */
  sweep(): number {
    return this.#sweep(this.#clock.now(), Number.POSITIVE_INFINITY);
  }

  #sweep(now: number, limit: number): number {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (dropped >= limit) break;
      // A clock that went backwards makes `now - lastUsed` negative: such keys stay.
      if (now - entry.lastUsed < this.idleMs) break; // LRU order: the rest are newer
      this.#entries.delete(key);
      dropped++;
    }
    this.#idleEvictions += dropped;
    return dropped;
  }

  stats(): KeyedLimiterStats {
    return {
      keys: this.#entries.size,
      idleEvictions: this.#idleEvictions,
      capEvictions: this.#capEvictions,
    };
  }
}
