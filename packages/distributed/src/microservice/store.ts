/**
 * Where the service keeps each recipient's history and the idempotency keys it has seen: an
 * interface, so a shared store (Redis, PostgreSQL) can replace the default, which is in memory,
 * bounded, and per instance (each instance records what it receives from the others too).
 */
import { checkInteger } from '@socketlab/internal';
import type { ServiceNotification } from './notification.ts';

/** What {@link NotificationStore.put} resolves with. */
export interface StorePutResult {
  /** The notification stored: the earlier one when the key (or the id) was seen before. */
  readonly notification: ServiceNotification;
  /** True when nothing was stored because the key or the id was already there. */
  readonly duplicate: boolean;
}

/** A page of history. */
export interface HistoryQuery {
  /** Only notifications whose id sorts after this one. */
  readonly after?: string | undefined;
  /** At most this many, oldest first. */
  readonly limit: number;
}

/**
 * A notification store. `put` must be atomic per idempotency key: two concurrent puts with one
 * key store one notification, and both resolve with it.
 */
export interface NotificationStore {
  /** Stores `notification` under `key` (`user:<id>` or `topic:<name>`), unless `idempotencyKey` or its id is known. */
  put(
    key: string,
    notification: ServiceNotification,
    idempotencyKey?: string,
  ): StorePutResult | Promise<StorePutResult>;
  /** `key`'s notifications after `query.after`, oldest first, at most `query.limit`. */
  list(key: string, query: HistoryQuery): ServiceNotification[] | Promise<ServiceNotification[]>;
}

/** The defaults of {@link MemoryNotificationStoreOptions}. */
export const MEMORY_STORE_DEFAULTS = Object.freeze({
  maxPerRecipient: 100,
  maxRecipients: 10_000,
  maxIdempotencyKeys: 10_000,
});

/** Options of {@link MemoryNotificationStore}. */
export interface MemoryNotificationStoreOptions {
  /** Notifications kept per user or topic; the oldest go first. @default 100 */
  readonly maxPerRecipient?: number;
  /** Users and topics kept; the one written to least recently goes first. @default 10000 */
  readonly maxRecipients?: number;
  /** Idempotency keys remembered; the oldest are forgotten (a retry later than that is sent again). @default 10000 */
  readonly maxIdempotencyKeys?: number;
}

/**
 * The default store: bounded history per recipient and a bounded set of idempotency keys, in
 * this process's memory. Each instance has its own: across instances, idempotency holds once the
 * first notification has reached the instance that gets the retry (a shared store closes that gap).
 * @throws {RangeError} for a bound that is not an integer >= 1.
 * @example
 * const store = new MemoryNotificationStore({ maxPerRecipient: 500 });
 * const service = await createNotificationService({ redisUrl, authenticate, store });
 */
export class MemoryNotificationStore implements NotificationStore {
  readonly #maxPer: number;
  readonly #maxRecipients: number;
  readonly #maxKeys: number;
  /** Per recipient key, its notifications sorted by id. */
  readonly #history = new Map<string, ServiceNotification[]>();
  readonly #keys = new Map<string, ServiceNotification>();

  constructor(options: MemoryNotificationStoreOptions = {}) {
    const d = MEMORY_STORE_DEFAULTS;
    this.#maxPer = checkInteger('maxPerRecipient', options.maxPerRecipient ?? d.maxPerRecipient, 1);
    this.#maxRecipients = checkInteger(
      'maxRecipients',
      options.maxRecipients ?? d.maxRecipients,
      1,
    );
    this.#maxKeys = checkInteger(
      'maxIdempotencyKeys',
      options.maxIdempotencyKeys ?? d.maxIdempotencyKeys,
      1,
    );
  }

  put(key: string, notification: ServiceNotification, idempotencyKey?: string): StorePutResult {
    if (idempotencyKey !== undefined) {
      const earlier = this.#keys.get(idempotencyKey);
      if (earlier !== undefined) return { notification: earlier, duplicate: true };
    }
    let list = this.#history.get(key);
    if (list?.some((n) => n.id === notification.id)) return { notification, duplicate: true };
    if (list === undefined) {
      list = [];
      if (this.#history.size >= this.#maxRecipients) {
        this.#history.delete(this.#history.keys().next().value as string);
      }
    } else {
      this.#history.delete(key); // re-inserted below: written most recently
    }
    this.#history.set(key, list);
    // ids sort by time: usually last, but one from another instance's clock may land earlier
    let at = list.length;
    while (at > 0 && (list[at - 1] as ServiceNotification).id > notification.id) at--;
    list.splice(at, 0, notification);
    if (list.length > this.#maxPer) list.shift();
    if (idempotencyKey !== undefined) {
      this.#keys.set(idempotencyKey, notification);
      if (this.#keys.size > this.#maxKeys)
        this.#keys.delete(this.#keys.keys().next().value as string);
    }
    return { notification, duplicate: false };
  }

  list(key: string, { after, limit }: HistoryQuery): ServiceNotification[] {
    const list = this.#history.get(key) ?? [];
    const from = after === undefined ? 0 : list.findIndex((n) => n.id > after);
    return from < 0 ? [] : list.slice(from, from + limit);
  }
}
