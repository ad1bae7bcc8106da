/**
 * Fan-out: one message to many consumers, each through its own bounded queue, so one slow
 * consumer costs at most its high-water mark and never delays the others.
 */
import type { SendOutcome } from './outbound-queue.ts';

/** Anything a message can be broadcast to: a managed connection, or your own wrapper. */
export interface BroadcastTarget {
  /** Sends (or queues, drops, refuses) one message and says which; never throws for a slow peer. */
  send(data: Uint8Array): SendOutcome;
}

/** Options of {@link broadcast}. */
export interface BroadcastOptions<T extends BroadcastTarget> {
  /** A target left out (the sender of a chat line, say). @default undefined */
  readonly except?: T | undefined;
}

/** How many targets each {@link SendOutcome} went to, in one {@link broadcast}. */
export type BroadcastResult = Record<SendOutcome, number>;

/**
 * Sends `data` to every target (the same bytes object: nothing is copied per target) and counts
 * what became of it.
 * @example
 * ```ts
 * const result = broadcast(manager.connections, Buffer.from('tick\n'));
 * if (result.dropped > 0) console.warn(`${result.dropped} slow consumers missed a tick`);
 * ```
 */
export function broadcast<T extends BroadcastTarget>(
  targets: Iterable<T>,
  data: Uint8Array,
  options: BroadcastOptions<T> = {},
): BroadcastResult {
  const result: BroadcastResult = { sent: 0, queued: 0, dropped: 0, overflow: 0, closed: 0 };
  const { except } = options;
  for (const target of targets) {
    if (target === except) continue;
    result[target.send(data)]++;
  }
  return result;
}
