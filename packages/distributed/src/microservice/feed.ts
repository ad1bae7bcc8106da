/**
 * The one local source every push channel of an instance reads: Socket.IO rooms, GraphQL
 * subscriptions, and whatever an app adds (SSE, webhooks). Listeners are called in order; an
 * async iterator per GraphQL subscription holds a bounded queue, and a subscriber that falls
 * behind by more than that is ended (it resubscribes and reads the history `after` its last id).
 */
import type { ServiceNotification } from './notification.ts';

/** A listener of the feed. */
export type NotificationListener = (notification: ServiceNotification) => void;

/** The local fan-out of one instance. */
export class NotificationFeed {
  readonly #listeners = new Set<NotificationListener>();
  readonly #iterators = new Set<() => void>();
  #overflows = 0;

  /** How many listeners (iterators included) there are now. */
  get size(): number {
    return this.#listeners.size;
  }

  /** How many iterators were ended because their queue was full. */
  get overflows(): number {
    return this.#overflows;
  }

  /** Hands `notification` to every listener; one that throws does not stop the others. */
  publish(notification: ServiceNotification): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(notification);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** Adds a listener. @returns a function that removes it. */
  listen(listener: NotificationListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * The notifications that pass `filter`, from now on, as an async iterator with a queue of at
   * most `maxQueued`: when it is full the iterator ends (`done`), so a slow reader costs a bounded
   * amount of memory. `return()` (a `for await` that breaks, a GraphQL `complete`) unsubscribes.
   */
  iterate(
    filter: (notification: ServiceNotification) => boolean,
    maxQueued: number,
  ): AsyncIterableIterator<ServiceNotification> {
    const queue: ServiceNotification[] = [];
    let wake: ((result: IteratorResult<ServiceNotification>) => void) | undefined;
    let ended = false;
    const end = (): IteratorResult<ServiceNotification> => {
      ended = true;
      queue.length = 0;
      remove();
      this.#iterators.delete(end);
      const result = { done: true, value: undefined } as const;
      wake?.(result);
      wake = undefined;
      return result;
    };
    const remove = this.listen((notification) => {
      if (ended || !filter(notification)) return;
      if (wake !== undefined) {
        const resolve = wake;
        wake = undefined;
        resolve({ done: false, value: notification });
      } else if (queue.length >= maxQueued) {
        this.#overflows++;
        end();
      } else {
        queue.push(notification);
      }
    });
    this.#iterators.add(end);
    const iterator: AsyncIterableIterator<ServiceNotification> = {
      next: () => {
        const value = queue.shift();
        if (value !== undefined) return Promise.resolve({ done: false, value });
        if (ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => {
          wake = resolve;
        });
      },
      return: () => Promise.resolve(end()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Ends every iterator and removes every listener. */
  close(): void {
    for (const end of [...this.#iterators]) end();
    this.#listeners.clear();
  }
}
