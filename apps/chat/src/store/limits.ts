/** The limits both shared stores (Redis, NATS) take, checked in one place. */
import { checkInteger } from '@socketlab/internal';

/** What a shared store is told: messages kept per room, rooms kept, and how long an instance counts as alive. */
export interface SharedStoreLimitOptions {
  maxMessagesPerRoom?: number;
  maxRooms?: number;
  instanceTtlMs?: number;
}

/**
 * The store's limits, each the option or its default, each an integer ≥ 1.
 * @throws {TypeError|RangeError} for a limit that is not a positive integer.
 */
export function checkSharedStoreLimits(
  options: SharedStoreLimitOptions,
  defaults: Required<SharedStoreLimitOptions>,
): { maxMessages: number; maxRooms: number; ttlMs: number } {
  return {
    maxMessages: checkInteger(
      'maxMessagesPerRoom',
      options.maxMessagesPerRoom ?? defaults.maxMessagesPerRoom,
      1,
    ),
    maxRooms: checkInteger('maxRooms', options.maxRooms ?? defaults.maxRooms, 1),
    ttlMs: checkInteger('instanceTtlMs', options.instanceTtlMs ?? defaults.instanceTtlMs, 1),
  };
}
