/**
 * The sender's history in Redis, shared by every instance: per API key a sorted set of ids
 * (`<prefix>:sent:k:<key name>`, all scored 0 so it sorts by id, that is by time), trimmed to the
 * newest `perKey` on each record (the trimmed records are deleted); per notification its record as
 * JSON (`<prefix>:sent:n:<id>`, `SET NX`, so a second record of one id is ignored) and two sorted
 * sets of users, `…:sent:d:<id>` and `…:sent:r:<id>`, scored by the time of their first receipt
 * (`ZADD NX`), at most `maxReceipts` each. Every key expires `ttlSeconds` after its last write,
 * like the history store's ids. Implements {@link SentLog} with {@link MemorySentLog}'s semantics.
 * @see https://redis.io/docs/latest/develop/data-types/sorted-sets/
 */
import type { Redis } from 'ioredis';
import type { AppNotification, SentRecord } from '../contract.ts';
import {
  MAX_RECEIPTS,
  mayReceipt,
  type SentEntry,
  type SentLog,
  type SentLogOptions,
  sentEntry,
} from '../server/sent-log.ts';

/** Options of {@link RedisSentLog}. */
export interface RedisSentLogOptions extends SentLogOptions {
  readonly redis: Redis;
  /** Prefix of every key (the history store's). @default 'socketlab-notify' */
  readonly prefix?: string;
  /** How long a key is kept after its last write, seconds. @default 7 days */
  readonly ttlSeconds?: number;
}

function readEntry(json: string | null): SentEntry | undefined {
  if (json === null) return undefined;
  try {
    const entry = JSON.parse(json) as SentEntry;
    return typeof entry?.id === 'string' ? entry : undefined;
  } catch {
    return undefined; // damaged: skipped like a missing one
  }
}

/** The sender's history on Redis. */
export class RedisSentLog implements SentLog {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #perKey: number;
  readonly #maxReceipts: number;
  readonly #ttl: number;

  constructor(options: RedisSentLogOptions) {
    this.#redis = options.redis;
    this.#prefix = `${options.prefix ?? 'socketlab-notify'}:sent`;
    this.#perKey = options.perKey;
    this.#maxReceipts = options.maxReceipts ?? MAX_RECEIPTS;
    this.#ttl = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  #keys(id: string) {
    const p = this.#prefix;
    return { entry: `${p}:n:${id}`, delivered: `${p}:d:${id}`, read: `${p}:r:${id}` };
  }

  async record(n: AppNotification): Promise<void> {
    const { entry } = this.#keys(n.id);
    const json = JSON.stringify(sentEntry(n));
    if ((await this.#redis.set(entry, json, 'EX', this.#ttl, 'NX')) === null) return;
    const index = `${this.#prefix}:k:${n.data.sender}`;
    const beyond = -(this.#perKey + 1); // ranks 0..beyond are the oldest, past the bound
    const replies = await this.#redis
      .multi()
      .zadd(index, 0, n.id)
      .zrange(index, '0', String(beyond))
      .zremrangebyrank(index, 0, beyond)
      .expire(index, this.#ttl)
      .exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
    const dropped = (replies?.[1]?.[1] ?? []) as string[];
    if (dropped.length > 0) {
      await this.#redis.del(...dropped.flatMap((id) => Object.values(this.#keys(id))));
    }
  }

  /** Adds `user` to the receipts of `id` in `sets`, if it is theirs; false if not or unknown. */
  async #receipt(id: string, user: string, sets: ('delivered' | 'read')[]): Promise<boolean> {
    const keys = this.#keys(id);
    const entry = readEntry(await this.#redis.get(keys.entry));
    if (entry === undefined || !mayReceipt(entry, user)) return false;
    const at = Date.now();
    for (const set of sets) {
      // the bound is checked before the add: concurrent receipts may pass it by a few
      if ((await this.#redis.zcard(keys[set])) >= this.#maxReceipts) continue;
      await this.#redis.multi().zadd(keys[set], 'NX', at, user).expire(keys[set], this.#ttl).exec();
    }
    return true;
  }

  delivered(id: string, user: string): Promise<boolean> {
    return this.#receipt(id, user, ['delivered']);
  }

  read(id: string, user: string): Promise<boolean> {
    return this.#receipt(id, user, ['delivered', 'read']);
  }

  async list(sender: string, after: string | undefined, limit: number): Promise<SentRecord[]> {
    const index = `${this.#prefix}:k:${sender}`;
    const from = after === undefined ? '-' : `(${after}`;
    const ids = await this.#redis.zrangebylex(index, from, '+', 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) {
      const keys = this.#keys(id);
      pipeline.get(keys.entry).zrange(keys.delivered, '0', '-1').zrange(keys.read, '0', '-1');
    }
    const replies = ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error !== null) throw error;
      return value;
    });
    const out: SentRecord[] = [];
    for (let i = 0; i < ids.length; i++) {
      const entry = readEntry(replies[3 * i] as string | null);
      if (entry === undefined) continue; // expired with its TTL
      const deliveredTo = replies[3 * i + 1] as string[];
      const readBy = replies[3 * i + 2] as string[];
      out.push({ ...entry, deliveredTo, readBy });
    }
    return out;
  }
}
