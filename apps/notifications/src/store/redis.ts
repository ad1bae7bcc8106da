/**
 * History in Redis Streams, shared by every instance: one stream per user and per topic
 * (`<prefix>:h:<user:ada|topic:t>`, `XADD … MAXLEN ~ N`, so Redis keeps about the newest N), the
 * notification as one JSON field; idempotency keys and ids as `SET NX` keys that expire with the
 * retention, so a retry on any instance, and the copy every other instance records, is a
 * duplicate. Implements stage 5's `NotificationStore`.
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 */
import type {
  HistoryQuery,
  NotificationStore,
  ServiceNotification,
  StorePutResult,
} from '@socketlab/distributed';
import { readServiceNotification } from '@socketlab/distributed';
import type { Redis } from 'ioredis';

/** Options of {@link RedisStreamStore}. */
export interface RedisStreamStoreOptions {
  readonly redis: Redis;
  /** Prefix of every key. @default 'socketlab-notify' */
  readonly prefix?: string;
  /** Notifications kept per user and per topic (approximately: `MAXLEN ~`). @default 100 */
  readonly maxPerRecipient?: number;
  /** How long ids and idempotency keys are remembered, seconds. @default 7 days */
  readonly keyTtlSeconds?: number;
}

/** Stage 5's `NotificationStore` on Redis Streams. */
export class RedisStreamStore implements NotificationStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #max: number;
  readonly #ttl: number;

  constructor(options: RedisStreamStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'socketlab-notify';
    this.#max = options.maxPerRecipient ?? 100;
    this.#ttl = options.keyTtlSeconds ?? 7 * 24 * 3600;
  }

  async put(key: string, n: ServiceNotification, idempotencyKey?: string): Promise<StorePutResult> {
    if (idempotencyKey !== undefined) {
      const idem = `${this.#prefix}:idem:${idempotencyKey}`;
      const set = await this.#redis.set(idem, JSON.stringify(n), 'EX', this.#ttl, 'NX');
      if (set === null) {
        const earlier = readServiceNotification(
          JSON.parse((await this.#redis.get(idem)) ?? 'null'),
        );
        if (earlier !== undefined) return { notification: earlier, duplicate: true };
      }
    }
    const fresh = await this.#redis.set(`${this.#prefix}:id:${n.id}`, '1', 'EX', this.#ttl, 'NX');
    if (fresh === null) return { notification: n, duplicate: true };
    await this.#redis.xadd(
      `${this.#prefix}:h:${key}`,
      'MAXLEN',
      '~',
      String(this.#max),
      '*',
      'n',
      JSON.stringify(n),
    );
    return { notification: n, duplicate: false };
  }

  async list(key: string, { after, limit }: HistoryQuery): Promise<ServiceNotification[]> {
    // the stream is short (about maxPerRecipient): read it whole, keep what sorts after `after`
    const entries = await this.#redis.xrange(`${this.#prefix}:h:${key}`, '-', '+');
    const out: ServiceNotification[] = [];
    for (const [, fields] of entries) {
      const n = readServiceNotification(JSON.parse(fields[1] ?? 'null'));
      if (n !== undefined && (after === undefined || n.id > after)) out.push(n);
    }
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out.slice(0, limit);
  }
}
