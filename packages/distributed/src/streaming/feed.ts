/**
 * A conflating feed: one producer's latest value per key, fanned out to any number of consumers,
 * each with its own {@link ConflatingBuffer}. Pure: no sockets, no timers; the edge
 * (`serveConflatingFeed`) pulls from each subscription when its socket can take more.
 */
import { DistributedError } from '../errors.ts';
import { ConflatingBuffer, type StreamingClock } from './conflating-buffer.ts';

/** Options of {@link ConflatingFeed}. */
export interface ConflatingFeedOptions {
  /** The most distinct keys the feed holds; a new key past it is refused. @default 10000 */
  readonly maxKeys?: number;
  /**
   * A new key past `maxKeys`: `'drop'` ignores the update (counted in `droppedKeys`), `'error'`
   * throws `DISTRIBUTED_ERR_LIMIT`. @default 'drop'
   */
  readonly overflow?: 'drop' | 'error';
  /** Each subscription's default coalescing window (see ConflatingBuffer). @default 0 */
  readonly minIntervalMs?: number;
  /** Read by subscriptions with a window. @default performance */
  readonly clock?: StreamingClock;
}

/** One consumer of a {@link ConflatingFeed}. */
export interface FeedSubscription<K, V> {
  /** This consumer's pending updates, conflated. */
  readonly buffer: ConflatingBuffer<K, V>;
  /** Called when the buffer goes from empty to non-empty: time to pull. */
  onPending: (() => void) | undefined;
  /** Stops receiving; the buffer is cleared. */
  close(): void;
}

/**
 * A producer's latest value per key, and its subscribers. A new subscriber first gets the
 * current value of every key (a snapshot), then updates; every subscriber's memory is bounded by
 * the feed's `maxKeys`, however many updates arrive and however slowly it takes them.
 * @throws {RangeError} for a `maxKeys` that is not an integer ≥ 1; {TypeError} for an unknown
 *   `overflow`.
 * @example
 * ```ts
 * const feed = new ConflatingFeed<string, number>({ maxKeys: 1000 });
 * const sub = feed.subscribe();
 * feed.publish('EURUSD', 1.0841);
 * feed.publish('EURUSD', 1.0842);
 * sub.buffer.take(); // [['EURUSD', 1.0842]]
 * ```
 */
export class ConflatingFeed<K, V> {
  readonly maxKeys: number;
  readonly overflow: 'drop' | 'error';
  /** Updates refused because the feed held `maxKeys` keys. */
  droppedKeys = 0;
  /** Updates published (accepted). */
  published = 0;
  readonly #latest = new Map<K, V>();
  readonly #subscriptions = new Set<FeedSubscription<K, V>>();
  readonly #minIntervalMs: number;
  readonly #clock: StreamingClock | undefined;

  constructor(options: ConflatingFeedOptions = {}) {
    const maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`maxKeys must be an integer >= 1, got ${String(maxKeys)}`);
    }
    const overflow = options.overflow ?? 'drop';
    if (overflow !== 'drop' && overflow !== 'error') {
      throw new TypeError(`overflow must be 'drop' or 'error', got ${String(overflow)}`);
    }
    this.maxKeys = maxKeys;
    this.overflow = overflow;
    this.#minIntervalMs = options.minIntervalMs ?? 0;
    this.#clock = options.clock;
  }

  /** Distinct keys held. */
  get size(): number {
    return this.#latest.size;
  }

  /** Subscribers now. */
  get subscriberCount(): number {
    return this.#subscriptions.size;
  }

  /** The latest value of `key`. */
  get(key: K): V | undefined {
    return this.#latest.get(key);
  }

  /** Every key with its latest value, in the order keys first appeared. */
  entries(): IterableIterator<[K, V]> {
    return this.#latest.entries();
  }

  /**
   * Sets the latest value of `key` and marks it dirty for every subscriber.
   * @returns false when the update was refused (a new key at `maxKeys`, `'drop'`).
   * @throws {DistributedError} `DISTRIBUTED_ERR_LIMIT` for a new key at `maxKeys` under `'error'`.
   */
  publish(key: K, value: V): boolean {
    if (!this.#latest.has(key) && this.#latest.size >= this.maxKeys) {
      this.droppedKeys++;
      if (this.overflow === 'error') {
        throw new DistributedError(
          'DISTRIBUTED_ERR_LIMIT',
          `the feed holds its maximum of ${this.maxKeys} keys: raise maxKeys or publish fewer keys`,
        );
      }
      return false;
    }
    this.#latest.set(key, value);
    this.published++;
    for (const sub of this.#subscriptions) {
      const wasEmpty = sub.buffer.size === 0;
      sub.buffer.offer(key, value);
      if (wasEmpty) sub.onPending?.();
    }
    return true;
  }

  /**
   * A new consumer, holding the current value of every key as pending (the snapshot).
   * @param options.minIntervalMs - its coalescing window. @default the feed's
   */
  subscribe(options: { minIntervalMs?: number } = {}): FeedSubscription<K, V> {
    const buffer = new ConflatingBuffer<K, V>({
      maxKeys: this.maxKeys,
      overflow: 'error', // cannot happen: the feed never holds more keys than this
      minIntervalMs: options.minIntervalMs ?? this.#minIntervalMs,
      ...(this.#clock === undefined ? {} : { clock: this.#clock }),
    });
    for (const [key, value] of this.#latest) buffer.offer(key, value);
    const subscriptions = this.#subscriptions;
    const sub: FeedSubscription<K, V> = {
      buffer,
      onPending: undefined,
      close() {
        subscriptions.delete(sub);
        buffer.clear();
      },
    };
    subscriptions.add(sub);
    return sub;
  }
}
