/**
 * The options of {@link createConnectionPool}, their defaults and their checks, and the shape a
 * pooled connection must have, whatever carries it (framed TCP, a raw stream, later a WebSocket).
 */
import { checkInteger, errorCode, TIMER_MAX_MS } from '@socketlab/internal';
import { type ConnectionClock, systemClock } from '../connections/index.ts';

/**
 * What the pool needs of a connection: whether it is still usable, and a way to drop it. A
 * `ConnectionTransport` (src/connections) and a {@link PooledFramedConnection} both fit.
 */
export interface PoolableConnection {
  /** True once the connection is closed or closing: the pool never hands such a one out. */
  readonly closed: boolean;
  /** Closes at once; the pool calls it for every connection it drops. */
  destroy(): void;
  /**
   * Optional: when present, the pool listens for `'close'` and drops an idle connection the
   * moment it closes, instead of finding out at the next acquire.
   */
  once?(event: 'close', listener: () => void): unknown;
  /** Optional: removes the `'close'` listener when the pool lets the connection go. */
  off?(event: 'close', listener: () => void): unknown;
}

/** What the connect function is told about the connection it makes. */
export interface PoolConnectAttempt {
  /** Aborted when the pool gives the attempt up (`connectTimeoutMs`, or `close()`). */
  readonly signal: AbortSignal;
}

/**
 * Makes one connection; rejects when it cannot. {@link createFramedPoolConnector} and
 * {@link createTcpPoolConnector} make ones for stage 2's framed and raw TCP.
 */
export type PoolConnector<C extends PoolableConnection> = (
  attempt: PoolConnectAttempt,
) => Promise<C>;

/** Options of {@link createConnectionPool}. */
export interface ConnectionPoolOptions<C extends PoolableConnection> {
  /** Makes one connection. Required. */
  connect: PoolConnector<C>;
  /** At most this many connections open at once, idle and borrowed together. @default 10 */
  maxSize?: number;
  /** Keep at least this many idle connections ready (opened ahead of demand); ≤ maxSize. @default 0 */
  minIdle?: number;
  /** How long an acquire may wait for a connection before it rejects with `MULTIPLEXING_ERR_TIMEOUT`. @default 10000 */
  acquireTimeoutMs?: number;
  /**
   * Acquires allowed to wait (beyond those a connection is being opened for); one more rejects
   * at once with `MULTIPLEXING_ERR_LIMIT_EXCEEDED`. 0 = never wait. @default 1000
   */
  maxWaiting?: number;
  /** How long one connect may take before it is abandoned (its signal aborts). @default 10000 */
  connectTimeoutMs?: number;
  /** An idle connection is closed after this long unused (never below minIdle); 0 = never. @default 30000 */
  idleTimeoutMs?: number;
  /** A connection is closed once it has been lent this many times; 0 = no limit. @default 0 */
  maxUses?: number;
  /** A connection is closed (when released or found idle) once this old; 0 = no limit. @default 0 */
  maxLifetimeMs?: number;
  /**
   * An extra health check of an idle connection before it is lent (a connection that closed is
   * always dropped without asking). False, a rejection or a throw drops it and tries the next.
   * @default none
   */
  validate?: (connection: C) => boolean | Promise<boolean>;
  /**
   * Whether an error thrown inside {@link ConnectionPool.use} means the connection is broken (it
   * is then destroyed, not returned). @default {@link isConnectionLevelError}
   */
  isConnectionError?: (error: unknown) => boolean;
  /** The clock and timers. @default systemClock (unref'd Node timers) */
  clock?: ConnectionClock;
}

/** The defaults of {@link ConnectionPoolOptions}. */
export const CONNECTION_POOL_DEFAULTS = Object.freeze({
  maxSize: 10,
  minIdle: 0,
  acquireTimeoutMs: 10_000,
  maxWaiting: 1_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxUses: 0,
  maxLifetimeMs: 0,
});

/** Codes of errors that leave a connection unusable: broken, closed, or in the middle of a reply. */
const CONNECTION_LEVEL_CODES = new Set([
  'TCPUDP_ERR_CONNECTION',
  'TCPUDP_ERR_CLOSED',
  'TCPUDP_ERR_TIMEOUT',
  'TCPUDP_ERR_MALFORMED',
  'TCPUDP_ERR_TRUNCATED',
  'TCPUDP_ERR_PROTOCOL',
  'TCPUDP_ERR_FRAME_TOO_LARGE',
  'MULTIPLEXING_ERR_CONNECTION',
  'MULTIPLEXING_ERR_CLOSED',
  'MULTIPLEXING_ERR_PROTOCOL',
  'MULTIPLEXING_ERR_TIMEOUT',
]);

/**
 * The default of {@link ConnectionPoolOptions.isConnectionError}: true for an error whose `code`
 * is a system error (`ECONNRESET`, `EPIPE` …), Node's stream or socket codes (`ERR_STREAM_…`,
 * `ERR_SOCKET_…`), or a stage 2/3 code that means the connection broke, closed, timed out or
 * carried a bad frame. An application error (no code, or another) leaves the connection in use.
 * @example isConnectionLevelError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })); // true
 */
export function isConnectionLevelError(error: unknown): boolean {
  const code = errorCode(error);
  if (code === undefined) return false;
  return (
    CONNECTION_LEVEL_CODES.has(code) ||
    /^E[A-Z0-9]+$/.test(code) ||
    code.startsWith('ERR_STREAM_') ||
    code.startsWith('ERR_SOCKET_')
  );
}

/** The options checked, with every default filled in. */
export interface ResolvedPoolOptions<C extends PoolableConnection>
  extends Required<Omit<ConnectionPoolOptions<C>, 'validate'>> {
  readonly validate: ConnectionPoolOptions<C>['validate'];
}

/**
 * Checks every option and fills in the defaults.
 * @throws {TypeError} for an option of the wrong kind; {RangeError} for one out of range.
 */
export function resolvePoolOptions<C extends PoolableConnection>(
  options: ConnectionPoolOptions<C>,
): ResolvedPoolOptions<C> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createConnectionPool needs an options object with a connect function');
  }
  for (const name of ['connect', 'validate', 'isConnectionError'] as const) {
    const value = options[name];
    if ((name === 'connect' || value !== undefined) && typeof value !== 'function') {
      throw new TypeError(`${name} must be a function`);
    }
  }
  const clock = options.clock as unknown;
  if (
    clock !== undefined &&
    (typeof clock !== 'object' ||
      clock === null ||
      !['now', 'setTimeout', 'clearTimeout'].every(
        (name) => typeof (clock as Record<string, unknown>)[name] === 'function',
      ))
  ) {
    throw new TypeError('clock must be an object with now(), setTimeout() and clearTimeout()');
  }
  const d = CONNECTION_POOL_DEFAULTS;
  const maxSize = checkInteger('maxSize', options.maxSize ?? d.maxSize, 1, 100_000);
  const ms = (name: keyof typeof d, min: number): number =>
    checkInteger(name, options[name] ?? d[name], min, TIMER_MAX_MS);
  return {
    connect: options.connect,
    validate: options.validate,
    isConnectionError: options.isConnectionError ?? isConnectionLevelError,
    clock: options.clock ?? systemClock,
    maxSize,
    minIdle: checkInteger('minIdle', options.minIdle ?? d.minIdle, 0, maxSize),
    maxWaiting: checkInteger('maxWaiting', options.maxWaiting ?? d.maxWaiting, 0),
    maxUses: checkInteger('maxUses', options.maxUses ?? d.maxUses, 0),
    acquireTimeoutMs: ms('acquireTimeoutMs', 1),
    connectTimeoutMs: ms('connectTimeoutMs', 1),
    idleTimeoutMs: ms('idleTimeoutMs', 0),
    maxLifetimeMs: ms('maxLifetimeMs', 0),
  };
}
