/**
 * The sender's history: what each API key sent, and the delivery acks and read receipts its
 * recipients' clients sent back. {@link SentLog} is what the routes and sockets use; one process
 * keeps it in memory ({@link MemorySentLog}), instances that share Redis or NATS keep it there
 * (`../store/redis-sent-log.ts`, `../store/nats-sent-log.ts`), so a notification posted on one
 * shows on all, and a receipt is recorded wherever it arrives. Every implementation is bounded per
 * key and per notification, and refuses a receipt for an id it does not know, so a client cannot
 * grow it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NotificationStore } from '@socketlab/distributed';
import type { AppNotification, SentRecord } from '../contract.ts';

/** A sent record without its receipts. */
export type SentEntry = Omit<SentRecord, 'deliveredTo' | 'readBy'>;

/** What each sender sent, with receipts, wherever it is kept. */
export interface SentLog {
  /** Records a notification its sender (`n.data.sender`) just sent; a second record of one id is ignored. */
  record(n: AppNotification): Promise<void>;
  /** Records that `user`'s client got `id`; false when the id is unknown or not theirs. */
  delivered(id: string, user: string): Promise<boolean>;
  /** Records that `user` read `id` (which implies delivered); false as for `delivered`. */
  read(id: string, user: string): Promise<boolean>;
  /** `sender`'s records after the id `after`, oldest first, at most `limit`. */
  list(sender: string, after: string | undefined, limit: number): Promise<SentRecord[]>;
}

/** The bounds every {@link SentLog} takes. */
export interface SentLogOptions {
  /** Records kept per key; the oldest go first. */
  readonly perKey: number;
  /** Users remembered per notification in `deliveredTo` and in `readBy` (a topic's may be many). @default 1000 */
  readonly maxReceipts?: number;
}

/** The default of `maxReceipts`. */
export const MAX_RECEIPTS = 1000;

/** The record of `n`, before any receipt. */
export function sentEntry(n: AppNotification): SentEntry {
  const { priority, expiresAt } = n.data;
  return {
    id: n.id,
    ...(n.user === undefined ? { topic: n.topic as string } : { user: n.user }),
    title: n.title,
    priority,
    at: n.at,
    expiresAt,
  };
}

/** Whether `user` may send receipts for `entry`: it was for them, or for a topic. */
export const mayReceipt = (entry: SentEntry, user: string): boolean =>
  entry.user === undefined || entry.user === user;

interface Entry {
  readonly record: SentEntry;
  readonly deliveredTo: Set<string>;
  readonly readBy: Set<string>;
}

/** The sender's history of one process, in memory. */
export class MemorySentLog implements SentLog {
  readonly #perKey: number;
  readonly #maxReceipts: number;
  readonly #bySender = new Map<string, string[]>();
  readonly #byId = new Map<string, Entry>();

  constructor(options: SentLogOptions) {
    this.#perKey = options.perKey;
    this.#maxReceipts = options.maxReceipts ?? MAX_RECEIPTS;
  }

  async record(n: AppNotification): Promise<void> {
    if (this.#byId.has(n.id)) return;
    this.#byId.set(n.id, { record: sentEntry(n), deliveredTo: new Set(), readBy: new Set() });
    const { sender } = n.data;
    let ids = this.#bySender.get(sender);
    if (ids === undefined) {
      ids = [];
      this.#bySender.set(sender, ids);
    }
    ids.push(n.id);
    if (ids.length > this.#perKey) this.#byId.delete(ids.shift() as string);
  }

  #entryFor(id: string, user: string): Entry | undefined {
    const entry = this.#byId.get(id);
    return entry !== undefined && mayReceipt(entry.record, user) ? entry : undefined;
  }

  async delivered(id: string, user: string): Promise<boolean> {
    const entry = this.#entryFor(id, user);
    if (entry === undefined) return false;
    if (entry.deliveredTo.size < this.#maxReceipts) entry.deliveredTo.add(user);
    return true;
  }

  async read(id: string, user: string): Promise<boolean> {
    const entry = this.#entryFor(id, user);
    if (entry === undefined) return false;
    if (entry.deliveredTo.size < this.#maxReceipts) entry.deliveredTo.add(user);
    if (entry.readBy.size < this.#maxReceipts) entry.readBy.add(user);
    return true;
  }

  async list(sender: string, after: string | undefined, limit: number): Promise<SentRecord[]> {
    const ids = this.#bySender.get(sender) ?? [];
    const from = after === undefined ? 0 : ids.findIndex((id) => id > after);
    if (from < 0) return [];
    return ids.slice(from, from + limit).map((id) => {
      const entry = this.#byId.get(id) as Entry;
      return { ...entry.record, deliveredTo: [...entry.deliveredTo], readBy: [...entry.readBy] };
    });
  }
}

/** What {@link recordWhenStored} returns. */
export interface RecordingStore {
  /** The store to give the service: it records what `asSender` sends once it is stored. */
  readonly store: NotificationStore;
  /** Runs `send` (the service's `notify`) as `sender`: what it stores is recorded in `sentLog`. */
  asSender<T>(sender: string, send: () => Promise<T>): Promise<T>;
}

/**
 * Records a sender's notification in `sentLog` as the store takes it, before the service pushes it
 * to anyone: with a shared log, a client on another instance may ack it a few milliseconds after
 * the push, and its receipt must find the record there. Only what is stored inside `asSender` is
 * recorded (the REST routes, whose sender is the API key's name): not the copies other instances
 * store, nor a GraphQL `notify`, whose `data` could name any sender.
 */
export function recordWhenStored(store: NotificationStore, sentLog: SentLog): RecordingStore {
  const sending = new AsyncLocalStorage<string>();
  return {
    store: {
      async put(key, n, idempotencyKey) {
        const result = await store.put(key, n, idempotencyKey);
        const sender = sending.getStore();
        const stored = result.notification;
        const from = (stored.data as { sender?: unknown } | undefined)?.sender;
        if (sender !== undefined && !result.duplicate && from === sender) {
          await sentLog.record(stored as AppNotification);
        }
        return result;
      },
      list: (key, query) => store.list(key, query),
    },
    asSender: (sender, send) => sending.run(sender, send),
  };
}
