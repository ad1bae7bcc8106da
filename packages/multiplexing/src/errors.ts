// Shared with every area of this package; not part of the public API (see @socketlab/internal).
export { quoteInput } from '@socketlab/internal';

/**
 * Every stable error code `@socketlab/multiplexing` raises. Codes never change meaning; the
 * package README lists each with what causes it and what to do.
 */
export const MULTIPLEXING_ERROR_CODES = [
  /** A configured limit was reached: connections (in all or per address), message rate, queue. */
  'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
  /** A connection was idle for longer than its idle timeout. */
  'MULTIPLEXING_ERR_IDLE_TIMEOUT',
  /** A peer missed too many heartbeats in a row: it is gone, with or without a FIN. */
  'MULTIPLEXING_ERR_HEARTBEAT_MISSED',
  /** A consumer fell further behind than its high-water mark allows and was disconnected. */
  'MULTIPLEXING_ERR_SLOW_CONSUMER',
  /** The server is shutting down: the connection was told, drained, or cut at the deadline. */
  'MULTIPLEXING_ERR_SHUTDOWN',
  /** A reconnecting client used every attempt its give-up rule allows. */
  'MULTIPLEXING_ERR_GAVE_UP',
  /** The connection could not be made or broke (refused, reset, unreachable). */
  'MULTIPLEXING_ERR_CONNECTION',
  /** The object is closed (or closing) and cannot be used any more. */
  'MULTIPLEXING_ERR_CLOSED',
  /** The peer broke the protocol (a bad command, a malformed frame). */
  'MULTIPLEXING_ERR_PROTOCOL',
  /** A worker (a `worker_threads` thread or a cluster process) died while running a task. */
  'MULTIPLEXING_ERR_WORKER_CRASHED',
  /** A task ran in a worker and threw: the worker is fine, the task failed. */
  'MULTIPLEXING_ERR_TASK_FAILED',
  /** A reactor was asked to register a handle it already has. */
  'MULTIPLEXING_ERR_ALREADY_REGISTERED',
  /** A reactor was asked about a handle it does not know (never registered, or deregistered). */
  'MULTIPLEXING_ERR_UNKNOWN_HANDLE',
  /** A reactor's `turn()` or `run()` was called while one of its turns was still running. */
  'MULTIPLEXING_ERR_LOOP_RUNNING',
  /** A wait ran out: a connection pool's acquire waited longer than `acquireTimeoutMs`. */
  'MULTIPLEXING_ERR_TIMEOUT',
] as const;

/** One of {@link MULTIPLEXING_ERROR_CODES}. */
export type MultiplexingErrorCode = (typeof MULTIPLEXING_ERROR_CODES)[number];

/** The base of every error `@socketlab/multiplexing` raises: check `code`, never the message. */
export class MultiplexingError extends Error {
  override name = 'MultiplexingError';
  constructor(
    readonly code: MultiplexingErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
