/**
 * The options of {@link createReconnectingClient}, their defaults and their checks, and the
 * shapes a transport provides: a connection and a function that makes one.
 */
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { QUEUE_FULL_POLICIES, type QueueFullPolicy } from './queue.ts';

/**
 * A connection as the reconnecting client sees it, whatever carries it (framed TCP, a
 * WebSocket …). Iterating it yields the messages received; the iteration ends when the
 * connection ends cleanly and throws when it breaks.
 */
export interface ReconnectConnection<In, Out> extends AsyncIterable<In> {
  /** Sends one message; resolves once the transport took it (after backpressure). */
  send(message: Out): Promise<void>;
  /** Closes at once; the iteration then ends. */
  close(): void;
}

/** What a connect function is told about the attempt it makes. */
export interface ConnectAttempt {
  /** 1 for the first attempt since the last successful connection (or the start), then 2, 3 … */
  readonly attempt: number;
  /** Aborted when the attempt is given up (`connectTimeoutMs`, or `close()`). */
  readonly signal: AbortSignal;
}

/** Makes one connection; rejects when it cannot. {@link createFramedConnector} makes one for framed TCP. */
export type Connector<In, Out> = (attempt: ConnectAttempt) => Promise<ReconnectConnection<In, Out>>;

/** What the `resume` hook is told. */
export interface ResumeInfo {
  /** The attempt that made this connection. */
  readonly attempt: number;
  /** False for the client's first connection, true for every later one. */
  readonly reconnect: boolean;
}

/** The clock and timers the client uses: injected by tests, so backoff needs no real waiting. */
export interface ReconnectTimers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's own clock and timers. */
export const REAL_TIMERS: ReconnectTimers = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
});

/** Options of {@link createReconnectingClient}. */
export interface ReconnectingClientOptions<In, Out> {
  /** Makes one connection (see {@link createFramedConnector} for framed TCP). */
  connect: Connector<In, Out>;
  /**
   * Runs on every connection, the first and each reconnection, before any queued message is
   * sent: subscribe again, log in, resume a session. Messages received meanwhile are emitted as
   * usual. If it throws, the connection is closed and counts as a failed attempt. @default none
   */
  resume?: (connection: ReconnectConnection<In, Out>, info: ResumeInfo) => void | Promise<void>;
  /** The ceiling of the first retry's wait, doubled for each further one. @default 100 */
  baseDelayMs?: number;
  /** The cap on the ceiling of any wait (full jitter waits a random time below it). @default 30000 */
  maxDelayMs?: number;
  /**
   * Give up after this many failed attempts in a row (the first connection included) with
   * `MULTIPLEXING_ERR_GAVE_UP`; 0 = never. @default 0
   */
  maxAttempts?: number;
  /**
   * Give up once this long has passed since the connection was lost (or the client started)
   * without a new one: no attempt starts after it; 0 = never. @default 0
   */
  reconnectTimeoutMs?: number;
  /** How long one attempt may take before it is abandoned and counts as failed. @default 10000 */
  connectTimeoutMs?: number;
  /** Messages kept while there is no connection. @default 1000 */
  maxQueuedMessages?: number;
  /** Bytes kept while there is no connection (as `sizeOf` counts them). @default 1048576 */
  maxQueuedBytes?: number;
  /**
   * What a send does when the queue is full: `drop-oldest` makes room by dropping the oldest
   * (their sends reject with `MULTIPLEXING_ERR_LIMIT_EXCEEDED`, each emitted as `dropped`);
   * `reject` refuses the new message. @default 'drop-oldest'
   */
  queueFullPolicy?: QueueFullPolicy;
  /** A message's size in bytes for `maxQueuedBytes`. @default byteLength of bytes, UTF-8 length of a string, else 0 */
  sizeOf?: (message: Out) => number;
  /** Uniform draws in [0, 1) for the jitter: a seeded generator makes delays repeatable. @default Math.random */
  random?: () => number;
  /** The clock and timers. @default Node's own (`performance.now`, `setTimeout`) */
  timers?: ReconnectTimers;
}

/** The defaults of {@link ReconnectingClientOptions}. */
export const RECONNECT_DEFAULTS = Object.freeze({
  baseDelayMs: 100,
  maxDelayMs: 30_000,
  maxAttempts: 0,
  reconnectTimeoutMs: 0,
  connectTimeoutMs: 10_000,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 1024 * 1024,
  queueFullPolicy: 'drop-oldest' as QueueFullPolicy,
});

/** The options checked, with every default filled in. */
export type ResolvedReconnectOptions<In, Out> = Required<
  Omit<ReconnectingClientOptions<In, Out>, 'resume'>
> & { readonly resume: ReconnectingClientOptions<In, Out>['resume'] | undefined };

const defaultSizeOf = (message: unknown): number => {
  if (message instanceof Uint8Array) return message.byteLength;
  if (typeof message === 'string') return Buffer.byteLength(message);
  return 0;
};

/**
 * Checks every option and fills in the defaults.
 * @throws {TypeError} for an option of the wrong kind; {RangeError} for one out of range.
 */
export function resolveReconnectOptions<In, Out>(
  options: ReconnectingClientOptions<In, Out>,
): ResolvedReconnectOptions<In, Out> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createReconnectingClient needs an options object');
  }
  for (const name of ['connect', 'resume', 'sizeOf', 'random'] as const) {
    const value = options[name];
    if ((name === 'connect' || value !== undefined) && typeof value !== 'function') {
      throw new TypeError(`${name} must be a function`);
    }
  }
  const timers = options.timers as unknown;
  if (
    timers !== undefined &&
    (typeof timers !== 'object' ||
      timers === null ||
      !['now', 'setTimeout', 'clearTimeout'].every(
        (name) => typeof (timers as Record<string, unknown>)[name] === 'function',
      ))
  ) {
    throw new TypeError('timers must have now(), setTimeout() and clearTimeout() functions');
  }
  const policy = options.queueFullPolicy ?? RECONNECT_DEFAULTS.queueFullPolicy;
  if (!QUEUE_FULL_POLICIES.includes(policy)) {
    throw new TypeError(
      `queueFullPolicy must be one of ${QUEUE_FULL_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
    );
  }
  const baseDelayMs = checkInteger(
    'baseDelayMs',
    options.baseDelayMs ?? RECONNECT_DEFAULTS.baseDelayMs,
    1,
    TIMER_MAX_MS,
  );
  return {
    connect: options.connect,
    resume: options.resume,
    baseDelayMs,
    maxDelayMs: checkInteger(
      'maxDelayMs',
      options.maxDelayMs ?? Math.max(RECONNECT_DEFAULTS.maxDelayMs, baseDelayMs),
      baseDelayMs,
      TIMER_MAX_MS,
    ),
    maxAttempts: checkInteger(
      'maxAttempts',
      options.maxAttempts ?? RECONNECT_DEFAULTS.maxAttempts,
      0,
    ),
    reconnectTimeoutMs: checkInteger(
      'reconnectTimeoutMs',
      options.reconnectTimeoutMs ?? RECONNECT_DEFAULTS.reconnectTimeoutMs,
      0,
      TIMER_MAX_MS,
    ),
    connectTimeoutMs: checkInteger(
      'connectTimeoutMs',
      options.connectTimeoutMs ?? RECONNECT_DEFAULTS.connectTimeoutMs,
      1,
      TIMER_MAX_MS,
    ),
    maxQueuedMessages: checkInteger(
      'maxQueuedMessages',
      options.maxQueuedMessages ?? RECONNECT_DEFAULTS.maxQueuedMessages,
      0,
    ),
    maxQueuedBytes: checkInteger(
      'maxQueuedBytes',
      options.maxQueuedBytes ?? RECONNECT_DEFAULTS.maxQueuedBytes,
      0,
    ),
    queueFullPolicy: policy,
    sizeOf: options.sizeOf ?? defaultSizeOf,
    random: options.random ?? Math.random,
    timers: options.timers ?? REAL_TIMERS,
  };
}
