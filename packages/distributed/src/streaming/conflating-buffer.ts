/**
 * The pure core of conflation: what one consumer has not taken yet, as the latest value per key
 * (a dirty-key set in the order keys became dirty, and the value each holds now) instead of a
 * queue of every update. No I/O, no timer: time comes from an injected clock.
 */
import { DistributedError } from '../errors.ts';

/** Where a {@link ConflatingBuffer} reads the time, in milliseconds. */
export interface StreamingClock {
  now(): number;
}

/** What happens to an update for a new key when a buffer already holds `maxKeys` keys. */
export type ConflationOverflow = 'drop-new' | 'drop-oldest' | 'error';

/** Options of {@link ConflatingBuffer}. */
export interface ConflatingBufferOptions {
  /** The most keys pending at once: memory is bounded by keys, never by updates. @default 10000 */
  readonly maxKeys?: number;
  /**
   * A new key past `maxKeys`: `'drop-new'` drops its update (counted in `dropped`),
   * `'drop-oldest'` evicts the key pending longest (counted in `evicted`), `'error'` throws
   * `DISTRIBUTED_ERR_LIMIT`. @default 'drop-new'
   */
  readonly overflow?: ConflationOverflow;
  /**
   * The shortest time between two deliveries of one key (a coalescing window, as a market-data
   * throttle): 0 delivers a key as soon as it is taken. @default 0
   */
  readonly minIntervalMs?: number;
  /** The only source of time, read when `minIntervalMs` > 0. @default performance */
  readonly clock?: StreamingClock;
}

/** What {@link ConflatingBuffer.offer} did with an update. */
export type OfferResult = 'queued' | 'conflated' | 'dropped';

/** Counters of a {@link ConflatingBuffer}, since it was made. */
export interface ConflationStats {
  /** Updates offered. */
  offered: number;
  /** Updates taken (delivered). */
  delivered: number;
  /** Updates overwritten by a newer value of their key before they were taken. */
  conflated: number;
  /** Updates for a new key refused at `maxKeys` (`'drop-new'`). */
  dropped: number;
  /** Pending keys evicted at `maxKeys` (`'drop-oldest'`), each with its value. */
  evicted: number;
}

const DEFAULT_MAX_KEYS = 10_000;

/**
 * One consumer's pending updates, conflated: at most one value per key, the latest offered.
 *
 * - `offer(key, value)` marks the key dirty with that value; a key already dirty keeps its place
 *   in line and takes the new value (the old one is counted as conflated).
 * - `take(max)` hands out up to `max` dirty keys, oldest-dirty first (fair: a hot key updated a
 *   thousand times waits its turn once, behind keys that became dirty before it), each with its
 *   current value, and forgets them. With `minIntervalMs`, a key delivered less than that long
 *   ago stays pending (and keeps conflating) until its window has passed.
 *
 * @throws {RangeError} for a `maxKeys` that is not an integer ≥ 1 or a negative `minIntervalMs`;
 *   {TypeError} for an unknown `overflow`.
 * @example
 * ```ts
 * const buffer = new ConflatingBuffer<string, number>({ maxKeys: 1000 });
 * buffer.offer('EURUSD', 1.0841);
 * buffer.offer('EURUSD', 1.0842); // 'conflated'
 * buffer.take(); // [['EURUSD', 1.0842]]
 * ```
 */
export class ConflatingBuffer<K, V> {
  readonly maxKeys: number;
  readonly overflow: ConflationOverflow;
  readonly minIntervalMs: number;
  /** Counters since the buffer was made. */
  readonly stats: ConflationStats = {
    offered: 0,
    delivered: 0,
    conflated: 0,
    dropped: 0,
    evicted: 0,
  };
  readonly #clock: StreamingClock;
  /** Dirty keys in the order they became dirty, each with its latest value. */
  readonly #pending = new Map<K, V>();
  /** When each key was last delivered, oldest first; only kept while inside the window. */
  readonly #lastDelivered = new Map<K, number>();

  constructor(options: ConflatingBufferOptions = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`maxKeys must be an integer >= 1, got ${String(maxKeys)}`);
    }
    const overflow = options.overflow ?? 'drop-new';
    if (overflow !== 'drop-new' && overflow !== 'drop-oldest' && overflow !== 'error') {
      throw new TypeError(
        `overflow must be 'drop-new', 'drop-oldest' or 'error', got ${String(overflow)}`,
      );
    }
    const minIntervalMs = options.minIntervalMs ?? 0;
    if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) {
      throw new RangeError(`minIntervalMs must be a finite number >= 0, got ${minIntervalMs}`);
    }
    this.maxKeys = maxKeys;
    this.overflow = overflow;
    this.minIntervalMs = minIntervalMs;
    this.#clock = options.clock ?? performance;
  }

  /** Keys pending now (each holds one value): never more than `maxKeys`. */
  get size(): number {
    return this.#pending.size;
  }

  /** Entries held in memory (pending values plus delivery times inside the window). */
  get heldEntries(): number {
    return this.#pending.size + this.#lastDelivered.size;
  }

  /** The value pending for `key`, if any. */
  peek(key: K): V | undefined {
    return this.#pending.get(key);
  }

  /**
   * Records the latest value of `key`.
   * @returns `'queued'` (the key became dirty), `'conflated'` (it was dirty: its older value is
   *   gone) or `'dropped'` (a new key at `maxKeys` under `'drop-new'`).
   * @throws {DistributedError} `DISTRIBUTED_ERR_LIMIT` for a new key at `maxKeys` under `'error'`.
   */
  offer(key: K, value: V): OfferResult {
    this.stats.offered++;
    if (this.#pending.has(key)) {
      this.#pending.set(key, value); // a Map keeps the key's place: fairness
      this.stats.conflated++;
      return 'conflated';
    }
    if (this.#pending.size >= this.maxKeys) {
      if (this.overflow === 'drop-new') {
        this.stats.dropped++;
        return 'dropped';
      }
      if (this.overflow === 'error') {
        this.stats.offered--;
        throw new DistributedError(
          'DISTRIBUTED_ERR_LIMIT',
          `a conflating buffer holds its maximum of ${this.maxKeys} keys: raise maxKeys or choose another overflow policy`,
        );
      }
      const oldest = this.#pending.keys().next().value as K;
      this.#pending.delete(oldest);
      this.stats.evicted++;
    }
    this.#pending.set(key, value);
    return 'queued';
  }

  /**
   * Up to `max` pending keys with their current values, oldest-dirty first, skipping keys still
   * inside their `minIntervalMs` window; they are forgotten once taken.
   */
  take(max = Number.POSITIVE_INFINITY): Array<[K, V]> {
    const out: Array<[K, V]> = [];
    const now = this.minIntervalMs === 0 ? 0 : this.#clock.now();
    if (this.minIntervalMs > 0) this.#forgetOldDeliveries(now);
    if (!(max >= 1) || this.#pending.size === 0) return out;
    if (this.minIntervalMs === 0) {
      for (const [key, value] of this.#pending) {
        if (out.length >= max) break;
        out.push([key, value]);
        this.#pending.delete(key);
      }
      this.stats.delivered += out.length;
      return out;
    }
    for (const [key, value] of this.#pending) {
      if (out.length >= max) break;
      if (!this.#isReady(key, now)) continue;
      out.push([key, value]);
      this.#pending.delete(key);
      this.#lastDelivered.delete(key); // re-inserted last: the map stays in delivery order
      this.#lastDelivered.set(key, now);
    }
    this.stats.delivered += out.length;
    return out;
  }

  /**
   * How long until `take` can hand out something: 0 when a key is ready now, the wait in ms when
   * every pending key is inside its window, `undefined` when nothing is pending.
   */
  nextReadyInMs(): number | undefined {
    if (this.#pending.size === 0) return undefined;
    if (this.minIntervalMs === 0) return 0;
    const now = this.#clock.now();
    let wait = Number.POSITIVE_INFINITY;
    for (const key of this.#pending.keys()) {
      const at = this.#lastDelivered.get(key);
      if (at === undefined || this.#isReady(key, now)) return 0;
      wait = Math.min(wait, at + this.minIntervalMs - now);
    }
    return wait;
  }

  /** Forgets every pending key (a consumer gone); counters stay. */
  clear(): void {
    this.#pending.clear();
    this.#lastDelivered.clear();
  }

  #isReady(key: K, now: number): boolean {
    const at = this.#lastDelivered.get(key);
    // A clock that steps back (now < at) never stalls a key: it is ready.
    return at === undefined || now - at >= this.minIntervalMs || now < at;
  }

  #forgetOldDeliveries(now: number): void {
    for (const [key, at] of this.#lastDelivered) {
      if (now - at < this.minIntervalMs && now >= at) break;
      this.#lastDelivered.delete(key);
    }
  }
}
