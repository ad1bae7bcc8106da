// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** Where the buffer reads the time, in milliseconds. */
export interface StreamingClock {
  now(): number;
}

/** Options of {@link ConflatingBuffer}. */
export interface ConflatingBufferOptions {
  /** The most keys pending at once. Default 10000. */
  readonly maxKeys?: number;
  /** A new key at `maxKeys`: drop its update, or evict the key pending longest. Default 'drop-new'. */
  readonly overflow?: 'drop-new' | 'drop-oldest';
  /** The shortest time between two deliveries of one key, in ms. Default 0 (no window). */
  readonly minIntervalMs?: number;
  /** The only source of time. Default `performance`. */
  readonly clock?: StreamingClock;
}

/** What {@link ConflatingBuffer.offer} did. */
export type OfferResult = 'queued' | 'conflated' | 'dropped';

/** Counters since the buffer was made. */
export interface ConflationStats {
  offered: number;
  delivered: number;
  conflated: number;
  dropped: number;
  evicted: number;
}

/**
 * One consumer's pending updates, conflated: at most one value per key, the latest
 * (exercises/04-conflating-feed/README.md).
 * @example
 * const buffer = new ConflatingBuffer<string, number>();
 * buffer.offer('EURUSD', 1.0841);
 * buffer.offer('EURUSD', 1.0842); // 'conflated'
 * buffer.take();                  // [['EURUSD', 1.0842]]
 */
export class ConflatingBuffer<K, V> {
  readonly maxKeys: number;
  readonly minIntervalMs: number;
  readonly stats: ConflationStats = {
    offered: 0,
    delivered: 0,
    conflated: 0,
    dropped: 0,
    evicted: 0,
  };

  constructor(options: ConflatingBufferOptions = {}) {
    // TODO: maxKeys not an integer >= 1, or minIntervalMs not a finite number >= 0 → RangeError.
    // TODO: keep the clock; make the pending map (key → latest value, in the order keys became dirty).
    this.maxKeys = options.maxKeys ?? 10_000;
    // TODO: keep options.overflow (default 'drop-new') in a field of your own.
    this.minIntervalMs = options.minIntervalMs ?? 0;
  }

  /** Keys pending now. */
  get size(): number {
    // TODO
    throw new Error('not implemented yet: read exercises/04-conflating-feed/README.md');
  }

  /** Records the latest value of `key` ("Latest value per key", "A bound on keys"). */
  offer(key: K, value: V): OfferResult {
    // TODO
    throw new Error('not implemented yet: read exercises/04-conflating-feed/README.md');
  }

  /** Up to `max` pending keys with their values, oldest-dirty first ("Fair order", "A window"). */
  take(max = Number.POSITIVE_INFINITY): Array<[K, V]> {
    // TODO
    throw new Error('not implemented yet: read exercises/04-conflating-feed/README.md');
  }
}

/** Where {@link writeConflated} writes: a socket-like thing that says when it is full. */
export interface ConflatedSink {
  readonly writableNeedDrain: boolean;
  send(payload: Uint8Array): unknown;
}

/**
 * Moves pending updates from `buffer` to `sink` while `sink.writableNeedDrain` is false, in
 * batches of up to `maxBatch` ("The wiring"). Returns how many it wrote.
 */
export function writeConflated<K, V>(
  buffer: ConflatingBuffer<K, V>,
  sink: ConflatedSink,
  encode: (key: K, value: V) => Uint8Array,
  maxBatch = 64,
): number {
  // TODO
  throw new Error('not implemented yet: read exercises/04-conflating-feed/README.md');
}
