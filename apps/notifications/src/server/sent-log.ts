/**
 * The sender's history: what each API key sent, and the delivery acks and read receipts its
 * recipients' clients sent back. In memory, bounded per key and per notification; an ack for an
 * id this instance does not know is refused, so a client cannot grow it.
 */
import type { AppNotification, SentRecord } from '../contract.ts';

interface Entry {
  readonly record: Omit<SentRecord, 'deliveredTo' | 'readBy'>;
  readonly deliveredTo: Set<string>;
  readonly readBy: Set<string>;
}

/** Options of {@link SentLog}. */
export interface SentLogOptions {
  /** Records kept per key; the oldest go first. */
  readonly perKey: number;
  /** Users remembered per notification in `deliveredTo` and in `readBy` (a topic's may be many). @default 1000 */
  readonly maxReceipts?: number;
}

/** What each sender sent, with receipts. */
export class SentLog {
  readonly #perKey: number;
  readonly #maxReceipts: number;
  readonly #bySender = new Map<string, string[]>();
  readonly #byId = new Map<string, Entry>();

  constructor(options: SentLogOptions) {
    this.#perKey = options.perKey;
    this.#maxReceipts = options.maxReceipts ?? 1000;
  }

  /** Records a notification its sender just sent (a second record of one id is ignored). */
  record(n: AppNotification): void {
    if (this.#byId.has(n.id)) return;
    const { sender, priority, expiresAt } = n.data;
    this.#byId.set(n.id, {
      record: {
        id: n.id,
        ...(n.user === undefined ? { topic: n.topic as string } : { user: n.user }),
        title: n.title,
        priority,
        at: n.at,
        expiresAt,
      },
      deliveredTo: new Set(),
      readBy: new Set(),
    });
    let ids = this.#bySender.get(sender);
    if (ids === undefined) {
      ids = [];
      this.#bySender.set(sender, ids);
    }
    ids.push(n.id);
    if (ids.length > this.#perKey) this.#byId.delete(ids.shift() as string);
  }

  /** Whether `user` may send receipts for `id`: it was for them, or for a topic. */
  #entryFor(id: string, user: string): Entry | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    const { user: to } = entry.record;
    return to === undefined || to === user ? entry : undefined;
  }

  /** Records that `user`'s client got `id`; false when the id is unknown here or not theirs. */
  delivered(id: string, user: string): boolean {
    const entry = this.#entryFor(id, user);
    if (entry === undefined) return false;
    if (entry.deliveredTo.size < this.#maxReceipts) entry.deliveredTo.add(user);
    return true;
  }

  /** Records that `user` read `id` (which implies delivered). */
  read(id: string, user: string): boolean {
    const entry = this.#entryFor(id, user);
    if (entry === undefined) return false;
    if (entry.deliveredTo.size < this.#maxReceipts) entry.deliveredTo.add(user);
    if (entry.readBy.size < this.#maxReceipts) entry.readBy.add(user);
    return true;
  }

  /** `sender`'s records after the id `after`, oldest first, at most `limit`. */
  list(sender: string, after: string | undefined, limit: number): SentRecord[] {
    const ids = this.#bySender.get(sender) ?? [];
    const from = after === undefined ? 0 : ids.findIndex((id) => id > after);
    if (from < 0) return [];
    return ids.slice(from, from + limit).map((id) => {
      const entry = this.#byId.get(id) as Entry;
      return {
        ...entry.record,
        deliveredTo: [...entry.deliveredTo],
        readBy: [...entry.readBy],
      };
    });
  }
}
