/**
 * Retry schedules and the response cache of the UDP request/response layer: pure, with time
 * injected, so tests drive them without waiting.
 */
import { checkInteger, checkNumber, TIMER_MAX_MS } from '@socketlab/internal';

/** How a client retries a request that got no answer. */
export interface UdpRetryPolicy {
  /** How long the first attempt waits for its answer, in ms. @default 500 */
  readonly timeoutMs?: number;
  /** Attempts after the first one; 0 sends once. @default 3 */
  readonly retries?: number;
  /** Each attempt waits `backoff` times longer than the one before (≥ 1). @default 2 */
  readonly backoff?: number;
  /** No single attempt waits longer than this, in ms. @default 10_000 */
  readonly maxTimeoutMs?: number;
}

/** The defaults of {@link UdpRetryPolicy}: 500, 1000, 2000, 4000 ms, 7.5 s in all. */
export const UDP_RETRY_DEFAULTS = {
  timeoutMs: 500,
  retries: 3,
  backoff: 2,
  maxTimeoutMs: 10_000,
} as const;

/**
 * The wait of every attempt under `policy`: attempt `i` waits `min(timeoutMs * backoff^i,
 * maxTimeoutMs)`. Exponential backoff keeps a client from flooding a congested path
 * (RFC 8085 §3.1, congestion control guidelines).
 * @throws {RangeError} for a non-positive timeout, a negative or fractional `retries` (> 100),
 *   or a `backoff` below 1.
 * @example udpRetrySchedule({ timeoutMs: 100, retries: 3 }); // [100, 200, 400, 800]
 */
export function udpRetrySchedule(policy: UdpRetryPolicy = {}): number[] {
  const { timeoutMs, retries, backoff, maxTimeoutMs } = checkUdpRetryPolicy(policy);
  return Array.from({ length: retries + 1 }, (_, i) =>
    Math.min(Math.round(timeoutMs * backoff ** i), maxTimeoutMs),
  );
}

/**
 * Fills in the defaults of `policy` and checks every field.
 * @throws {RangeError} as {@link udpRetrySchedule}.
 */
export function checkUdpRetryPolicy(policy: UdpRetryPolicy): Required<UdpRetryPolicy> {
  const merged = { ...UDP_RETRY_DEFAULTS, ...policy };
  const { timeoutMs, retries, backoff, maxTimeoutMs } = merged;
  checkNumber('timeoutMs', timeoutMs, 1, TIMER_MAX_MS);
  checkInteger('retries', retries, 0, 100);
  checkNumber('backoff', backoff, 1);
  checkNumber('maxTimeoutMs', maxTimeoutMs, timeoutMs, TIMER_MAX_MS);
  return merged;
}

/** One entry of a {@link UdpResponseCache}: still running, or answered with these bytes. */
export type UdpCacheEntry =
  | { readonly state: 'pending'; readonly at: number }
  | { readonly state: 'done'; readonly at: number; readonly response: Uint8Array };

/** Options of {@link UdpResponseCache}. */
export interface UdpResponseCacheOptions {
  /** Entries kept at most; the oldest goes first. @default 1024 */
  readonly maxEntries?: number;
  /** How long an entry lives, in ms. Make it ≥ a client's whole retry span. @default 30_000 */
  readonly ttlMs?: number;
  /** The clock, in ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * The server's memory of recent requests, keyed by (peer address, peer port, request id): a
 * retried request is answered from here instead of running the handler again. That gives
 * at-most-once execution for as long as an entry lives (`ttlMs`, and while fewer than
 * `maxEntries` newer requests came in); past that, a very late retry runs again.
 * @example
 * const cache = new UdpResponseCache({ ttlMs: 5000 });
 * cache.begin('127.0.0.1', 5000, 7); // true: run the handler
 * cache.begin('127.0.0.1', 5000, 7); // false: already running or answered
 */
export class UdpResponseCache {
  readonly #entries = new Map<string, UdpCacheEntry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  /**
   * @throws {RangeError} for a `maxEntries` or `ttlMs` below 1; {TypeError} for a fractional
   *   `maxEntries`, or NaN.
   */
  constructor(options: UdpResponseCacheOptions = {}) {
    const { maxEntries = 1024, ttlMs = 30_000, now = Date.now } = options;
    checkInteger('maxEntries', maxEntries, 1);
    checkNumber('ttlMs', ttlMs, 1);
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Live entries now. */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  /** The live entry of a request, if any. */
  get(address: string, port: number, id: number): UdpCacheEntry | undefined {
    this.#sweep();
    return this.#entries.get(key(address, port, id));
  }

  /**
   * Marks a request as running. Returns `false` (do not run it) when it is already running or
   * answered and still remembered.
   */
  begin(address: string, port: number, id: number): boolean {
    if (this.get(address, port, id)) return false;
    this.#put(key(address, port, id), { state: 'pending', at: this.#now() });
    return true;
  }

  /** Stores the answer of a request begun with {@link begin}. */
  finish(address: string, port: number, id: number, response: Uint8Array): void {
    this.#put(key(address, port, id), { state: 'done', at: this.#now(), response });
  }

  /** Forgets a request (its handler failed and nothing should be replayed). */
  forget(address: string, port: number, id: number): void {
    this.#entries.delete(key(address, port, id));
  }

  #put(k: string, entry: UdpCacheEntry): void {
    this.#entries.delete(k);
    this.#entries.set(k, entry);
    this.#sweep();
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Drops expired entries from the front (the map is in insertion order, oldest first). */
  #sweep(): void {
    const cutoff = this.#now() - this.#ttlMs;
    for (const [k, entry] of this.#entries) {
      if (entry.at > cutoff) break;
      this.#entries.delete(k);
    }
  }
}

function key(address: string, port: number, id: number): string {
  return `${address}|${port}|${id}`;
}
