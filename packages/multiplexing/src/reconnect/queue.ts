/**
 * The reconnecting client's offline queue: messages sent while there is no connection, bounded
 * in count and in bytes, with a policy for when it is full. Pure: no I/O, no timers.
 */

/** What happens to a message sent while the offline queue is full. */
export type QueueFullPolicy = 'drop-oldest' | 'reject';

/** The policies, by the name an option or a CLI flag uses. */
export const QUEUE_FULL_POLICIES: readonly QueueFullPolicy[] = ['drop-oldest', 'reject'];

/** One queued message and its size. */
export interface QueuedMessage<T> {
  readonly message: T;
  readonly bytes: number;
}

/** What {@link OfflineQueue.push} did. */
export type QueuePushResult<T> =
  | { readonly accepted: true; readonly dropped: readonly QueuedMessage<T>[] }
  | { readonly accepted: false; readonly why: string };

/** A FIFO bounded by `maxMessages` and `maxBytes`; see {@link QueueFullPolicy}. */
export class OfflineQueue<T> {
  private items: QueuedMessage<T>[] = [];
  private head = 0;
  private totalBytes = 0;

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
    readonly policy: QueueFullPolicy,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Adds a message at the tail. With `drop-oldest`, the oldest messages are dropped (and
   * returned) until it fits; with `reject`, nothing changes and the push is refused. A message
   * larger than `maxBytes` on its own, or any message when `maxMessages` is 0, is refused.
   */
  push(message: T, bytes: number): QueuePushResult<T> {
    if (this.maxMessages === 0) {
      return { accepted: false, why: 'messages are not queued (maxQueuedMessages 0)' };
    }
    if (bytes > this.maxBytes) {
      return {
        accepted: false,
        why: `a ${bytes}-byte message is larger than the whole queue (maxQueuedBytes ${this.maxBytes})`,
      };
    }
    const fits = (): boolean =>
      this.length < this.maxMessages && this.totalBytes + bytes <= this.maxBytes;
    if (!fits() && this.policy === 'reject') {
      return {
        accepted: false,
        why: `the offline queue is full (${this.length} of maxQueuedMessages ${this.maxMessages}, ${this.totalBytes} of maxQueuedBytes ${this.maxBytes})`,
      };
    }
    const dropped: QueuedMessage<T>[] = [];
    while (!fits()) dropped.push(this.shift() as QueuedMessage<T>);
    this.items.push({ message, bytes });
    this.totalBytes += bytes;
    return { accepted: true, dropped };
  }

  /** The oldest message, left in place. */
  peek(): QueuedMessage<T> | undefined {
    return this.items[this.head];
  }

  /** Removes and returns the oldest message. */
  shift(): QueuedMessage<T> | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as QueuedMessage<T>;
    this.items[this.head++] = undefined as unknown as QueuedMessage<T>;
    this.totalBytes -= item.bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return item;
  }

  /** Removes every message and returns them, oldest first. */
  clear(): QueuedMessage<T>[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.totalBytes = 0;
    return all;
  }
}
