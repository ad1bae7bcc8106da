/**
 * The sender's history in a JetStream KV bucket, shared by every instance: `<prefix>_sent`, one
 * key per notification, `n.<id>`, holding its record with `deliveredTo` and `readBy`, and one per
 * API key, `k.<base64url of its name>`, holding its ids oldest first, at most `perKey` (a record
 * trimmed from there is purged). Both change by compare-and-set on the key's revision, retried a
 * bounded number of times, so receipts on two instances at once both land. The bucket's `max_age`
 * (7 days by default) forgets a key that has not changed for that long. Implements
 * {@link SentLog} with {@link MemorySentLog}'s semantics.
 * @see https://docs.nats.io/nats-concepts/jetstream/key-value-store
 */
import { jetstream } from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeBrokerJson } from '@socketlab/distributed';
import { checkInteger } from '@socketlab/internal';
import type { AppNotification, SentRecord } from '../contract.ts';
import {
  MAX_RECEIPTS,
  mayReceipt,
  type SentLog,
  type SentLogOptions,
  sentEntry,
} from '../server/sent-log.ts';
import { isKeyTaken, token } from './nats.ts';

/** Options of {@link openJetStreamSentLog}. */
export interface JetStreamSentLogOptions extends SentLogOptions {
  /** A connection to a NATS server with JetStream; the caller closes it. */
  readonly nc: NatsConnection;
  /** Names the bucket, `<prefix>_sent` (checked by the history store's rules). @default 'socketlab-notify' */
  readonly prefix?: string;
  /** How long a key is kept after its last change, ms (the bucket's `max_age`). @default 7 days */
  readonly ttlMs?: number;
}

/** Compare-and-set attempts before a write gives up (each lost one means another writer won). */
const MAX_ATTEMPTS = 20;

const utf8 = new TextEncoder();

/** The value of a live entry; `undefined` for a missing, deleted or damaged one. */
function liveValue<T>(entry: KvEntry | null): T | undefined {
  if (entry === null || entry.operation !== 'PUT' || entry.value.byteLength === 0) return undefined;
  try {
    return decodeBrokerJson(entry.value) as T;
  } catch {
    return undefined;
  }
}

/** The sender's history on JetStream KV: make one with {@link openJetStreamSentLog}. */
export class JetStreamSentLog implements SentLog {
  /** The KV bucket holding it. */
  readonly bucket: string;
  readonly #kv: KV;
  readonly #perKey: number;
  readonly #maxReceipts: number;

  /** @internal use {@link openJetStreamSentLog} */
  constructor(parts: { kv: KV; bucket: string; perKey: number; maxReceipts: number }) {
    this.#kv = parts.kv;
    this.bucket = parts.bucket;
    this.#perKey = parts.perKey;
    this.#maxReceipts = parts.maxReceipts;
  }

  /**
   * Replaces the value of `key` with `change(current)` by compare-and-set, again if another
   * writer came first; `change` returning `undefined` writes nothing. Resolves with what it wrote.
   */
  async #update<T>(key: string, change: (current: T | undefined) => T | undefined) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get(key);
      const next = change(liveValue<T>(entry));
      if (next === undefined) return undefined;
      const data = utf8.encode(JSON.stringify(next));
      try {
        if (entry === null || entry.operation !== 'PUT') await this.#kv.create(key, data);
        else await this.#kv.update(key, data, entry.revision);
        return next;
      } catch (error) {
        if (!isKeyTaken(error)) throw error;
      }
    }
    throw new Error(`${key} in ${this.bucket} changed under ${MAX_ATTEMPTS} writes in a row`);
  }

  async record(n: AppNotification): Promise<void> {
    const record: SentRecord = { ...sentEntry(n), deliveredTo: [], readBy: [] };
    try {
      await this.#kv.create(`n.${n.id}`, utf8.encode(JSON.stringify(record)));
    } catch (error) {
      if (isKeyTaken(error)) return; // recorded already
      throw error;
    }
    let dropped: string[] = [];
    await this.#update<string[]>(`k.${token(n.data.sender)}`, (ids = []) => {
      const next = [...ids, n.id];
      dropped = next.splice(0, Math.max(0, next.length - this.#perKey));
      return next;
    });
    await Promise.all(dropped.map((id) => this.#kv.purge(`n.${id}`)));
  }

  async #receipt(id: string, user: string, read: boolean): Promise<boolean> {
    let known = false;
    await this.#update<SentRecord>(`n.${id}`, (record) => {
      known = record !== undefined && mayReceipt(record, user);
      if (record === undefined || !known) return undefined;
      const add = (users: readonly string[]) =>
        users.includes(user) || users.length >= this.#maxReceipts ? users : [...users, user];
      const deliveredTo = add(record.deliveredTo);
      const readBy = read ? add(record.readBy) : record.readBy;
      if (deliveredTo === record.deliveredTo && readBy === record.readBy) return undefined;
      return { ...record, deliveredTo, readBy };
    });
    return known;
  }

  delivered(id: string, user: string): Promise<boolean> {
    return this.#receipt(id, user, false);
  }

  read(id: string, user: string): Promise<boolean> {
    return this.#receipt(id, user, true);
  }

  async list(sender: string, after: string | undefined, limit: number): Promise<SentRecord[]> {
    const ids = liveValue<string[]>(await this.#kv.get(`k.${token(sender)}`)) ?? [];
    const from = after === undefined ? 0 : ids.findIndex((id) => id > after);
    if (from < 0) return [];
    const records = await Promise.all(
      ids
        .slice(from, from + limit)
        .map(async (id) => liveValue<SentRecord>(await this.#kv.get(`n.${id}`))),
    );
    return records.filter((r): r is SentRecord => r !== undefined);
  }
}

/**
 * Opens the sender's history on `options.nc`, creating (or binding to) its bucket. Instances
 * that share it use the same server and prefix.
 * @throws {RangeError} for a bound that is not an integer >= 1.
 * @example const sentLog = await openJetStreamSentLog({ nc, perKey: 1000 });
 */
export async function openJetStreamSentLog(
  options: JetStreamSentLogOptions,
): Promise<JetStreamSentLog> {
  const perKey = checkInteger('perKey', options.perKey, 1);
  const maxReceipts = checkInteger('maxReceipts', options.maxReceipts ?? MAX_RECEIPTS, 1);
  const ttl = checkInteger('ttlMs', options.ttlMs ?? 7 * 24 * 3600 * 1000, 1000);
  const bucket = `${options.prefix ?? 'socketlab-notify'}_sent`;
  const kv = await new Kvm(jetstream(options.nc)).create(bucket, { history: 1, ttl });
  return new JetStreamSentLog({ kv, bucket, perKey, maxReceipts });
}
