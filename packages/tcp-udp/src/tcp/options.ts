/**
 * Option checks shared by the TCP server, client and line chat: bad options throw synchronously,
 * `TypeError` for the wrong type, `RangeError` for a value out of range.
 */
import { quoteInput } from '../errors.ts';

/** The largest delay Node's timers accept (2^31 − 1 ms, about 24.8 days). */
export const TCP_TIMEOUT_MAX_MS = 2 ** 31 - 1;

/**
 * Checks an integer option against an inclusive range and returns it.
 * @throws {TypeError} when it is not a number; {RangeError} when it is not an integer in range.
 */
export function checkTcpInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${quoteInput(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Checks a timeout in milliseconds (0 where `allowZero`, meaning "no timeout").
 * @throws {TypeError}/{RangeError} as {@link checkTcpInteger}.
 */
export function checkTcpTimeout(name: string, value: unknown, allowZero: boolean): number {
  return checkTcpInteger(name, value, allowZero ? 0 : 1, TCP_TIMEOUT_MAX_MS);
}

/**
 * Checks a host option: a non-empty string of printable characters, at most 255 long.
 * @throws {TypeError} for anything else.
 */
export function checkTcpHost(name: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 255 ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    /[\u0000-\u001f\u007f]/.test(value)
  ) {
    throw new TypeError(`${name} must be a host name or IP address, got ${quoteInput(value)}`);
  }
  return value;
}

/**
 * Checks a port option (0 = let the kernel choose, where `allowZero`).
 * @throws {TypeError}/{RangeError} as {@link checkTcpInteger}.
 */
export function checkTcpPort(name: string, value: unknown, allowZero: boolean): number {
  return checkTcpInteger(name, value, allowZero ? 0 : 1, 65_535);
}
