/**
 * The words the pool reports in: why it dropped a connection, its counts, its events, and what
 * close() found.
 */
import type { MultiplexingError } from '../errors.ts';

/**
 * Why the pool dropped a connection:
 * - `closed-while-idle`: it closed (peer FIN or RST) while nobody held it;
 * - `closed-while-borrowed`: it was released already closed;
 * - `failed-validation`: `validate` said no (or threw) before it was lent;
 * - `idle-timeout`, `max-uses`, `max-lifetime`: the limits of the same names;
 * - `connection-error`: `use()`'s function threw a connection-level error;
 * - `destroyed`: the borrower called `destroy()`;
 * - `pool-closed`: `close()` closed it (at once when idle, or at the deadline).
 */
export const POOL_DESTROY_REASONS = [
  'closed-while-idle',
  'closed-while-borrowed',
  'failed-validation',
  'idle-timeout',
  'max-uses',
  'max-lifetime',
  'connection-error',
  'destroyed',
  'pool-closed',
] as const;

/** One of {@link POOL_DESTROY_REASONS}. */
export type PoolDestroyReason = (typeof POOL_DESTROY_REASONS)[number];

/** The counts {@link ConnectionPool.stats} reports. */
export interface ConnectionPoolStats {
  /** Connections open now: idle + borrowed (connects in flight not included). */
  readonly size: number;
  /** Open and waiting to be lent. */
  readonly idle: number;
  /** Lent out (or being validated before being lent). */
  readonly borrowed: number;
  /** Connects in flight. */
  readonly connecting: number;
  /** Acquires waiting for a connection. */
  readonly waiting: number;
  /** Connections opened since the pool was made. */
  readonly created: number;
  /** Connections the pool dropped since it was made. */
  readonly destroyed: number;
}

/** The events a {@link ConnectionPool} emits; none is `'error'`, so none can crash a process. */
export interface ConnectionPoolEvents<C> {
  /** A new connection is open. */
  created: [connection: C];
  /** The pool dropped a connection, and why. */
  destroyed: [connection: C, reason: PoolDestroyReason];
  /** A connect failed (the oldest waiter, if any, rejects with it). */
  connectFailed: [error: MultiplexingError];
}

/** What {@link ConnectionPool.close} reports once everything is closed. */
export interface PoolCloseReport {
  /** Borrowed connections released before the deadline. */
  readonly released: number;
  /** Borrowed connections still out at the deadline, destroyed under their borrower. */
  readonly destroyedAtDeadline: number;
}
