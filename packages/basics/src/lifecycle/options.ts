import { performance } from 'node:perf_hooks';
import { BasicsError, quoteInput } from '../errors.ts';
import type { LifecycleClock } from './event.ts';

/** The clock lifecycle events use unless told otherwise. */
export const DEFAULT_LIFECYCLE_CLOCK: LifecycleClock = () => performance.now();

/** The longest host name or address accepted (a DNS name is at most 253 characters). */
const MAX_HOST_LENGTH = 255;

/**
 * Checks a host option: a non-empty string with no control characters, at most 255 characters.
 * @throws {TypeError} for anything else.
 */
export function checkHost(name: string, host: unknown): string {
  if (typeof host !== 'string') {
    throw new TypeError(`${name} must be a string, got ${typeof host}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (host.length === 0 || host.length > MAX_HOST_LENGTH || /[\u0000-\u001f\u007f]/.test(host)) {
    throw new TypeError(
      `${name} must be a host name or IP address of 1 to ${MAX_HOST_LENGTH} printable characters, ` +
        `got ${quoteInput(host)}`,
    );
  }
  return host;
}

/**
 * Checks a clock option.
 * @throws {TypeError} when it is not a function.
 */
export function checkClock(value: unknown): LifecycleClock {
  if (typeof value !== 'function') {
    throw new TypeError(`clock must be a function returning milliseconds, got ${typeof value}`);
  }
  return value as LifecycleClock;
}

/**
 * Wraps a system error from connecting or listening: `BASICS_ERR_DNS` when the host name did not
 * resolve (the error came from `getaddrinfo`), `BASICS_ERR_CONNECTION` otherwise; the system error
 * stays as `cause`.
 */
export function socketFailure(action: string, error: NodeJS.ErrnoException): BasicsError {
  const dns = error.syscall === 'getaddrinfo';
  return new BasicsError(
    dns ? 'BASICS_ERR_DNS' : 'BASICS_ERR_CONNECTION',
    `${action}: ${dns ? 'the host name did not resolve, ' : ''}${error.code ?? error.message}`,
    { cause: error },
  );
}
