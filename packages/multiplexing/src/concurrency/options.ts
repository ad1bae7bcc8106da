/**
 * The options of {@link listenConcurrencyServer}, their defaults and their checks, shared by the
 * three models (the cluster passes the per-connection ones on to its workers).
 */
import os from 'node:os';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { WORKER_POOL_DEFAULTS } from './worker-pool.ts';

/**
 * The three ways to serve the protocol:
 * - `'event-loop'`: one thread does everything; a `cpu` request holds it, and every other
 *   request waits.
 * - `'worker-pool'`: the event loop does the I/O and hands `cpu` requests to a {@link WorkerPool}.
 * - `'cluster'`: `node:cluster` forks processes that share the listening port; each serves with
 *   its own event loop, as `'event-loop'` does.
 */
export const CONCURRENCY_MODELS = ['event-loop', 'worker-pool', 'cluster'] as const;

/** One of {@link CONCURRENCY_MODELS}. */
export type ConcurrencyModel = (typeof CONCURRENCY_MODELS)[number];

/** Options of {@link listenConcurrencyServer}. */
export interface ConcurrencyServerOptions {
  /** How requests are served. @default 'event-loop' */
  readonly model?: ConcurrencyModel;
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 lets the kernel choose (the cluster's workers share it). @default 0 */
  readonly port?: number;
  /** `'worker-pool'`: threads in the pool. @default max(1, os.availableParallelism() − 1) */
  readonly poolSize?: number;
  /** `'worker-pool'`: `cpu` requests that may wait for a thread; one more is answered `MULTIPLEXING_ERR_LIMIT_EXCEEDED`. @default 64 */
  readonly maxQueue?: number;
  /** `'cluster'`: worker processes. @default os.availableParallelism() */
  readonly workers?: number;
  /** `'cluster'`: workers forked again after one died unasked, in the server's life; 0 = none. @default 5 */
  readonly maxRestarts?: number;
  /** `'cluster'`: how long a worker may take to start listening. @default 20000 */
  readonly startTimeoutMs?: number;
  /**
   * Requests one connection may have in flight; past it the server stops reading that connection
   * (TCP flow control then slows the client) until one is answered. @default 64
   */
  readonly maxInFlight?: number;
  /** Connections at once (per process); more are refused by the kernel's accept. @default 1000 */
  readonly maxConnections?: number;
  /** How long close() lets in-flight requests finish before it cuts the connections. @default 2000 */
  readonly closeTimeoutMs?: number;
}

/** The defaults of {@link ConcurrencyServerOptions}. */
export const CONCURRENCY_SERVER_DEFAULTS = {
  model: 'event-loop',
  host: '127.0.0.1',
  port: 0,
  poolSize: WORKER_POOL_DEFAULTS.size,
  maxQueue: WORKER_POOL_DEFAULTS.maxQueue,
  workers: os.availableParallelism(),
  maxRestarts: 5,
  startTimeoutMs: 20_000,
  maxInFlight: 64,
  maxConnections: 1_000,
  closeTimeoutMs: 2_000,
} as const;

/** Every option, checked, with its default. */
export type ResolvedConcurrencyOptions = {
  -readonly [K in keyof ConcurrencyServerOptions]-?: Exclude<
    ConcurrencyServerOptions[K],
    undefined
  >;
};

/**
 * Checks every option and fills in the defaults.
 * @throws {TypeError} for an unknown model, an empty host or a non-integer; {RangeError} for an
 *   integer out of range.
 */
export function resolveConcurrencyOptions(
  options: ConcurrencyServerOptions = {},
): ResolvedConcurrencyOptions {
  const d = CONCURRENCY_SERVER_DEFAULTS;
  const model = options.model ?? d.model;
  if (!CONCURRENCY_MODELS.includes(model)) {
    throw new TypeError(
      `model must be one of ${CONCURRENCY_MODELS.join(', ')}, got ${String(model)}`,
    );
  }
  const host = options.host ?? d.host;
  if (typeof host !== 'string' || host === '')
    throw new TypeError('host must be a non-empty string');
  return {
    model,
    host,
    port: checkInteger('port', options.port ?? d.port, 0, 65_535),
    poolSize: checkInteger('poolSize', options.poolSize ?? d.poolSize, 1, 256),
    maxQueue: checkInteger('maxQueue', options.maxQueue ?? d.maxQueue, 0, 1_000_000),
    workers: checkInteger('workers', options.workers ?? d.workers, 1, 256),
    maxRestarts: checkInteger('maxRestarts', options.maxRestarts ?? d.maxRestarts, 0, 1_000),
    startTimeoutMs: checkInteger(
      'startTimeoutMs',
      options.startTimeoutMs ?? d.startTimeoutMs,
      1,
      TIMER_MAX_MS,
    ),
    maxInFlight: checkInteger('maxInFlight', options.maxInFlight ?? d.maxInFlight, 1, 100_000),
    maxConnections: checkInteger(
      'maxConnections',
      options.maxConnections ?? d.maxConnections,
      1,
      1_000_000,
    ),
    closeTimeoutMs: checkInteger(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? d.closeTimeoutMs,
      0,
      TIMER_MAX_MS,
    ),
  };
}

/** A listening server of any model; see {@link listenConcurrencyServer}. */
export interface ConcurrencyServer {
  /** How it serves. */
  readonly model: ConcurrencyModel;
  /** Where it listens (the port every cluster worker shares). */
  readonly address: { readonly address: string; readonly family: string; readonly port: number };
  /** The processes answering: this one, or the cluster's live workers. */
  pids(): number[];
  /** `'cluster'`: workers forked again after one died unasked; 0 for the other models. */
  readonly restarts: number;
  /**
   * Closes gracefully: stops accepting, answers the requests in flight (new ones on open
   * connections get `MULTIPLEXING_ERR_SHUTDOWN`), ends each connection, then stops the pool's
   * threads or the cluster's processes. After `closeTimeoutMs` what is left is cut. Resolves
   * once nothing it opened is left; calling it again returns the same promise.
   */
  close(): Promise<void>;
}
