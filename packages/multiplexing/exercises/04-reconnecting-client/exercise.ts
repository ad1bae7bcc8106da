// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/**
 * What the client tells a person (or a UI) about itself, in the order it happens. The lesson
 * (exercises/04-reconnecting-client/README.md, "Status for a person") says when each is due.
 */
export type ClientStatus =
  /** Attempt `attempt` starts: 1 for the first since the start or since the last connection. */
  | { readonly type: 'connecting'; readonly attempt: number }
  /** A connection is up; `reconnect` is false only for the very first one. */
  | { readonly type: 'connected'; readonly attempt: number; readonly reconnect: boolean }
  /** An established connection was lost (not reported for an attempt that never connected). */
  | { readonly type: 'disconnected' }
  /** The next attempt starts in `inMs`; `retry` is 0 for the first wait since the last connection. */
  | { readonly type: 'retrying'; readonly retry: number; readonly inMs: number }
  /** The give-up rule was met after `attempts` failed attempts in a row: the client stops. */
  | { readonly type: 'gave-up'; readonly attempts: number };

/** Options of {@link startReconnectingClient}. Every delay is in milliseconds. */
export interface ReconnectingLineClientOptions {
  /** The server: always 127.0.0.1 in the spec. */
  readonly host: string;
  readonly port: number;
  /** Sent as `SUB <topic>\n`, in this order, first thing on EVERY connection. */
  readonly topics: readonly string[];
  /** The ceiling of the first wait (retry 0); it doubles with each further retry. */
  readonly baseDelayMs: number;
  /** The cap on the ceiling. */
  readonly maxDelayMs: number;
  /** Give up after this many failed attempts in a row; 0 = never. */
  readonly maxAttempts: number;
  /** The most lines kept while offline; when full, the OLDEST waiting line is dropped. */
  readonly maxQueued: number;
  /** Uniform draws in [0, 1): one per wait. @default Math.random */
  readonly random?: () => number;
  /** Called with each status, synchronously, in order. */
  readonly onStatus?: (status: ClientStatus) => void;
  /** Called with each line the server sends, without its `\n`. */
  readonly onLine?: (line: string) => void;
}

/** What {@link startReconnectingClient} returns. */
export interface ReconnectingLineClient {
  /** Sends `line` (no `\n` in it) now if connected, else keeps it for the next connection. */
  send(line: string): void;
  /** Lines waiting for a connection. */
  readonly queued: number;
  /** Lines dropped from the full offline queue so far. */
  readonly dropped: number;
  /** Stops for good: cancels a wait or an attempt and closes the connection. */
  close(): Promise<void>;
}

/**
 * Starts a line client that stays connected to `host:port`: it connects at once, and after a
 * failed attempt or a lost connection waits a full-jitter exponential backoff and tries again,
 * until the give-up rule says stop. Every connection first sends the `SUB` lines, then the lines
 * kept while offline, in order.
 * @example
 * const client = startReconnectingClient({ host: '127.0.0.1', port: 7000, topics: ['news'],
 *   baseDelayMs: 100, maxDelayMs: 10_000, maxAttempts: 0, maxQueued: 100,
 *   onStatus: (s) => console.log(s) });
 * client.send('hello');
 */
export function startReconnectingClient(
  options: ReconnectingLineClientOptions,
): ReconnectingLineClient {
  // TODO: a loop: connect (net.connect, handle 'error'); on failure or loss, compute the wait
  // (full jitter: random() × min(maxDelayMs, baseDelayMs × 2^retry)), report it, sleep, retry.
  // TODO: reset the retry counter and the failed-attempt count on every successful connection.
  // TODO: give up (report it, stop) after maxAttempts failed attempts in a row.
  // TODO: on every connection: the SUB lines first, then the queued lines in order.
  // TODO: offline, keep lines in a queue of at most maxQueued (drop the oldest, count drops).
  throw new Error('not implemented yet: read exercises/04-reconnecting-client/README.md');
}
