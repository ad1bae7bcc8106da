/**
 * Checks of what a client sends, pure: each refusal is a `REALTIME_ERR_PAYLOAD` that says what was
 * expected and shows (at most 40 characters of) what arrived.
 */

import { RealtimeError } from '@socketlab/websockets/realtime';

/** At most 40 characters of a value a client sent, for a refusal's words. */
export function describeValue(value: unknown): string {
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : value === null || typeof value !== 'object'
        ? String(value)
        : Array.isArray(value)
          ? 'an array'
          : 'an object';
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * The payload of `event` as a plain object (never an array or a scalar).
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` otherwise.
 */
export function payloadObject(
  event: string,
  shape: string,
  payload: unknown,
): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `${event} takes ${shape}, got ${describeValue(payload)}`,
    );
  }
  return payload as Record<string, unknown>;
}

/**
 * An optional whole number ≥ `min` (a `seq` cursor, a limit): `undefined` when absent.
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` for anything else.
 */
export function optionalCount(
  event: string,
  name: string,
  value: unknown,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `${event}'s ${name} is a whole number ≥ ${min}, got ${describeValue(value)}`,
    );
  }
  return value;
}
