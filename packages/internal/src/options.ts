/**
 * Checks of numeric options, one message style and one error class per fault everywhere:
 * - `TypeError` when the value is not of the kind asked for: not a number, `NaN`, or (for
 *   {@link checkInteger}) not an integer;
 * - `RangeError` when it is of the right kind but outside the range (`Infinity` included).
 *
 * The message is always `<name> must be <kind> <range>, got <value>`, where the range reads
 * `from <min> to <max>` or, with no upper bound, `≥ <min>`:
 * `maxFrameBytes must be an integer from 1 to 16777216, got 0`.
 */
import { quoteInput } from './quote.ts';

/** The longest delay Node's timers accept (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const TIMER_MAX_MS = 2_147_483_647;

/**
 * Checks an integer option against an inclusive range and returns it.
 * @param name - the option's name, as the caller wrote it.
 * @param value - what arrived.
 * @param min - the smallest value allowed.
 * @param max - the largest value allowed. @default Number.MAX_SAFE_INTEGER (no upper bound shown)
 * @throws {TypeError} when `value` is not an integer (not a number, `NaN`, a fraction).
 * @throws {RangeError} when it is an integer outside `min`…`max`.
 * @example checkInteger('maxConnections', options.maxConnections ?? 100, 1, 10_000);
 */
export function checkInteger(
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  // The message is built only on failure: some callers check per packet.
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    (Number.isFinite(value) && !Number.isInteger(value))
  )
    throw new TypeError(message(name, 'an integer', min, max, value));
  if (!(value >= min && value <= max))
    throw new RangeError(message(name, 'an integer', min, max, value));
  return value;
}

/**
 * Checks a finite number option (milliseconds, a probability, a factor) against an inclusive
 * range and returns it.
 * @param name - the option's name, as the caller wrote it.
 * @param value - what arrived.
 * @param min - the smallest value allowed.
 * @param max - the largest value allowed. @default Number.MAX_VALUE (no upper bound shown)
 * @throws {TypeError} when `value` is not a number or is `NaN`.
 * @throws {RangeError} when it is outside `min`…`max`, or infinite.
 * @example checkNumber('loss', options.loss, 0, 1);
 */
export function checkNumber(
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_VALUE,
): number {
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new TypeError(message(name, numberKind(max), min, max, value));
  if (!(Number.isFinite(value) && value >= min && value <= max))
    throw new RangeError(message(name, numberKind(max), min, max, value));
  return value;
}

const numberKind = (max: number): string =>
  max === Number.MAX_VALUE ? 'a finite number' : 'a number';

/** `<name> must be <kind> <range>, got <value>`. */
function message(name: string, kind: string, min: number, max: number, value: unknown): string {
  return `${name} must be ${kind} ${rangeText(min, max)}, got ${shown(value)}`;
}

function rangeText(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER || max === Number.MAX_VALUE
    ? `≥ ${min}`
    : `from ${min} to ${max}`;
}

/** A value as a message shows it: numbers plain, strings quoted, objects by their kind. */
function shown(value: unknown): string {
  if (typeof value === 'string') return quoteInput(value);
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  return String(value);
}
