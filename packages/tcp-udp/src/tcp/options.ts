/**
 * Option checks shared by the TCP server, client and line chat: bad options throw synchronously,
 * `TypeError` for the wrong type, `RangeError` for a value out of range.
 */
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import { quoteInput } from '../errors.ts';

/**
 * Checks a timeout in milliseconds (0 where `allowZero`, meaning "no timeout").
 * @throws {TypeError}/{RangeError} as `checkInteger` (`@socketlab/internal`).
 */
export function checkTcpTimeout(name: string, value: unknown, allowZero: boolean): number {
  return checkInteger(name, value, allowZero ? 0 : 1, TIMER_MAX_MS);
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
 * @throws {TypeError}/{RangeError} as `checkInteger` (`@socketlab/internal`).
 */
export function checkTcpPort(name: string, value: unknown, allowZero: boolean): number {
  return checkInteger(name, value, allowZero ? 0 : 1, 65_535);
}
