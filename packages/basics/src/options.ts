import { quoteInput } from './errors.ts';

/** The longest timer Node accepts: setTimeout clamps anything larger to 1 ms. */
export const TIMEOUT_MAX_MS = 2_147_483_647;

/**
 * Checks a timeout option: a finite number of milliseconds above 0 and at most `max`.
 * Internal: shared by every module that takes a `timeoutMs`.
 * @throws {RangeError} for anything else, saying what arrived.
 */
export function checkTimeoutMs(value: unknown, max = TIMEOUT_MAX_MS, name = 'timeoutMs'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(
      `${name} must be a number of milliseconds from 1 to ${max}, got ${quoteInput(value)}`,
    );
  }
  return value;
}
