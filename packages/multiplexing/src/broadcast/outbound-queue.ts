/**
 * A bounded outbound queue in front of one connection: what a server may hold for a consumer that
 * reads slower than it is sent to. Messages go straight to the sink while it accepts them; once the
 * sink says "full" (`send()` returned false) they wait here until its `'drain'`. The sink's own
 * buffer plus this queue never pass `maxBufferedBytes`: past it the caller's policy decides, drop
 * the oldest waiting messages (counted) or give up on the consumer.
 *
 * The sink's own high-water mark (Node's `writableHighWaterMark`: 16 KiB before Node 22, 64 KiB
 * since) must be well under `maxBufferedBytes`: a sink that says "full" only at the whole mark
 * takes every message itself, nothing waits here, and `'drop-oldest'` is left with only the new
 * message to drop. Create sockets with `highWaterMark` at most a quarter of the mark
 * (`listenManagedTcp` does).
 */
import { checkInteger } from '@socketlab/internal';
import { MultiplexingError } from '../errors.ts';
import type { BroadcastTarget } from './fan-out.ts';

/** What an {@link OutboundQueue} writes to: a connection, seen only through its send side. */
export interface OutboundSink {
  /** Bytes the sink accepted and has not yet handed to the kernel (`writableLength`, `bufferedAmount`). */
  readonly bufferedAmount: number;
  /** Hands one message over; false means "above my own high-water mark, wait for drain". */
  send(data: Uint8Array): boolean;
}

/** What to do with a consumer whose buffered bytes would pass the high-water mark. */
export type SlowConsumerPolicy = 'drop-oldest' | 'disconnect';

/** Every {@link SlowConsumerPolicy}, in the order the README lists them. */
export const SLOW_CONSUMER_POLICIES: readonly SlowConsumerPolicy[] = Object.freeze([
  'drop-oldest',
  'disconnect',
]);

/** Options of {@link OutboundQueue}. */
export interface OutboundQueueOptions {
  /**
   * The high-water mark of one consumer: the sink's buffered bytes plus the queue's may never pass
   * it. A message that alone is larger can never be held and counts as dropped (or overflows).
   * @default 1048576 (1 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * `'drop-oldest'` drops waiting messages from the front until the new one fits (or the new one,
   * when nothing is left to drop), counting them in `droppedMessages`; `'disconnect'` keeps every
   * message and reports an overflow (the connection manager then closes the consumer with
   * `MULTIPLEXING_ERR_SLOW_CONSUMER`). @default 'drop-oldest'
   */
  readonly slowConsumerPolicy?: SlowConsumerPolicy;
}

/** The defaults of {@link OutboundQueueOptions}. */
export const OUTBOUND_QUEUE_DEFAULTS = Object.freeze({
  maxBufferedBytes: 1024 * 1024,
  slowConsumerPolicy: 'drop-oldest' as SlowConsumerPolicy,
});

/** The largest `maxBufferedBytes` accepted: 1 GiB. */
const MAX_HIGH_WATER_BYTES = 1024 * 1024 * 1024;

/**
 * What became of one message given to {@link OutboundQueue.send}: handed to the sink (`'sent'`),
 * waiting here (`'queued'`), dropped by `'drop-oldest'` (`'dropped'`: the message itself did not
 * fit), refused by `'disconnect'` (`'overflow'`: the consumer is too slow), or refused because the
 * connection is closed or closing (`'closed'`).
 */
export type SendOutcome = 'sent' | 'queued' | 'dropped' | 'overflow' | 'closed';

/**
 * Checks the options shared by the queue and its users.
 * @throws {TypeError}/{RangeError} as `checkInteger`; {TypeError} for an unknown policy.
 */
export function resolveOutboundQueueOptions(
  options: OutboundQueueOptions = {},
): Required<OutboundQueueOptions> {
  const maxBufferedBytes = checkInteger(
    'maxBufferedBytes',
    options.maxBufferedBytes ?? OUTBOUND_QUEUE_DEFAULTS.maxBufferedBytes,
    1,
    MAX_HIGH_WATER_BYTES,
  );
  const slowConsumerPolicy =
    options.slowConsumerPolicy ?? OUTBOUND_QUEUE_DEFAULTS.slowConsumerPolicy;
  if (!SLOW_CONSUMER_POLICIES.includes(slowConsumerPolicy)) {
    throw new TypeError(
      `slowConsumerPolicy must be 'drop-oldest' or 'disconnect', got ${String(slowConsumerPolicy)}`,
    );
  }
  return { maxBufferedBytes, slowConsumerPolicy };
}

let markBlocked: (queue: OutboundQueue) => void;

/**
 * One consumer's bounded queue. Call {@link send} for each message and {@link flush} on the
 * sink's `'drain'`. Order is kept: nothing overtakes a queued message.
 * @example
 * ```ts
 * const queue = new OutboundQueue(transport, { maxBufferedBytes: 64 * 1024 });
 * transport.on('drain', () => queue.flush());
 * if (queue.send(message) === 'overflow') transport.destroy();
 * ```
 */
export class OutboundQueue implements BroadcastTarget {
  static {
    markBlocked = (queue) => {
      queue.#blocked = true;
    };
  }

  readonly #sink: OutboundSink;
  readonly #max: number;
  readonly #policy: SlowConsumerPolicy;
  #queue: Uint8Array[] = [];
  #head = 0;
  #queuedBytes = 0;
  #blocked = false;
  #droppedMessages = 0;
  #droppedBytes = 0;

  /**
   * @param sink - where messages go.
   * @param options - the high-water mark and the policy ({@link OutboundQueueOptions}).
   * @throws {TypeError}/{RangeError} for a bad option.
   */
  constructor(sink: OutboundSink, options: OutboundQueueOptions = {}) {
    this.#sink = sink;
    const resolved = resolveOutboundQueueOptions(options);
    this.#max = resolved.maxBufferedBytes;
    this.#policy = resolved.slowConsumerPolicy;
  }

  /** The high-water mark in bytes. */
  get maxBufferedBytes(): number {
    return this.#max;
  }

  /** Bytes waiting here (not yet given to the sink). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Messages waiting here. */
  get queuedMessages(): number {
    return this.#queue.length - this.#head;
  }

  /** Everything held for this consumer: the sink's buffered bytes plus {@link queuedBytes}. */
  get bufferedBytes(): number {
    return this.#sink.bufferedAmount + this.#queuedBytes;
  }

  /** Messages dropped by `'drop-oldest'` so far. */
  get droppedMessages(): number {
    return this.#droppedMessages;
  }

  /** Bytes of the messages dropped so far. */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  /** Sends `data` now if the sink takes it, else queues it within the high-water mark. */
  send(data: Uint8Array): SendOutcome {
    if (!this.#blocked && this.queuedMessages === 0) {
      if (this.#sink.bufferedAmount + data.length <= this.#max) {
        this.#blocked = !this.#sink.send(data);
        return 'sent';
      }
    }
    if (this.bufferedBytes + data.length > this.#max) {
      if (this.#policy === 'disconnect') return 'overflow';
      while (this.queuedMessages > 0 && this.bufferedBytes + data.length > this.#max) {
        this.#drop(this.#shift());
      }
      if (this.bufferedBytes + data.length > this.#max) {
        this.#drop(data);
        return 'dropped';
      }
    }
    this.#queue.push(data);
    this.#queuedBytes += data.length;
    if (!this.#blocked) this.flush();
    return 'queued';
  }

  /**
   * Hands waiting messages to the sink until it reports full again; call it on `'drain'`.
   * @returns true when nothing is left waiting.
   */
  flush(): boolean {
    this.#blocked = false;
    // No check against the mark here: a queued message was counted when it was admitted, and
    // moving it to the sink does not add to what is held. Waiting on the mark would wait for a
    // 'drain' that never comes when the sink is not full (it holds a heartbeat, say).
    while (!this.#blocked && this.queuedMessages > 0) {
      this.#blocked = !this.#sink.send(this.#shift());
    }
    return this.queuedMessages === 0;
  }

  /** Forgets every waiting message (the connection is gone); returns the bytes forgotten. */
  clear(): number {
    const bytes = this.#queuedBytes;
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    return bytes;
  }

  #shift(): Uint8Array {
    const data = this.#queue[this.#head] as Uint8Array;
    this.#queue[this.#head++] = EMPTY;
    this.#queuedBytes -= data.length;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return data;
  }

  #drop(data: Uint8Array): void {
    this.#droppedMessages++;
    this.#droppedBytes += data.length;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * @internal Makes a new queue start as if its sink had said "full": the connection manager makes
 * queues only once a message has to wait, and its sink may have said so before.
 */
export function markQueueBlocked(queue: OutboundQueue): void {
  markBlocked(queue);
}

/** The error a consumer is closed with under `'disconnect'`. */
export function slowConsumerError(
  peer: string,
  bufferedBytes: number,
  max: number,
): MultiplexingError {
  return new MultiplexingError(
    'MULTIPLEXING_ERR_SLOW_CONSUMER',
    `${peer} reads too slowly: ${bufferedBytes} bytes were already waiting for it and one more message would pass maxBufferedBytes (${max}); it was disconnected`,
  );
}
