/** The pool's errors, one builder each, so every message says what happened and what to do. */
import { MultiplexingError } from '../errors.ts';

/** `MULTIPLEXING_ERR_CLOSED`: an acquire on (or waiting in) a closed pool. */
export function closedError(): MultiplexingError {
  return new MultiplexingError(
    'MULTIPLEXING_ERR_CLOSED',
    'the connection pool is closed: make a new pool to connect again',
  );
}

/** `MULTIPLEXING_ERR_LIMIT_EXCEEDED`: every connection is out and `maxWaiting` acquires wait. */
export function queueFullError(maxSize: number, maxWaiting: number): MultiplexingError {
  return new MultiplexingError(
    'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
    `the pool is exhausted: all ${maxSize} connections are in use and ${maxWaiting} acquires ` +
      'already wait (maxWaiting); retry later or raise maxSize',
  );
}

/** `MULTIPLEXING_ERR_TIMEOUT`: an acquire waited `acquireTimeoutMs`. */
export function acquireTimeoutError(
  ms: number,
  borrowed: number,
  maxSize: number,
): MultiplexingError {
  return new MultiplexingError(
    'MULTIPLEXING_ERR_TIMEOUT',
    `no pooled connection became free within ${ms} ms (acquireTimeoutMs; ${borrowed} of ` +
      `${maxSize} borrowed): release connections sooner or raise maxSize`,
  );
}

/** `MULTIPLEXING_ERR_TIMEOUT`: a connect took longer than `connectTimeoutMs`. */
export function connectTimeoutError(ms: number): MultiplexingError {
  return new MultiplexingError(
    'MULTIPLEXING_ERR_TIMEOUT',
    `connecting took longer than ${ms} ms (connectTimeoutMs): is the server overloaded or unreachable?`,
  );
}

/** A failed connect as `MULTIPLEXING_ERR_CONNECTION` (the original as `cause`); a connect timeout as it is. */
export function connectError(error: unknown): MultiplexingError {
  if (error instanceof MultiplexingError && error.code === 'MULTIPLEXING_ERR_TIMEOUT') return error;
  const why = error instanceof Error ? error.message : String(error);
  return new MultiplexingError(
    'MULTIPLEXING_ERR_CONNECTION',
    `could not open a pooled connection: ${why}`,
    { cause: error },
  );
}
