import { checkNumber, TIMER_MAX_MS } from '@socketlab/internal';

/**
 * Checks a timeout option: a number of milliseconds from 1 to `max` (Node's timers go no further
 * than `TIMER_MAX_MS`). Internal: shared by every module that takes a `timeoutMs`.
 * @throws {TypeError} when it is not a number (or `NaN`); {RangeError} when it is out of range.
 */
export function checkTimeoutMs(value: unknown, max = TIMER_MAX_MS, name = 'timeoutMs'): number {
  return checkNumber(name, value, 1, max);
}
