/**
 * The three queues of a work queue with delayed retries and dead letters, and the headers this
 * area writes. Pure: names and declaration arguments, no I/O.
 *
 * ```
 * producer ──▶ <queue> ──▶ consumer ──(fails, retries left)──▶ <queue>.retry  (TTL = retryDelayMs)
 *                  ▲                                                │ expires: dead-lettered
 *                  └────────────────────────────────────────────────┘ to the default exchange
 *              consumer ──(retries exhausted, or unparsable)──▶ <queue>.dead
 * ```
 *
 * @see https://www.rabbitmq.com/docs/dlx (dead letter exchanges)
 * @see https://www.rabbitmq.com/docs/ttl (per-queue message TTL)
 */
import type { Options } from 'amqplib';

/** The header that counts how many times a message has gone through the retry queue. */
export const RETRY_COUNT_HEADER = 'x-retry-count';
/** The header on a dead letter that says why it is there: one of {@link DeadLetterReason}. */
export const DEAD_LETTER_REASON_HEADER = 'x-dead-letter-reason';
/** The header on a dead letter with the last error's message (truncated). */
export const DEAD_LETTER_ERROR_HEADER = 'x-dead-letter-error';

/** Why a message went to the dead-letter queue. */
export type DeadLetterReason = 'exhausted' | 'unparsable';

/** The names of the queues behind one work queue. */
export interface WorkQueueNames {
  readonly work: string;
  readonly retry: string;
  readonly dead: string;
}

/** `orders` → `{ work: 'orders', retry: 'orders.retry', dead: 'orders.dead' }`. */
export function workQueueNames(queue: string): WorkQueueNames {
  return { work: queue, retry: `${queue}.retry`, dead: `${queue}.dead` };
}

/**
 * The retry queue's arguments: every message waits `retryDelayMs` (a per-queue TTL, so the head
 * of the queue is always the first to expire), then RabbitMQ dead-letters it through the default
 * exchange (`''`) straight back to the work queue.
 */
export function retryQueueOptions(workQueue: string, retryDelayMs: number): Options.AssertQueue {
  return {
    durable: true,
    messageTtl: retryDelayMs,
    deadLetterExchange: '',
    deadLetterRoutingKey: workQueue,
  };
}

/** How many retries a message has had, from its headers (0 when absent or malformed). */
export function readRetryCount(headers: Record<string, unknown> | undefined): number {
  const value = headers?.[RETRY_COUNT_HEADER];
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}
